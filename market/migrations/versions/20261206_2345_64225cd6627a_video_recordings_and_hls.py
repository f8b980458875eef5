"""video recordings and hls

video_recordings: the replay made from the media server's recording of a session (market/video/recording.py).
video_hls: the HLS output of a live session — which machine runs its ffmpeg and which Janus forwarders feed it
(market/video/hls.py).

Revision ID: 64225cd6627a
Revises: d0d3f8a2430d
Create Date: 2026-12-06 23:45:16.475781

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '64225cd6627a'
down_revision = 'd0d3f8a2430d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('video_hls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('node', sa.String(length=100), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('base_port', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('janus_url', sa.String(length=300), nullable=False),
    sa.Column('room', sa.BigInteger(), nullable=False),
    sa.Column('publisher_id', sa.BigInteger(), nullable=False),
    sa.Column('forwarders', sa.JSON(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('running', 'stopped')", name=op.f('ck_video_hls_status_known')),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_video_hls_session_id_live_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_hls')),
    sa.UniqueConstraint('session_id', name=op.f('uq_video_hls_session_id'))
    )
    op.create_table('video_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file', sa.String(length=200), nullable=True),
    sa.Column('bytes', sa.BigInteger(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'processing', 'ready', 'failed', 'empty')", name=op.f('ck_video_recordings_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_video_recordings_attempts_not_negative')),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_video_recordings_session_id_live_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_video_recordings')),
    sa.UniqueConstraint('session_id', name=op.f('uq_video_recordings_session_id'))
    )


def downgrade():
    op.drop_table('video_recordings')
    op.drop_table('video_hls')

"""our own live video: one row per session that used it (media server, room, current publisher)

Revision ID: 5e1f0a9c7b21
Revises: 64225cd6627a
Create Date: 2026-12-06 23:55:00

"""
from alembic import op
import sqlalchemy as sa



revision = '5e1f0a9c7b21'
down_revision = '64225cd6627a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'live_videos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('server', sa.String(length=300), nullable=False),
        sa.Column('room', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('publisher_user_id', sa.Integer(), nullable=True),
        sa.Column('janus_session', sa.BigInteger(), nullable=True),
        sa.Column('janus_handle', sa.BigInteger(), nullable=True),
        sa.Column('feed_id', sa.BigInteger(), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('idle', 'publishing')", name=op.f('ck_live_videos_status_known')),
        sa.ForeignKeyConstraint(['publisher_user_id'], ['users.id'],
                                name=op.f('fk_live_videos_publisher_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'],
                                name=op.f('fk_live_videos_session_id_live_sessions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_videos')),
        sa.UniqueConstraint('session_id', name=op.f('uq_live_videos_session_id')),
    )


def downgrade():
    op.drop_table('live_videos')

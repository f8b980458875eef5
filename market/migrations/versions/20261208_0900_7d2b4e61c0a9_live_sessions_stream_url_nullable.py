"""live_sessions.stream_url may be NULL

A session streamed only on Chợ Phiên (our own video, docs/video.md) has no TikTok, YouTube or Facebook link.
Downgrading writes an empty link into such sessions (the old schema has no way to say "none"), and upgrading
turns an empty link back into NULL.

Revision ID: 7d2b4e61c0a9
Revises: 5c1e7a9b2d40
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d2b4e61c0a9'
down_revision = '5c1e7a9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.alter_column('stream_url', existing_type=sa.String(length=500), nullable=True)
    op.execute("UPDATE live_sessions SET stream_url = NULL WHERE stream_url = ''")


def downgrade():
    op.execute("UPDATE live_sessions SET stream_url = '' WHERE stream_url IS NULL")
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.alter_column('stream_url', existing_type=sa.String(length=500), nullable=False)

"""live sessions count their order taps (for the post-live report)

live_sessions.order_taps: how many "Đặt ngay" taps (order requests, whatever their answer) the session had,
added by each server process's tick (live/taps.py).

Revision ID: b13e5a7c0f11
Revises: 8847cd142e85
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b13e5a7c0f11'
down_revision = '8847cd142e85'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_taps', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_column('order_taps')

"""flash deal countdown

A live offer may close itself at `ends_at` (a flash deal pinned with a countdown of 1 to 30 minutes); every
server process sweeps for offers past it, so the column is indexed.

Revision ID: bdff650add97
Revises: a13c0a7e51d2
Create Date: 2026-12-06 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'bdff650add97'
down_revision = 'a13c0a7e51d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_live_offers_ends_at'), ['ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('live_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_offers_ends_at'))
        batch_op.drop_column('ends_at')

"""shop_shipping.quote_carrier

The connected carrier whose quote a shop's buyers pay at checkout ("Báo phí theo hãng vận chuyển"); NULL: the
shop's fee table, as before (docs/shipping.md).

Revision ID: 5c1e7a9b2d40
Revises: 5e1f0a9c7b21
Create Date: 2026-12-07 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5c1e7a9b2d40'
down_revision = '5e1f0a9c7b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_shipping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quote_carrier', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('shop_shipping', schema=None) as batch_op:
        batch_op.drop_column('quote_carrier')

"""shipping fee table and the order's delivery option

Revision ID: 8847cd142e85
Revises: bdff650add97
Create Date: 2026-12-06 20:46:13.931392

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8847cd142e85'
down_revision = 'bdff650add97'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('shop_shipping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('fee_commune_vnd', sa.BigInteger(), nullable=True),
    sa.Column('fee_province_vnd', sa.BigInteger(), nullable=True),
    sa.Column('fee_elsewhere_vnd', sa.BigInteger(), nullable=True),
    sa.Column('extra_commune_vnd', sa.BigInteger(), nullable=False),
    sa.Column('extra_province_vnd', sa.BigInteger(), nullable=False),
    sa.Column('extra_elsewhere_vnd', sa.BigInteger(), nullable=False),
    sa.Column('base_weight_g', sa.Integer(), nullable=False),
    sa.Column('item_weight_g', sa.Integer(), nullable=False),
    sa.Column('free_above_vnd', sa.BigInteger(), nullable=True),
    sa.Column('pickup_enabled', sa.Boolean(), nullable=False),
    sa.Column('pickup_note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base_weight_g > 0 AND item_weight_g > 0', name=op.f('ck_shop_shipping_weights_positive')),
    sa.CheckConstraint('fee_commune_vnd IS NULL OR fee_commune_vnd >= 0', name=op.f('ck_shop_shipping_fee_commune_not_negative')),
    sa.CheckConstraint('fee_elsewhere_vnd IS NULL OR fee_elsewhere_vnd >= 0', name=op.f('ck_shop_shipping_fee_elsewhere_not_negative')),
    sa.CheckConstraint('fee_province_vnd IS NULL OR fee_province_vnd >= 0', name=op.f('ck_shop_shipping_fee_province_not_negative')),
    sa.ForeignKeyConstraint(['seller_id'], ['seller_profiles.id'], name=op.f('fk_shop_shipping_seller_id_seller_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_shipping')),
    sa.UniqueConstraint('seller_id', name=op.f('uq_shop_shipping_seller_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_option', sa.String(length=10), nullable=True))




def downgrade():
    
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('delivery_option')

    op.drop_table('shop_shipping')


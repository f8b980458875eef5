"""carrier accounts, shipments, refusals setting, zalo tokens

Revision ID: d0d3f8a2430d
Revises: b13e5a7c0f11
Create Date: 2026-12-06 21:15:24.616224

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0d3f8a2430d'
down_revision = 'b13e5a7c0f11'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('zalo_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('access_sealed', sa.Text(), nullable=True),
    sa.Column('refresh_sealed', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zalo_tokens'))
    )
    op.create_table('carrier_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('token_sealed', sa.Text(), nullable=False),
    sa.Column('account_sealed', sa.Text(), nullable=False),
    sa.Column('token_hint', sa.String(length=8), nullable=False),
    sa.Column('pickup_street', sa.String(length=200), nullable=False),
    sa.Column('webhook_secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller_profiles.id'], name=op.f('fk_carrier_accounts_seller_id_seller_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_accounts')),
    sa.UniqueConstraint('seller_id', 'carrier', name='uq_carrier_accounts_seller_carrier')
    )
    with op.batch_alter_table('carrier_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrier_accounts_seller_id'), ['seller_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=10), nullable=False),
    sa.Column('tracking_code', sa.String(length=60), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('carrier_status', sa.String(length=40), nullable=False),
    sa.Column('cod_vnd', sa.BigInteger(), nullable=False),
    sa.Column('fee_vnd', sa.BigInteger(), nullable=True),
    sa.Column('cod_collected_vnd', sa.BigInteger(), nullable=True),
    sa.Column('cod_remitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('picked_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cod_vnd >= 0', name=op.f('ck_shipments_cod_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['seller_profiles.id'], name=op.f('fk_shipments_seller_id_seller_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('carrier', 'tracking_code', name='uq_shipments_carrier_tracking')
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_seller_id'), ['seller_id'], unique=False)

    with op.batch_alter_table('shop_shipping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_after_refusals', sa.SmallInteger(), nullable=True))




def downgrade():

    with op.batch_alter_table('shop_shipping', schema=None) as batch_op:
        batch_op.drop_column('transfer_after_refusals')

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_seller_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_order_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('carrier_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_accounts_seller_id'))

    op.drop_table('carrier_accounts')
    op.drop_table('zalo_tokens')


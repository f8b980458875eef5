"""live checkout: chốt in chat, offer numbers, hold reminders

Sessions say whether buyers may order by writing "chốt" in the chat (on unless the host turns it off); each
offer gets its number in its session (1, 2, 3 … in pinning order; existing offers numbered by id); orders
remember when the buyer was reminded, at half the hold, of what a live order still needs (sent once).

Revision ID: a13c0a7e51d2
Revises: a14c0de5e001
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13c0a7e51d2'
down_revision = 'a14c0de5e001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chot_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('live_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    op.execute("UPDATE live_offers SET number = (SELECT COUNT(*) FROM live_offers AS o2 "
               "WHERE o2.session_id = live_offers.session_id AND o2.id <= live_offers.id)")
    with op.batch_alter_table('live_offers', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_live_offers_session_number', ['session_id', 'number'])

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('live_offers', schema=None) as batch_op:
        batch_op.drop_constraint('uq_live_offers_session_number', type_='unique')
        batch_op.drop_column('number')

    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_column('chot_enabled')

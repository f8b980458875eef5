"""Each shop's way of shipping: its fee table by zone and weight, free shipping above an amount, pick-up."""

from __future__ import annotations

import sqlalchemy as sa

from market.database import TimestampMixin
from market.extensions import db


class ShopShipping(TimestampMixin, db.Model):
    """A shop's fee table. A zone whose fee is NULL is a zone the shop does not deliver to.

    Fee for a parcel = the zone's fee (it covers up to ``base_weight_g``) + the zone's ``extra_*`` for each
    started kilogram beyond; nothing when the goods are worth ``free_above_vnd`` or more.
    """

    __tablename__ = "shop_shipping"
    __table_args__ = (
        sa.CheckConstraint("fee_commune_vnd IS NULL OR fee_commune_vnd >= 0", name="fee_commune_not_negative"),
        sa.CheckConstraint("fee_province_vnd IS NULL OR fee_province_vnd >= 0", name="fee_province_not_negative"),
        sa.CheckConstraint("fee_elsewhere_vnd IS NULL OR fee_elsewhere_vnd >= 0", name="fee_elsewhere_not_negative"),
        sa.CheckConstraint("base_weight_g > 0 AND item_weight_g > 0", name="weights_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    fee_commune_vnd = sa.Column(sa.BigInteger, nullable=True)  # same commune as the shop
    fee_province_vnd = sa.Column(sa.BigInteger, nullable=True)  # same province
    fee_elsewhere_vnd = sa.Column(sa.BigInteger, nullable=True)  # anywhere else in Viet Nam
    extra_commune_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)  # per kg beyond the base weight
    extra_province_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)
    extra_elsewhere_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)
    base_weight_g = sa.Column(sa.Integer, nullable=False, default=2000)
    # The weight counted for one unit of a product that states none (a box, a bag, a piece not sold by weight).
    item_weight_g = sa.Column(sa.Integer, nullable=False, default=1000)
    free_above_vnd = sa.Column(sa.BigInteger, nullable=True)
    pickup_enabled = sa.Column(sa.Boolean, nullable=False, default=False)
    pickup_note = sa.Column(sa.String(200), nullable=False, default="")  # where and when to collect

    @property
    def delivers(self) -> bool:
        return any(v is not None for v in (self.fee_commune_vnd, self.fee_province_vnd, self.fee_elsewhere_vnd))

"""Each shop's way of shipping (fee table, pick-up), its carrier accounts, and the parcels handed to carriers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime
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
    # "Bom hàng": buyers who refused this many cash-on-delivery parcels (anywhere) pay by transfer here; None: off.
    transfer_after_refusals = sa.Column(sa.SmallInteger, nullable=True)
    # "Báo phí theo hãng vận chuyển": the connected carrier ("ghn", "ghtk") whose quote buyers pay; None: the table.
    # The table stays the fallback when that carrier does not answer (docs/shipping.md).
    quote_carrier = sa.Column(sa.String(10), nullable=True)

    @property
    def has_table(self) -> bool:
        return any(v is not None for v in (self.fee_commune_vnd, self.fee_province_vnd, self.fee_elsewhere_vnd))

    @property
    def delivers(self) -> bool:
        return self.has_table or self.quote_carrier is not None


class CarrierAccount(TimestampMixin, db.Model):
    """A shop's account at a carrier (GHN, GHTK): its API token and shop id / partner code, sealed with a key
    derived from the app's SECRET_KEY (``secrets.seal``), never shown back in full."""

    __tablename__ = "carrier_accounts"
    __table_args__ = (sa.UniqueConstraint("seller_id", "carrier", name="uq_carrier_accounts_seller_carrier"),)

    id = sa.Column(sa.Integer, primary_key=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    carrier = sa.Column(sa.String(10), nullable=False)  # "ghn", "ghtk"
    token_sealed = sa.Column(sa.Text, nullable=False)
    account_sealed = sa.Column(sa.Text, nullable=False)  # GHN ShopId, GHTK partner code
    token_hint = sa.Column(sa.String(8), nullable=False, default="")  # the last 4 characters, to recognise it
    # Where the carrier picks parcels up (the shop's commune and province come from its profile).
    pickup_street = sa.Column(sa.String(200), nullable=False, default="")
    # The secret in the webhook URL given to GHTK (``/webhooks/carrier/ghtk/<secret>``); compared in constant time.
    webhook_secret = sa.Column(sa.String(64), nullable=False)


class Shipment(TimestampMixin, db.Model):
    """One parcel handed to a carrier for one order. ``stage`` only moves forward (``carriers.base.RANK``)."""

    __tablename__ = "shipments"
    __table_args__ = (
        sa.UniqueConstraint("carrier", "tracking_code", name="uq_shipments_carrier_tracking"),
        sa.CheckConstraint("cod_vnd >= 0", name="cod_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    carrier = sa.Column(sa.String(10), nullable=False)
    tracking_code = sa.Column(sa.String(60), nullable=False)
    stage = sa.Column(sa.String(12), nullable=False, default="created")
    carrier_status = sa.Column(sa.String(40), nullable=False, default="")
    cod_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)  # the cash the carrier is to collect
    fee_vnd = sa.Column(sa.BigInteger, nullable=True)  # what the carrier charges the shop
    cod_collected_vnd = sa.Column(sa.BigInteger, nullable=True)  # collected from the buyer (delivered)
    cod_remitted_at = sa.Column(UTCDateTime(), nullable=True)  # the carrier paid it out to the shop
    picked_up_at = sa.Column(UTCDateTime(), nullable=True)
    finished_at = sa.Column(UTCDateTime(), nullable=True)  # delivered, returned or cancelled
    last_reason = sa.Column(sa.String(200), nullable=False, default="")

    order = relationship("Order", backref=sa.orm.backref("shipments", order_by="Shipment.id", lazy="select"))

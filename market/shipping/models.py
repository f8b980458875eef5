"""Each shop's way of shipping (fee table, pick-up), its carrier accounts, and the parcels handed to carriers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime
from market.extensions import Model
from market.shipping.carriers.base import Stage

if TYPE_CHECKING:
    from market.orders.models import Order


class ShopShipping(TimestampMixin, Model):
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

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), unique=True
    )
    fee_commune_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # same commune as the shop
    fee_province_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # same province
    fee_elsewhere_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # anywhere else in Viet Nam
    extra_commune_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # per kg beyond the base weight
    extra_province_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extra_elsewhere_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    base_weight_g: Mapped[int] = mapped_column(sa.Integer, default=2000)
    # The weight counted for one unit of a product that states none (a box, a bag, a piece not sold by weight).
    item_weight_g: Mapped[int] = mapped_column(sa.Integer, default=1000)
    free_above_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    pickup_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    pickup_note: Mapped[str] = mapped_column(sa.String(200), default="")  # where and when to collect
    # "Bom hàng": buyers who refused this many cash-on-delivery parcels (anywhere) pay by transfer here; None: off.
    transfer_after_refusals: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # "Báo phí theo hãng vận chuyển": the connected carrier ("ghn", "ghtk") whose quote buyers pay; None: the table.
    # The table stays the fallback when that carrier does not answer (docs/shipping.md).
    quote_carrier: Mapped[str | None] = mapped_column(sa.String(10))

    @property
    def has_table(self) -> bool:
        return any(v is not None for v in (self.fee_commune_vnd, self.fee_province_vnd, self.fee_elsewhere_vnd))

    @property
    def delivers(self) -> bool:
        return self.has_table or self.quote_carrier is not None


class CarrierAccount(TimestampMixin, Model):
    """A shop's account at a carrier (GHN, GHTK): its API token and shop id / partner code, sealed with a key
    derived from the app's SECRET_KEY (``secrets.seal``), never shown back in full."""

    __tablename__ = "carrier_accounts"
    __table_args__ = (sa.UniqueConstraint("seller_id", "carrier", name="uq_carrier_accounts_seller_carrier"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), index=True
    )
    carrier: Mapped[str] = mapped_column(sa.String(10))  # "ghn", "ghtk"
    token_sealed: Mapped[str] = mapped_column(sa.Text)
    account_sealed: Mapped[str] = mapped_column(sa.Text)  # GHN ShopId, GHTK partner code
    token_hint: Mapped[str] = mapped_column(sa.String(8), default="")  # the last 4 characters, to recognise it
    # Where the carrier picks parcels up (the shop's commune and province come from its profile).
    pickup_street: Mapped[str] = mapped_column(sa.String(200), default="")
    # The secret in the webhook URL given to GHTK (``/webhooks/carrier/ghtk/<secret>``); compared in constant time.
    webhook_secret: Mapped[str] = mapped_column(sa.String(64))


class Shipment(TimestampMixin, Model):
    """One parcel handed to a carrier for one order. ``stage`` only moves forward (``carriers.base.RANK``)."""

    __tablename__ = "shipments"
    __table_args__ = (
        sa.UniqueConstraint("carrier", "tracking_code", name="uq_shipments_carrier_tracking"),
        sa.CheckConstraint("cod_vnd >= 0", name="cod_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    carrier: Mapped[str] = mapped_column(sa.String(10))
    tracking_code: Mapped[str] = mapped_column(sa.String(60))
    stage: Mapped[Stage] = mapped_column(StrEnumType(Stage, 12), default=Stage.CREATED)
    carrier_status: Mapped[str] = mapped_column(sa.String(40), default="")
    cod_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the cash the carrier is to collect
    fee_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # what the carrier charges the shop
    cod_collected_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # collected from the buyer (delivered)
    cod_remitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the carrier paid it out to the shop
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # delivered, returned or cancelled
    last_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    # ``Order.shipments`` too (a backref: orders never imports shipping).
    order: Mapped[Order] = relationship(backref=backref("shipments", order_by="Shipment.id", lazy="select"))

"""Co-op lots: one listing whose stock is the harvest many households bring, and who brought how much."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.database import TimestampMixin
from market.extensions import Model

if TYPE_CHECKING:
    from market.accounts.models import SellerProfile
    from market.catalog.models import Product


class CoopLot(TimestampMixin, Model):
    """A product sold for many households (the KOL's shop sells it; each household is paid its share).

    Its product's stock is the households' kilograms counted in the product's unit: ``contributed_g // unit_g``
    units in all, less what orders hold or sold. ``unit_g`` is fixed when the lot is made (1000 for a product
    sold by the kg; the estimated weight of one piece for one sold by the piece), so the count never jumps when
    the listing's estimate is edited.
    """

    __tablename__ = "coop_lots"
    __table_args__ = (
        sa.CheckConstraint("unit_g > 0", name="unit_positive"),
        sa.CheckConstraint("contributed_g >= 0", name="contributed_not_negative"),
        sa.CheckConstraint("shipping_vnd_per_kg >= 0", name="shipping_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    unit_g: Mapped[int] = mapped_column(sa.Integer)  # grams per unit of the product's stock
    contributed_g: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # sum of the contributions, grams
    # What the co-op pays carriers, per kilogram sold: taken from each household's payout by its kilograms.
    shipping_vnd_per_kg: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    product: Mapped[Product] = relationship(lazy="joined")
    seller: Mapped[SellerProfile] = relationship()
    households: Mapped[list[CoopHousehold]] = relationship(
        back_populates="lot", order_by="CoopHousehold.id", cascade="all, delete-orphan", lazy="selectin"
    )


class CoopHousehold(TimestampMixin, Model):
    """A household (a garden) bringing part of the harvest; paid by bank transfer when it has an account."""

    __tablename__ = "coop_households"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("coop_lots.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    village: Mapped[str] = mapped_column(sa.String(80))
    phone: Mapped[str | None] = mapped_column(sa.String(16))  # E.164
    bank_bin: Mapped[str | None] = mapped_column(sa.String(6))  # NAPAS BIN from data/vn_banks.csv
    account_number: Mapped[str | None] = mapped_column(sa.String(19))
    account_holder: Mapped[str | None] = mapped_column(sa.String(50))

    lot: Mapped[CoopLot] = relationship(back_populates="households")
    contributions: Mapped[list[CoopContribution]] = relationship(
        back_populates="household",
        cascade="all, delete-orphan",
        order_by=lambda: [CoopContribution.contributed_on, CoopContribution.id],
        lazy="selectin",
    )

    @property
    def has_bank(self) -> bool:
        return bool(self.bank_bin and self.account_number and self.account_holder)

    @property
    def contributed_g(self) -> int:
        return sum(c.grams for c in self.contributions)


class CoopContribution(TimestampMixin, Model):
    """Kilograms one household brought on one day. Sales are allocated to contributions first come, first
    served: by ``contributed_on``, then by id (the order they were recorded in)."""

    __tablename__ = "coop_contributions"
    __table_args__ = (
        sa.CheckConstraint("grams > 0", name="grams_positive"),
        sa.Index("ix_coop_contributions_queue", "lot_id", "contributed_on", "id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("coop_lots.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("coop_households.id", ondelete="CASCADE"), index=True
    )
    grams: Mapped[int] = mapped_column(sa.BigInteger)
    contributed_on: Mapped[date] = mapped_column(sa.Date)

    household: Mapped[CoopHousehold] = relationship(back_populates="contributions")

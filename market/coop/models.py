"""Co-op lots: one listing whose stock is the harvest many households bring, and who brought how much."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin
from market.extensions import db


class CoopLot(TimestampMixin, db.Model):
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

    id = sa.Column(sa.Integer, primary_key=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, unique=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    unit_g = sa.Column(sa.Integer, nullable=False)  # grams per unit of the product's stock
    contributed_g = sa.Column(sa.BigInteger, nullable=False, default=0)  # sum of the contributions, grams
    # What the co-op pays carriers, per kilogram sold: taken from each household's payout by its kilograms.
    shipping_vnd_per_kg = sa.Column(sa.BigInteger, nullable=False, default=0)

    product = relationship("Product", lazy="joined")
    seller = relationship("SellerProfile")
    households = relationship("CoopHousehold", back_populates="lot", order_by="CoopHousehold.id",
                              cascade="all, delete-orphan", lazy="selectin")


class CoopHousehold(TimestampMixin, db.Model):
    """A household (a garden) bringing part of the harvest; paid by bank transfer when it has an account."""

    __tablename__ = "coop_households"

    id = sa.Column(sa.Integer, primary_key=True)
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("coop_lots.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(80), nullable=False)
    village = sa.Column(sa.String(80), nullable=False)
    phone = sa.Column(sa.String(16), nullable=True)  # E.164
    bank_bin = sa.Column(sa.String(6), nullable=True)  # NAPAS BIN from data/vn_banks.csv
    account_number = sa.Column(sa.String(19), nullable=True)
    account_holder = sa.Column(sa.String(50), nullable=True)

    lot = relationship("CoopLot", back_populates="households")
    contributions = relationship("CoopContribution", back_populates="household", cascade="all, delete-orphan",
                                 order_by=lambda: [CoopContribution.contributed_on, CoopContribution.id],
                                 lazy="selectin")

    @property
    def has_bank(self) -> bool:
        return bool(self.bank_bin and self.account_number and self.account_holder)

    @property
    def contributed_g(self) -> int:
        return sum(c.grams for c in self.contributions)


class CoopContribution(TimestampMixin, db.Model):
    """Kilograms one household brought on one day. Sales are allocated to contributions first come, first
    served: by ``contributed_on``, then by id (the order they were recorded in)."""

    __tablename__ = "coop_contributions"
    __table_args__ = (
        sa.CheckConstraint("grams > 0", name="grams_positive"),
        sa.Index("ix_coop_contributions_queue", "lot_id", "contributed_on", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    lot_id = sa.Column(sa.Integer, sa.ForeignKey("coop_lots.id", ondelete="CASCADE"), nullable=False)
    household_id = sa.Column(sa.Integer, sa.ForeignKey("coop_households.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    grams = sa.Column(sa.BigInteger, nullable=False)
    contributed_on = sa.Column(sa.Date, nullable=False)

    household = relationship("CoopHousehold", back_populates="contributions")

"""Products and their photos."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import DynamicMapped, Mapped, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model

if TYPE_CHECKING:
    from market.accounts.models import Commune, SellerProfile, User


class Category(enum.StrEnum):
    DURIAN = "durian"
    COFFEE = "coffee"
    PEPPER = "pepper"
    HONEY = "honey"
    AVOCADO = "avocado"
    MACADAMIA = "macadamia"
    BROCADE = "brocade"  # brocade and textiles
    HANDICRAFT = "handicraft"
    OTHER = "other"


class Unit(enum.StrEnum):
    KG = "kg"
    BOX = "box"
    BAG = "bag"
    PIECE = "piece"
    FRUIT = "fruit"  # a whole fruit (a durian, a jackfruit): sellers write "trái", not "cái"
    METRE = "metre"


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"  # the seller is still writing it
    PENDING_REVIEW = "pending_review"  # submitted; commune staff review it
    APPROVED = "approved"  # visible to buyers
    REJECTED = "rejected"  # not visible; the seller reads the reason, edits and resubmits
    ARCHIVED = "archived"  # withdrawn by the seller or staff; kept for past orders


class Product(TimestampMixin, Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price_vnd > 0", name="price_positive"),
        sa.CheckConstraint("min_order_qty >= 1", name="min_order_positive"),
        sa.CheckConstraint(
            "piece_weight_g IS NULL OR (piece_weight_g > 0 AND price_per_kg_vnd > 0 "
            "AND weight_tolerance_pct BETWEEN 1 AND 50)",
            name="by_weight_complete",
        ),
        sa.Index("ix_products_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(140))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category] = mapped_column(StrEnumType(Category, 20), default=Category.OTHER, index=True)
    unit: Mapped[Unit] = mapped_column(StrEnumType(Unit, 10), default=Unit.KG)
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger)  # đồng per unit; VND has no minor unit
    stock: Mapped[int] = mapped_column(sa.Integer, default=0)  # units available to sell now
    min_order_qty: Mapped[int] = mapped_column(sa.Integer, default=1)
    # Sold by the piece, priced by weight ("1 trái ~3 kg", 150.000 ₫/kg): the estimated weight of one unit in
    # grams, the price per kilogram and how far (± percent) the weighed amount may stray without asking the
    # buyer. NULL: an ordinary product. ``price_vnd`` is then the estimated price of one unit.
    piece_weight_g: Mapped[int | None] = mapped_column(sa.Integer)
    price_per_kg_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    weight_tolerance_pct: Mapped[int | None] = mapped_column(sa.SmallInteger)
    origin: Mapped[str] = mapped_column(sa.String(200), default="")
    harvest_date: Mapped[date | None] = mapped_column(sa.Date)
    ocop_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)  # None, 3, 4 or 5: claimed by the seller
    ocop_certificate_no: Mapped[str | None] = mapped_column(sa.String(60))
    # What commune staff checked against the certificate (moderation's OCOP verification). The claim above
    # counts as verified only while it still equals what was checked and the certificate has not expired
    # (``ocop.ocop_state``): a seller editing the claim, or time passing, never leaves a stale "verified".
    ocop_verified_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ocop_verified_certificate_no: Mapped[str | None] = mapped_column(sa.String(60))
    ocop_issued_on: Mapped[date | None] = mapped_column(sa.Date)
    ocop_expires_on: Mapped[date | None] = mapped_column(sa.Date)
    # Who checked it: the audit log (ocop.verify).
    ocop_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[ProductStatus] = mapped_column(
        StrEnumType(ProductStatus, 20), default=ProductStatus.DRAFT, index=True
    )
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    # Staff who listed it for a villager without a smartphone (assisted mode); None when the seller did.
    created_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    # Title, description, shop and commune folded to lower-case ASCII: diacritic-free search on any database.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # The title alone, folded the same way: a match here ranks above a match in the description.
    search_title: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")

    seller: Mapped[SellerProfile] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product", order_by="ProductPhoto.position", cascade="all, delete-orphan", lazy="selectin"
    )
    events: DynamicMapped[ProductEvent] = relationship(
        back_populates="product", order_by="ProductEvent.id", cascade="all, delete-orphan", lazy="dynamic"
    )

    @property
    def is_visible(self) -> bool:
        return self.status == ProductStatus.APPROVED

    @property
    def by_weight(self) -> bool:
        """Sold by the piece at an estimated weight; the amount is settled when the seller weighs it."""
        return self.piece_weight_g is not None

    @property
    def commune(self) -> Commune:
        return self.seller.commune

    @property
    def cover(self) -> ProductPhoto | None:
        """The first photo, shown on cards and in share previews (None when there is none)."""
        return self.photos[0] if self.photos else None

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.title!r} {self.status}>"


class PhotoColumns:
    """What a stored photo is: its place in the gallery, the content hash naming its files (images.py: several
    sizes and formats) and the size of its largest variant. Listings and brand pages have such photos."""

    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    image_hash: Mapped[str] = mapped_column(sa.String(64))
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)


class ProductPhoto(PhotoColumns, TimestampMixin, Model):
    """One photo of a product."""

    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)

    product: Mapped[Product] = relationship(back_populates="photos")


class ProductEvent(Model):
    """One transition of a listing (submitted, approved, rejected, sent back to review, archived) and who did it."""

    __tablename__ = "product_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[ProductStatus | None] = mapped_column(StrEnumType(ProductStatus, 20))
    to_status: Mapped[ProductStatus] = mapped_column(StrEnumType(ProductStatus, 20))
    by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    product: Mapped[Product] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship(lazy="joined")

"""Products and their photos."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db


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


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price_vnd > 0", name="price_positive"),
        sa.CheckConstraint("min_order_qty >= 1", name="min_order_positive"),
        sa.CheckConstraint("piece_weight_g IS NULL OR (piece_weight_g > 0 AND price_per_kg_vnd > 0 "
                           "AND weight_tolerance_pct BETWEEN 1 AND 50)", name="by_weight_complete"),
        sa.Index("ix_products_status_created", "status", "created_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    title = sa.Column(sa.String(120), nullable=False)
    slug = sa.Column(sa.String(140), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    category = sa.Column(sa.String(20), nullable=False, default=Category.OTHER, index=True)
    unit = sa.Column(sa.String(10), nullable=False, default=Unit.KG)
    price_vnd = sa.Column(sa.BigInteger, nullable=False)  # đồng per unit; VND has no minor unit
    stock = sa.Column(sa.Integer, nullable=False, default=0)  # units available to sell now
    min_order_qty = sa.Column(sa.Integer, nullable=False, default=1)
    # Sold by the piece, priced by weight ("1 trái ~3 kg", 150.000 ₫/kg): the estimated weight of one unit in
    # grams, the price per kilogram and how far (± percent) the weighed amount may stray without asking the
    # buyer. NULL: an ordinary product. ``price_vnd`` is then the estimated price of one unit.
    piece_weight_g = sa.Column(sa.Integer, nullable=True)
    price_per_kg_vnd = sa.Column(sa.BigInteger, nullable=True)
    weight_tolerance_pct = sa.Column(sa.SmallInteger, nullable=True)
    origin = sa.Column(sa.String(200), nullable=False, default="")
    harvest_date = sa.Column(sa.Date, nullable=True)
    ocop_stars = sa.Column(sa.SmallInteger, nullable=True)  # None, 3, 4 or 5: claimed by the seller
    ocop_certificate_no = sa.Column(sa.String(60), nullable=True)
    # What commune staff checked against the certificate (moderation's OCOP verification). The claim above
    # counts as verified only while it still equals what was checked and the certificate has not expired
    # (``service.ocop_state``): a seller editing the claim, or time passing, never leaves a stale "verified".
    ocop_verified_stars = sa.Column(sa.SmallInteger, nullable=True)
    ocop_verified_certificate_no = sa.Column(sa.String(60), nullable=True)
    ocop_issued_on = sa.Column(sa.Date, nullable=True)
    ocop_expires_on = sa.Column(sa.Date, nullable=True)
    ocop_verified_at = sa.Column(UTCDateTime(), nullable=True)  # who checked it: the audit log (ocop.verify)
    status = sa.Column(sa.String(20), nullable=False, default=ProductStatus.DRAFT, index=True)
    rejection_reason = sa.Column(sa.String(500), nullable=True)
    submitted_at = sa.Column(UTCDateTime(), nullable=True)
    approved_at = sa.Column(UTCDateTime(), nullable=True)
    reviewed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    # Staff who listed it for a villager without a smartphone (assisted mode); None when the seller did.
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    # Title, description, shop and commune folded to lower-case ASCII: diacritic-free search on any database.
    search_text = sa.Column(sa.Text, nullable=False, default="")
    # The title alone, folded the same way: a match here ranks above a match in the description.
    search_title = sa.Column(sa.String(160), nullable=False, default="", server_default="")

    seller = relationship("SellerProfile", lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    photos = relationship("ProductPhoto", back_populates="product", order_by="ProductPhoto.position",
                          cascade="all, delete-orphan", lazy="selectin")
    events = relationship("ProductEvent", back_populates="product", order_by="ProductEvent.id",
                          cascade="all, delete-orphan", lazy="dynamic")

    @property
    def is_visible(self) -> bool:
        return self.status == ProductStatus.APPROVED

    @property
    def by_weight(self) -> bool:
        """Sold by the piece at an estimated weight; the amount is settled when the seller weighs it."""
        return self.piece_weight_g is not None

    @property
    def commune(self):
        return self.seller.commune

    @property
    def cover(self):
        """The first photo, shown on cards and in share previews (None when there is none)."""
        return self.photos[0] if self.photos else None

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.title!r} {self.status}>"


class PhotoColumns:
    """What a stored photo is: its place in the gallery, the content hash naming its files (images.py: several
    sizes and formats) and the size of its largest variant. Listings and brand pages have such photos."""

    position = sa.Column(sa.Integer, nullable=False, default=0)
    image_hash = sa.Column(sa.String(64), nullable=False)
    width = sa.Column(sa.Integer, nullable=False)
    height = sa.Column(sa.Integer, nullable=False)


class ProductPhoto(PhotoColumns, TimestampMixin, db.Model):
    """One photo of a product."""

    __tablename__ = "product_photos"

    id = sa.Column(sa.Integer, primary_key=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)

    product = relationship("Product", back_populates="photos")


class ProductEvent(db.Model):
    """One transition of a listing (submitted, approved, rejected, sent back to review, archived) and who did it."""

    __tablename__ = "product_events"

    id = sa.Column(sa.Integer, primary_key=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)
    action = sa.Column(sa.String(20), nullable=False)
    from_status = sa.Column(sa.String(20), nullable=True)
    to_status = sa.Column(sa.String(20), nullable=False)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reason = sa.Column(sa.String(500), nullable=True)
    at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    product = relationship("Product", back_populates="events")
    by = relationship("User", lazy="joined")

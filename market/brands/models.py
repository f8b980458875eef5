"""Commune brands (a KOL's page over several shops and their products) and follows of brands, shops, communes."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.catalog.models import PhotoColumns
from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db


class Brand(TimestampMixin, db.Model):
    """A commune brand ("Ami kao Durian"): made and edited by one KOL, over shops of the same commune."""

    __tablename__ = "brands"

    id = sa.Column(sa.Integer, primary_key=True)
    # The commune of the KOL's shop when the brand was made; every member shop belongs to it.
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id"), nullable=False, index=True)
    # The KOL's shop: only its owner, while verified as KOL, edits the brand.
    kol_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    name = sa.Column(sa.String(80), nullable=False)
    slug = sa.Column(sa.String(60), nullable=False, unique=True)  # /b/<slug>
    story = sa.Column(sa.Text, nullable=False, default="")

    commune = relationship("Commune", lazy="joined")
    kol = relationship("SellerProfile", lazy="joined")
    photos = relationship("BrandPhoto", back_populates="brand", order_by="BrandPhoto.position",
                          cascade="all, delete-orphan", lazy="selectin")

    @property
    def cover(self):
        return self.photos[0] if self.photos else None

    @property
    def is_visible(self) -> bool:
        """Shown while the KOL's shop is open: staff suspending it (or banning the KOL) hides the brand too."""
        return self.kol.is_approved and not self.kol.user.is_banned

    def __repr__(self) -> str:
        return f"<Brand {self.slug}>"


class BrandPhoto(PhotoColumns, TimestampMixin, db.Model):
    """One photo of a brand; the files are the catalog's (catalog/images.py)."""

    __tablename__ = "brand_photos"

    id = sa.Column(sa.Integer, primary_key=True)
    brand_id = sa.Column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=False, index=True)

    brand = relationship("Brand", back_populates="photos")


class BrandShop(db.Model):
    """A shop under a brand. The KOL adds shops of the brand's commune; a shop may leave."""

    __tablename__ = "brand_shops"
    __table_args__ = (sa.UniqueConstraint("brand_id", "seller_id", name="uq_brand_shops_brand_seller"),)

    id = sa.Column(sa.Integer, primary_key=True)
    brand_id = sa.Column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=False)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    added_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    brand = relationship("Brand")
    seller = relationship("SellerProfile", lazy="joined")


class BrandProduct(db.Model):
    """A product shown under a brand (the catalog itself knows nothing of brands)."""

    __tablename__ = "brand_products"
    __table_args__ = (sa.UniqueConstraint("brand_id", "product_id", name="uq_brand_products_brand_product"),)

    id = sa.Column(sa.Integer, primary_key=True)
    brand_id = sa.Column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), nullable=False)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True)
    added_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    product = relationship("Product")


class FollowKind(enum.StrEnum):
    BRAND = "brand"
    SHOP = "shop"  # target_id: seller_profiles.id
    COMMUNE = "commune"


class Follow(db.Model):
    """Someone follows a brand, a shop or a commune: they hear when a live session of it starts."""

    __tablename__ = "follows"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "target_type", "target_id", name="uq_follows_user_target"),
        sa.CheckConstraint("target_type IN ('brand', 'shop', 'commune')", name="target_type_known"),
        sa.Index("ix_follows_target", "target_type", "target_id", "user_id"),
        # Never reuse an id (SQLite would, after the newest row is deleted): an old unsubscribe link names
        # its follow by id, and must not stop the follow made when the person followed again.
        {"sqlite_autoincrement": True},
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    target_type = sa.Column(sa.String(10), nullable=False)
    target_id = sa.Column(sa.Integer, nullable=False)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<Follow {self.user_id} → {self.target_type} {self.target_id}>"


class LiveAlert(db.Model):
    """When a follower was last told that a host went live: at most one alert per follower, host and hour."""

    __tablename__ = "follow_live_alerts"
    __table_args__ = (sa.UniqueConstraint("user_id", "seller_id", name="uq_follow_live_alerts_user_seller"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="SET NULL"), nullable=True)
    sent_at = sa.Column(UTCDateTime(), nullable=False)

"""Commune brands (a KOL's page over several shops and their products) and follows of brands, shops, communes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import PhotoColumns
from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model

if TYPE_CHECKING:
    from market.accounts.models import Commune, SellerProfile
    from market.catalog.models import Product


class Brand(TimestampMixin, Model):
    """A commune brand ("Ami kao Durian"): made and edited by one KOL, over shops of the same commune."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    # The commune of the KOL's shop when the brand was made; every member shop belongs to it.
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id"), index=True)
    # The KOL's shop: only its owner, while verified as KOL, edits the brand.
    kol_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)  # /b/<slug>
    story: Mapped[str] = mapped_column(sa.Text, default="")

    commune: Mapped[Commune] = relationship(lazy="joined")
    kol: Mapped[SellerProfile] = relationship(lazy="joined")
    photos: Mapped[list[BrandPhoto]] = relationship(
        back_populates="brand", order_by="BrandPhoto.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def cover(self) -> BrandPhoto | None:
        return self.photos[0] if self.photos else None

    @property
    def is_visible(self) -> bool:
        """Shown while the KOL's shop is open: staff suspending it (or banning the KOL) hides the brand too."""
        return self.kol.is_approved and not self.kol.user.is_banned

    def __repr__(self) -> str:
        return f"<Brand {self.slug}>"


class BrandPhoto(PhotoColumns, TimestampMixin, Model):
    """One photo of a brand; the files are the catalog's (catalog/images.py)."""

    __tablename__ = "brand_photos"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"), index=True)

    brand: Mapped[Brand] = relationship(back_populates="photos")


class BrandShop(Model):
    """A shop under a brand. The KOL adds shops of the brand's commune; a shop may leave."""

    __tablename__ = "brand_shops"
    __table_args__ = (sa.UniqueConstraint("brand_id", "seller_id", name="uq_brand_shops_brand_seller"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    brand: Mapped[Brand] = relationship()
    seller: Mapped[SellerProfile] = relationship(lazy="joined")


class BrandProduct(Model):
    """A product shown under a brand (the catalog itself knows nothing of brands)."""

    __tablename__ = "brand_products"
    __table_args__ = (sa.UniqueConstraint("brand_id", "product_id", name="uq_brand_products_brand_product"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("brands.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    product: Mapped[Product] = relationship()


class FollowKind(enum.StrEnum):
    BRAND = "brand"
    SHOP = "shop"  # target_id: seller_profiles.id
    COMMUNE = "commune"


class Follow(Model):
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

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Follow {self.user_id} → {self.target_type} {self.target_id}>"


class LiveAlert(Model):
    """When a follower was last told that a host went live: at most one alert per follower, host and hour."""

    __tablename__ = "follow_live_alerts"
    __table_args__ = (sa.UniqueConstraint("user_id", "seller_id", name="uq_follow_live_alerts_user_seller"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

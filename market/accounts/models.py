"""People and places: users with their roles, communes, seller profiles and staff assignments."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import DynamicMapped, Mapped, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime
from market.extensions import Model


class Role(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"
    ADMIN = "admin"


class SellerStatus(enum.StrEnum):
    PENDING = "pending"  # applied, waiting for commune staff
    APPROVED = "approved"  # may list products and host live sessions
    SUSPENDED = "suspended"  # hidden; cannot sell until staff restore


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(16), unique=True)  # E.164, e.g. +84912345678
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    is_staff: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Bumped on logout, password change and ban: every cookie and token minted before is refused.
    auth_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    banned_reason: Mapped[str | None] = mapped_column(sa.String(500))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a one-time code last proved this person holds the number (sign-in by code, claim, phone change).
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    seller_profile: Mapped[SellerProfile | None] = relationship(
        back_populates="user", lazy="selectin", foreign_keys="SellerProfile.user_id"
    )
    staff_assignments: Mapped[list[StaffAssignment]] = relationship(
        back_populates="user", lazy="selectin", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    @property
    def has_password(self) -> bool:
        """False for accounts staff or a phone order opened (``!…``: no password ever matches) and for people
        who signed up with a code only; they sign in with a code."""
        return not self.password_hash.startswith("!")

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.is_banned

    @property
    def is_seller(self) -> bool:
        return self.seller_profile is not None and self.seller_profile.status == SellerStatus.APPROVED

    @property
    def is_kol(self) -> bool:
        profile = self.seller_profile
        return profile is not None and profile.is_approved and profile.is_kol

    @property
    def roles(self) -> set[Role]:
        roles = {Role.BUYER}
        if self.is_seller:
            roles.add(Role.SELLER)
        if self.is_staff:
            roles.add(Role.STAFF)
        if self.is_admin:
            roles.add(Role.ADMIN)
        return roles

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    @property
    def staff_commune_ids(self) -> set[int]:
        """Communes this user may act in as staff; an admin acts everywhere (see ``can_staff``)."""
        if not self.is_staff:
            return set()
        return {a.commune_id for a in self.staff_assignments}

    def can_staff(self, commune_id: int | None) -> bool:
        if self.is_admin:
            return True
        return commune_id is not None and commune_id in self.staff_commune_ids

    def __repr__(self) -> str:
        return f"<User {self.id} {self.phone}>"


class Commune(TimestampMixin, Model):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    province: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    sellers: DynamicMapped[SellerProfile] = relationship(back_populates="commune", lazy="dynamic")

    def __repr__(self) -> str:
        return f"<Commune {self.slug}>"


class SellerProfile(TimestampMixin, Model):
    __tablename__ = "seller_profiles"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id"), index=True)
    shop_name: Mapped[str] = mapped_column(sa.String(80))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    story: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[SellerStatus] = mapped_column(StrEnumType(SellerStatus, 16), default=SellerStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    is_kol: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="seller_profile", foreign_keys=[user_id])
    commune: Mapped[Commune] = relationship(back_populates="sellers", lazy="joined")

    @property
    def is_approved(self) -> bool:
        return self.status == SellerStatus.APPROVED

    def __repr__(self) -> str:
        return f"<SellerProfile {self.slug} {self.status}>"


class StaffAssignment(TimestampMixin, Model):
    """Staff act only in the communes they are assigned to."""

    __tablename__ = "staff_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "commune_id", name="uq_staff_assignments_user_commune"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(back_populates="staff_assignments")
    commune: Mapped[Commune] = relationship(lazy="joined")


class PhoneCode(Model):
    """One SMS code sent to a number (see ``accounts/codes.py``): only its HMAC is kept."""

    __tablename__ = "phone_codes"
    __table_args__ = (sa.Index("ix_phone_codes_phone_purpose", "phone", "purpose", "id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(16))  # E.164: where the code went
    purpose: Mapped[str] = mapped_column(sa.String(16))  # codes.Purpose
    # The account that asked (a phone change, a password change); None when anyone may ask (sign-in, reset).
    user_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

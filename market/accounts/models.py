"""People and places: users with their roles, communes, seller profiles and staff assignments."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime
from market.extensions import db


class Role(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"
    ADMIN = "admin"


class SellerStatus(enum.StrEnum):
    PENDING = "pending"  # applied, waiting for commune staff
    APPROVED = "approved"  # may list products and host live sessions
    SUSPENDED = "suspended"  # hidden; cannot sell until staff restore


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    phone = sa.Column(sa.String(16), nullable=False, unique=True)  # E.164, e.g. +84912345678
    display_name = sa.Column(sa.String(80), nullable=False)
    password_hash = sa.Column(sa.String(255), nullable=False)
    locale = sa.Column(sa.String(5), nullable=False, default="vi")
    is_staff = sa.Column(sa.Boolean, nullable=False, default=False)
    is_admin = sa.Column(sa.Boolean, nullable=False, default=False)
    # Bumped on logout, password change and ban: every cookie and token minted before is refused.
    auth_version = sa.Column(sa.Integer, nullable=False, default=1)
    banned_at = sa.Column(UTCDateTime(), nullable=True)
    banned_reason = sa.Column(sa.String(500), nullable=True)
    last_login_at = sa.Column(UTCDateTime(), nullable=True)
    # When a one-time code last proved this person holds the number (sign-in by code, claim, phone change).
    phone_verified_at = sa.Column(UTCDateTime(), nullable=True)

    seller_profile = relationship("SellerProfile", back_populates="user", uselist=False, lazy="selectin",
                                  foreign_keys="SellerProfile.user_id")
    staff_assignments = relationship("StaffAssignment", back_populates="user", lazy="selectin",
                                     cascade="all, delete-orphan")

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
        return self.is_seller and self.seller_profile.is_kol

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


class Commune(TimestampMixin, db.Model):
    __tablename__ = "communes"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    province = sa.Column(sa.String(120), nullable=False)
    slug = sa.Column(sa.String(140), nullable=False, unique=True)
    description = sa.Column(sa.Text, nullable=False, default="")

    sellers = relationship("SellerProfile", back_populates="commune", lazy="dynamic")

    def __repr__(self) -> str:
        return f"<Commune {self.slug}>"


class SellerProfile(TimestampMixin, db.Model):
    __tablename__ = "seller_profiles"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id"), nullable=False, index=True)
    shop_name = sa.Column(sa.String(80), nullable=False)
    slug = sa.Column(sa.String(100), nullable=False, unique=True)
    story = sa.Column(sa.Text, nullable=False, default="")
    status = sa.Column(sa.String(16), nullable=False, default=SellerStatus.PENDING)
    status_reason = sa.Column(sa.String(500), nullable=True)
    is_kol = sa.Column(sa.Boolean, nullable=False, default=False)
    reviewed_at = sa.Column(UTCDateTime(), nullable=True)
    reviewed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)

    user = relationship("User", back_populates="seller_profile", foreign_keys=[user_id])
    commune = relationship("Commune", back_populates="sellers", lazy="joined")

    @property
    def is_approved(self) -> bool:
        return self.status == SellerStatus.APPROVED

    def __repr__(self) -> str:
        return f"<SellerProfile {self.slug} {self.status}>"


class StaffAssignment(TimestampMixin, db.Model):
    """Staff act only in the communes they are assigned to."""

    __tablename__ = "staff_assignments"
    __table_args__ = (sa.UniqueConstraint("user_id", "commune_id", name="uq_staff_assignments_user_commune"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"), nullable=False,
                           index=True)

    user = relationship("User", back_populates="staff_assignments")
    commune = relationship("Commune", lazy="joined")


class PhoneCode(db.Model):
    """One SMS code sent to a number (see ``accounts/codes.py``): only its HMAC is kept."""

    __tablename__ = "phone_codes"
    __table_args__ = (sa.Index("ix_phone_codes_phone_purpose", "phone", "purpose", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    phone = sa.Column(sa.String(16), nullable=False)  # E.164: where the code went
    purpose = sa.Column(sa.String(16), nullable=False)  # codes.Purpose
    # The account that asked (a phone change, a password change); None when anyone may ask (sign-in, reset).
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    code_hash = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(UTCDateTime(), nullable=False)
    expires_at = sa.Column(UTCDateTime(), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    used_at = sa.Column(UTCDateTime(), nullable=True)

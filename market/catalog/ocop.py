"""OCOP: the stars a seller claims for a listing, and what commune staff verified against the certificate.

The catalog keeps both on the product; the moderation area decides and audits (``moderation/ocop/``). Whether a
claim shows as verified is computed (``ocop_state``), never stored: a seller editing the claim, or the
certificate's expiry passing, turns it back into "claimed" or "expired" with no job to run.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db

OCOP_STARS = (3, 4, 5)
CERTIFICATE_MAX = 60
OCOP_LEVELS = {3: _l("3 stars: district level"), 4: _l("4 stars: province level"), 5: _l("5 stars: national level")}


def ocop_level_label(stars: int) -> str:
    return str(OCOP_LEVELS.get(stars, stars))


def local_today() -> date:
    """Today in the market's time zone (an OCOP certificate is valid through its expiry day, local time)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")).date()


def _ocop_matches(product: Product) -> bool:
    return bool(
        product.ocop_stars
        and product.ocop_verified_stars == product.ocop_stars
        and product.ocop_verified_certificate_no == product.ocop_certificate_no
        and product.ocop_expires_on is not None
    )


def ocop_state(product: Product, today: date | None = None) -> str:
    """ "none" (no claim), "claimed" (not checked, or changed since), "verified" (checked and valid today) or
    "expired" (checked, but the certificate's validity has passed). Only "verified" may be shown as such."""
    if not product.ocop_stars:
        return "none"
    expires_on = product.ocop_expires_on
    if not _ocop_matches(product) or expires_on is None:  # (a match has an expiry: this tells mypy)
        return "claimed"
    return "verified" if expires_on >= (today or local_today()) else "expired"


def ocop_unverified_clause(today: date) -> sa.ColumnElement[bool]:
    """SQL: listings whose OCOP claim is not verified today (for the staff queue of claims to check)."""
    return sa.and_(
        Product.ocop_stars.is_not(None),
        sa.or_(
            Product.ocop_verified_stars.is_(None),
            Product.ocop_verified_stars != Product.ocop_stars,
            Product.ocop_verified_certificate_no.is_(None),
            Product.ocop_verified_certificate_no != Product.ocop_certificate_no,
            Product.ocop_expires_on.is_(None),
            Product.ocop_expires_on < today,
        ),
    )


def record_ocop_verification(product: Product, issued_on: date, expires_on: date) -> None:
    """Staff checked the claim as it stands against the certificate (moderation decides and audits)."""
    product.ocop_verified_stars = product.ocop_stars
    product.ocop_verified_certificate_no = product.ocop_certificate_no
    product.ocop_issued_on = issued_on
    product.ocop_expires_on = expires_on
    product.ocop_verified_at = utcnow()
    db.session.flush()


def remove_ocop_claim(product: Product) -> None:
    """Staff refused the claim: the stars come off the listing with any earlier verification (the seller may
    claim again; that edit sends the listing back to review like any other)."""
    product.ocop_stars = product.ocop_certificate_no = None
    product.ocop_verified_stars = product.ocop_verified_certificate_no = None
    product.ocop_issued_on = product.ocop_expires_on = product.ocop_verified_at = None
    db.session.flush()

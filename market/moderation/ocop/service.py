"""OCOP verification: staff check a listing's "One Commune One Product" claim against the certificate.

A seller claims 3, 4 or 5 stars with a certificate number (catalog). Staff hold the certificate in their hands
(or the province's list) and record what it says: its number, its level (3★ district, 4★ province, 5★
national — the council that awarded it) and its issue date. A certificate is valid for 36 months from that
date, so the expiry is computed, never typed. Verification is refused when the certificate does not match the
claim (staff refuse the claim instead, and the seller corrects it) or has already expired. Buyers see
"verified, valid until …" only while the check still matches the claim and the expiry has not passed
(``catalog.ocop.ocop_state``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from market.catalog import ocop as catalog_ocop
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.moderation import audit
from market.moderation.decisions import check_reason
from market.moderation.scope import scoped
from market.moderation.signals import tell
from market.text import clean_line

VALID_YEARS = 3
OCOP_FIRST_YEAR = 2018  # the national OCOP programme (Decision 490/QĐ-TTg) started awarding stars in 2018
VERIFIABLE = (ProductStatus.PENDING_REVIEW, ProductStatus.APPROVED)


def expiry_of(issued_on: date) -> date:
    """Three years after issue (a certificate issued on 29 February runs until 28 February)."""
    try:
        return issued_on.replace(year=issued_on.year + VALID_YEARS)
    except ValueError:
        return issued_on.replace(year=issued_on.year + VALID_YEARS, day=28)


def _same_number(a: str | None, b: str | None) -> bool:
    """Certificate numbers as people copy them: case, spaces and dashes do not matter."""

    def norm(s):
        return "".join(ch for ch in (s or "").casefold() if ch.isalnum())

    return bool(norm(a)) and norm(a) == norm(b)


def parse_issue_date(raw: object) -> date:
    if isinstance(raw, date):
        return raw
    text = clean_line(raw if isinstance(raw, str) else None)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise DomainError(
        ErrorCode.INVALID, _("Enter the issue date printed on the certificate, such as 15/03/2025."), field="issued_on"
    )


def verify(
    product: Product, by, *, certificate_no: object, stars: object, issued_on: object, today: date | None = None
) -> Product:
    """Record that the certificate in hand matches the claim; audited, the seller is told."""
    today = today or catalog_ocop.local_today()
    if not product.ocop_stars:
        raise DomainError(ErrorCode.INVALID, _("This listing claims no OCOP stars."), status=409)
    if product.status not in VERIFIABLE:
        raise DomainError(
            ErrorCode.INVALID, _("Only a listing on sale or waiting for review can be verified."), status=409
        )
    number = clean_line(certificate_no if isinstance(certificate_no, str) else None)
    if not number:
        raise DomainError(ErrorCode.INVALID, _("Enter the certificate number."), field="certificate_no")
    if len(number) > catalog_ocop.CERTIFICATE_MAX:
        raise DomainError(
            ErrorCode.INVALID,
            _("A certificate number can have at most %(n)d characters.", n=catalog_ocop.CERTIFICATE_MAX),
            field="certificate_no",
        )
    try:
        level = int(stars) if not isinstance(stars, bool) else None
    except (TypeError, ValueError):
        level = None
    if level not in catalog_ocop.OCOP_STARS:
        raise DomainError(ErrorCode.INVALID, _("Choose the level printed on the certificate."), field="stars")
    issued = parse_issue_date(issued_on)
    if issued > today:
        raise DomainError(ErrorCode.INVALID, _("The issue date cannot be in the future."), field="issued_on")
    if issued.year < OCOP_FIRST_YEAR:
        raise DomainError(
            ErrorCode.INVALID,
            _("OCOP certificates exist since %(year)d; check the issue date.", year=OCOP_FIRST_YEAR),
            field="issued_on",
        )
    expires = expiry_of(issued)
    if expires < today:
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "This certificate expired on %(date)s; an expired certificate cannot be verified.",
                date=expires.strftime("%d/%m/%Y"),
            ),
            field="issued_on",
        )
    if not _same_number(number, product.ocop_certificate_no):
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "The seller claims certificate %(no)s. If the certificate in hand has another number, "
                "reject the claim instead.",
                no=product.ocop_certificate_no,
            ),
            field="certificate_no",
        )
    if level != product.ocop_stars:
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "The seller claims %(claimed)d stars but the certificate says %(level)d. Reject the claim "
                "so the seller corrects it.",
                claimed=product.ocop_stars,
                level=level,
            ),
            field="stars",
        )
    catalog_ocop.record_ocop_verification(product, issued, expires)
    audit.record(
        "ocop.verify",
        product,
        actor=by,
        details={
            "stars": level,
            "certificate_no": product.ocop_certificate_no,
            "issued_on": issued.isoformat(),
            "expires_on": expires.isoformat(),
        },
    )
    tell(product.seller.user_id, "ocop.verify", product.title, product.id)
    return product


def reject_claim(product: Product, by, reason: object) -> Product:
    """Refuse the claim (no such certificate, another product's, withdrawn by the province): the stars come off
    the listing, with any earlier verification; the seller reads the reason and may claim again with the right
    certificate (which staff then check)."""
    reason = check_reason(reason if isinstance(reason, str) else None)
    if not product.ocop_stars:
        raise DomainError(ErrorCode.INVALID, _("This listing claims no OCOP stars."), status=409)
    details = {
        "stars": product.ocop_stars,
        "certificate_no": product.ocop_certificate_no,
        "was_verified": catalog_ocop.ocop_state(product) == "verified",
    }
    catalog_ocop.remove_ocop_claim(product)
    audit.record("ocop.reject", product, actor=by, reason=reason, details=details)
    tell(product.seller.user_id, "ocop.reject", reason, product.id)
    return product


# ---- the queue of claims ----------------------------------------------------------------------------------


def _claims_base(user, commune_id: int | None = None) -> sa.Select:
    from market.moderation.listings.service import in_commune

    stmt = scoped(sa.select(Product), Product, user).where(
        Product.status.in_(VERIFIABLE), Product.ocop_stars.is_not(None)
    )
    return stmt.where(in_commune(commune_id)) if commune_id is not None else stmt


def claims(user, commune_id: int | None = None, limit: int = 200) -> tuple[list[Product], list[Product]]:
    """(claims to check — never verified, changed since, or expired —, verified ones, soonest expiry first)."""
    today = catalog_ocop.local_today()
    base = _claims_base(user, commune_id)
    unverified = catalog_ocop.ocop_unverified_clause(today)
    to_check = list(db.session.scalars(base.where(unverified).order_by(Product.updated_at, Product.id).limit(limit)))
    verified = list(
        db.session.scalars(base.where(sa.not_(unverified)).order_by(Product.ocop_expires_on, Product.id).limit(limit))
    )
    return to_check, verified


def to_check_count(user) -> int:
    stmt = _claims_base(user).where(catalog_ocop.ocop_unverified_clause(catalog_ocop.local_today()))
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))

"""Buyers' reports: what can be reported (a registry of target types), making a report, and handling it.

A *target type* resolves ``(id, reporter)`` to the object, its commune and a label, or to None when it does
not exist or the reporter may not see it (both answer 404, so a report form cannot probe for hidden
objects). Registered here: ``product`` (a listing), ``shop``, ``order`` and ``chat`` (a message in a live
session's chat, as long as it is shown: a removed message was handled already).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from market.accounts.models import SellerProfile, SellerStatus, User
from market.database import utcnow
from market.domain import DomainError, NotFound
from market.extensions import db
from market.moderation import audit
from market.moderation.decisions import check_reason
from market.moderation.models import OPEN_REPORT_STATUSES, Report, ReportStatus
from market.moderation.scope import parse_id, scoped
from market.moderation.signals import tell
from market.text import clean_text

TEXT_MAX = 2000
NOTE_MAX = audit.REASON_MAX

CATEGORIES: dict[str, object] = {
    "fake": _l("Fake or misleading"),
    "prohibited": _l("Not allowed to be sold"),
    "fraud": _l("Scam or fraud"),
    "abuse": _l("Abuse, harassment or hate"),
    "spam": _l("Spam or advertising"),
    "not_received": _l("I did not receive my order"),
    "not_as_described": _l("Damaged or not as described"),
    "other": _l("Something else"),
}


def category_label(name: str) -> str:
    return str(CATEGORIES.get(name, name))


def status_label(status: str) -> str:
    return {
        ReportStatus.OPEN: _("open"),
        ReportStatus.IN_REVIEW: _("being reviewed"),
        ReportStatus.RESOLVED: _("resolved"),
        ReportStatus.DISMISSED: _("dismissed"),
    }.get(status, status)


@dataclass(frozen=True)
class Target:
    obj: object
    commune_id: int
    label: str
    url: str | None = None  # where the reporter (and staff) can see it, when such a page exists


@dataclass(frozen=True)
class TargetType:
    name: str
    label: Callable[[], str]  # "a listing", for the form's heading
    resolve: Callable[[int, User], Target | None]
    categories: tuple[str, ...]
    # Staff's page for the object (the listing review page, the live moderator view …).
    staff_url: Callable[[object], str | None] = field(default=lambda obj: None)


_types: dict[str, TargetType] = {}


def register_target_type(
    name: str,
    label,
    resolve: Callable[[int, User], Target | None],
    categories: tuple[str, ...],
    staff_url: Callable[[object], str | None] | None = None,
) -> None:
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown report categories {unknown}")
    _types[name] = TargetType(
        name, label if callable(label) else (lambda: str(label)), resolve, categories, staff_url or (lambda obj: None)
    )


def target_type(name: object) -> TargetType:
    if not isinstance(name, str) or name not in _types:
        raise DomainError("invalid", _("This kind of thing cannot be reported."), field="type")
    return _types[name]


def resolve_target(type_name: object, raw_id: object, reporter: User) -> tuple[TargetType, Target]:
    """The target type and target, or a clear refusal: unknown type → 400; missing or hidden target → 404."""
    ttype = target_type(type_name)
    target_id = parse_id(raw_id)
    target = ttype.resolve(target_id, reporter) if target_id is not None else None
    if target is None:
        raise NotFound(_("What you want to report does not exist (any more)."))
    return ttype, target


def url_or_none(endpoint: str, **values) -> str | None:
    """A link to a page another area may not have built yet (the product page, the shop page)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


# ---- the target types of this branch ----------------------------------------------------------------------


def _product(target_id: int, reporter: User) -> Target | None:
    from market.catalog.models import Product, ProductStatus

    product = db.session.get(Product, target_id)
    if product is None or product.status != ProductStatus.APPROVED:
        return None
    return Target(
        product,
        product.seller.commune_id,
        product.title,
        url_or_none("catalog.product", product_id=product.id, slug=product.slug),
    )


def _shop(target_id: int, reporter: User) -> Target | None:
    profile = db.session.get(SellerProfile, target_id)
    if profile is None or profile.status != SellerStatus.APPROVED:
        return None
    return Target(
        profile,
        profile.commune_id,
        profile.shop_name,
        url_or_none("catalog.shop", slug=profile.slug) or url_or_none("catalog.commune", slug=profile.commune.slug),
    )


def _order(target_id: int, reporter: User) -> Target | None:
    from market.orders.models import Order

    order = db.session.get(Order, target_id)
    # Only the people of the order may report it (another buyer's order is a 404, as everywhere).
    if order is None or reporter.id not in (order.buyer_id, order.seller.user_id):
        return None
    return Target(
        order,
        order.seller.commune_id,
        _("Order %(code)s", code=order.code),
        url_or_none("orders.detail", order_id=order.id),
    )


def _chat(target_id: int, reporter: User) -> Target | None:
    from market.accounts.service import mask_name
    from market.live.models import ChatMessage, LiveSession

    message = db.session.get(ChatMessage, target_id)
    if message is None or message.removed_at is not None:
        return None
    session = db.session.get(LiveSession, message.session_id)
    return Target(
        message,
        session.commune_id,
        f"{mask_name(message.user.display_name)}: {message.text[:120]}",
        url_or_none("live.watch", session_id=session.id),
    )


def _live(target_id: int, reporter: User) -> Target | None:
    from market.live.models import LiveSession

    session = db.session.get(LiveSession, target_id)
    if session is None or session.seller.status != SellerStatus.APPROVED:
        return None
    return Target(session, session.commune_id, session.title, url_or_none("live.watch", session_id=session.id))


def _brand(target_id: int, reporter: User) -> Target | None:
    """Buyers report a brand page like a shop; staff act on the KOL's shop (suspending it hides the brand)."""
    from market.brands.models import Brand

    brand = db.session.get(Brand, target_id)
    if brand is None or not brand.is_visible:
        return None
    return Target(brand, brand.commune_id, brand.name, url_or_none("brands.page", slug=brand.slug))


def register() -> None:
    """What people may report (the moderation area's ``init_app`` calls it)."""
    register_target_type(
        "product",
        _l("a listing"),
        _product,
        ("fake", "prohibited", "fraud", "spam", "other"),
        staff_url=lambda p: url_or_none("staff.listing", product_id=p.id),
    )
    register_target_type(
        "shop",
        _l("a shop"),
        _shop,
        ("fraud", "fake", "abuse", "spam", "other"),
        staff_url=lambda s: url_for("staff.seller", profile_id=s.id),
    )
    register_target_type(
        "order",
        _l("a problem with an order"),
        _order,
        ("not_received", "not_as_described", "fraud", "other"),
        staff_url=lambda o: url_or_none("orders.detail", order_id=o.id),
    )  # staff see it there
    register_target_type(
        "live",
        _l("a live session"),
        _live,
        ("fraud", "fake", "prohibited", "abuse", "spam", "other"),
        staff_url=lambda session: url_or_none("staff.live_session", session_id=session.id),
    )
    register_target_type(
        "chat",
        _l("a chat message"),
        _chat,
        ("abuse", "spam", "fraud", "other"),
        staff_url=lambda m: url_or_none("staff.live_session", session_id=m.session_id),
    )
    register_target_type(
        "brand",
        _l("a brand page"),
        _brand,
        ("fake", "fraud", "abuse", "spam", "other"),
        staff_url=lambda b: url_for("staff.seller", profile_id=b.kol_id),
    )


# ---- buyers make reports ----------------------------------------------------------------------------------


def create_report(reporter: User, type_name: object, raw_id: object, category: object, text: str | None) -> Report:
    ttype, target = resolve_target(type_name, raw_id, reporter)
    if not isinstance(category, str) or category not in ttype.categories:
        raise DomainError("invalid", _("Choose what is wrong from the list."), field="category")
    text = clean_text(text)
    if len(text) > TEXT_MAX:
        raise DomainError("invalid", _("Write at most %(n)d characters.", n=TEXT_MAX), field="text")
    if category == "other" and not text:
        raise DomainError("invalid", _("Tell us what is wrong."), field="text")
    already = db.session.scalar(
        sa.select(Report.id).where(
            Report.reporter_id == reporter.id,
            Report.target_type == ttype.name,
            Report.target_id == target.obj.id,
            Report.status.in_(OPEN_REPORT_STATUSES),
        )
    )
    if already is not None:
        raise DomainError("invalid", _("You have already reported this; staff are looking at it."), status=409)
    report = Report(
        reporter_id=reporter.id,
        target_type=ttype.name,
        target_id=target.obj.id,
        target_label=target.label[:200],
        commune_id=target.commune_id,
        category=category,
        text=text,
        status=ReportStatus.OPEN,
    )
    db.session.add(report)
    db.session.flush()
    return report


def reports_of(user: User) -> list[Report]:
    """One's own reports, newest first ("My reports")."""
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.reporter_id == user.id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(200)
        )
    )


def has_reports(user: User) -> bool:
    """Whether ``user`` ever reported something (the account page links "My reports" then)."""
    return db.session.scalar(sa.select(Report.id).where(Report.reporter_id == user.id).limit(1)) is not None


# ---- staff handle them -------------------------------------------------------------------------------------

# The lists of the Reports tab: each a filter on the reports of the staff member's communes ("all": no filter).
FILTERS = {
    "open": Report.status.in_(OPEN_REPORT_STATUSES),
    "resolved": Report.status == ReportStatus.RESOLVED,
    "dismissed": Report.status == ReportStatus.DISMISSED,
}


def list_status(raw: str | None) -> str:
    """The list asked for: a key of ``FILTERS`` or "all"; anything else is the default, "open"."""
    return raw if raw in FILTERS or raw == "all" else "open"


def queue(user: User, status: str, commune_id: int | None = None) -> sa.Select:
    """The reports of ``user``'s communes (or one of them) in the list ``status``, oldest first."""
    stmt = scoped(sa.select(Report), Report, user)
    if status != "all":
        stmt = stmt.where(FILTERS[status])
    if commune_id:
        stmt = stmt.where(Report.commune_id == commune_id)
    return stmt.order_by(Report.created_at, Report.id)


def take_report(report: Report, by: User) -> Report:
    """A staff member says "I am on it": the reporter sees it is being reviewed."""
    if report.status != ReportStatus.OPEN:
        raise DomainError("invalid", _("This report is not open."), status=409)
    report.status = ReportStatus.IN_REVIEW
    report.handled_by_id = by.id
    report.handled_at = utcnow()
    db.session.flush()
    audit.record("report.take", report, actor=by)
    return report


def close_report(report: Report, by: User, outcome: object, note: str | None) -> Report:
    """Resolve or dismiss a report with a note the reporter reads."""
    if outcome not in (ReportStatus.RESOLVED, ReportStatus.DISMISSED):
        raise DomainError("invalid", _("Choose resolved or dismissed."), field="outcome")
    note = check_reason(note, message=_("Write a note; the person who reported it will read it."))
    if not report.is_open:
        raise DomainError("invalid", _("This report is already closed."), status=409)
    report.status = ReportStatus(outcome)
    report.resolution_note = note
    report.handled_by_id = by.id
    report.handled_at = utcnow()
    db.session.flush()
    audit.record(
        "report.resolve" if outcome == ReportStatus.RESOLVED else "report.dismiss",
        report,
        actor=by,
        reason=note,
        details={"target_type": report.target_type, "target_id": report.target_id},
    )
    tell(report.reporter_id, "report." + str(outcome), note, report.id)
    return report


def current_target(report: Report, viewer: User) -> Target | None:
    """The reported object as it is now, for staff (resolved as the reporter would; None if it is gone)."""
    ttype = _types.get(report.target_type)
    if ttype is None:
        return None
    return ttype.resolve(report.target_id, report.reporter)


def staff_url(report: Report, target: Target | None) -> str | None:
    ttype = _types.get(report.target_type)
    return ttype.staff_url(target.obj) if (ttype and target) else None

"""Staff decisions reach the person they are about: an in-app notification and a short SMS, in her language,
each with a link to where she acts next.

``signals.tell`` calls ``tell_now`` in the decision's transaction (the notification row commits with it; the
push and the SMS go out after commit, as ``notifications.notify`` does). Kinds without an entry here (a ban,
which logs the person out anyway) are only sent as the ``outcome`` signal.

| kind | told | link |
| --- | --- | --- |
| seller.approve / seller.restore | the shop is open | her listings |
| seller.suspend | suspended, with the reason | her shop's status page |
| seller.kol_grant / seller.kol_revoke | the KOL badge (revoked: the reason, if any) | schedule a live / shop status |
| listing.approve | on sale | the product page |
| listing.reject | not approved, with the reason | the listing's edit page |
| ocop.verify / ocop.reject | the OCOP claim checked / refused with the reason | product page / edit page |
| report.resolved / report.dismissed | the staff note | "My reports" |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from market.extensions import db
from market.notifications.service import message_kind, notify


@dataclass(frozen=True)
class Outcome:
    params: Callable[[int | None, str], dict]  # (object id, text given to tell) → the notification's params
    link: Callable[[int | None], str]


def _shop(profile_id, text) -> dict:
    from market.accounts.models import SellerProfile

    profile = db.session.get(SellerProfile, profile_id)
    return {
        "shop": profile.shop_name if profile else "",
        "commune": profile.commune.name if profile else "",
        "reason": _reason(text),
    }


def _reason(text: str | None) -> str:
    return (text or "").rstrip(" .")  # the sentence around it puts the full stop


def _listing(product_id, text) -> dict:
    from market.catalog.models import Product

    product = db.session.get(Product, product_id)
    return {"title": product.title if product else "", "reason": _reason(text)}


def _report(_report_id, text) -> dict:
    return {"note": text or ""}


def _product_page(product_id) -> str:
    return f"/p/{product_id}"  # short for an SMS; the product page sends on to its full address


def _edit_page(product_id) -> str:
    return f"/sell/products/{product_id}/edit"


OUTCOMES: dict[str, Outcome] = {
    "seller.approve": Outcome(_shop, lambda _id: "/sell/products"),
    "seller.restore": Outcome(_shop, lambda _id: "/sell/products"),
    "seller.suspend": Outcome(_shop, lambda _id: "/sell/apply"),
    "seller.kol_grant": Outcome(_shop, lambda _id: "/live/new"),
    "seller.kol_revoke": Outcome(_shop, lambda _id: "/sell/apply"),
    "listing.approve": Outcome(_listing, _product_page),
    "listing.reject": Outcome(_listing, _edit_page),
    "ocop.verify": Outcome(_listing, _product_page),
    "ocop.reject": Outcome(_listing, _edit_page),
    "report.resolved": Outcome(_report, lambda _id: "/reports"),
    "report.dismissed": Outcome(_report, lambda _id: "/reports"),
}


def tell_now(user_id: int, kind: str, text: str, object_id: int | None) -> None:
    outcome = OUTCOMES.get(kind)
    if outcome is None:
        return
    from market.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        return
    notify(user, kind, outcome.params(object_id, text), link=outcome.link(object_id), sms=True)


def _approved(p):
    return _("Your shop %(shop)s is approved. You can list your products now.", shop=p["shop"])


def _restored(p):
    return _("Your shop %(shop)s is open again.", shop=p["shop"])


def _suspended(p):
    return _("Your shop %(shop)s is suspended: %(reason)s", shop=p["shop"], reason=p["reason"])


def _kol_granted(p):
    return _("You are now the KOL of %(commune)s: you can host live sessions.", commune=p["commune"])


def _kol_revoked(p):
    if p.get("reason"):
        return _("Your KOL badge was removed: %(reason)s", reason=p["reason"])
    return _("Your KOL badge was removed.")


def _listing_approved(p):
    return _("“%(title)s” is approved and on sale.", title=p["title"])


def _listing_rejected(p):
    return _(
        "“%(title)s” was not approved: %(reason)s. Edit it and send it again.", title=p["title"], reason=p["reason"]
    )


def _ocop_verified(p):
    return _("The OCOP claim of “%(title)s” is verified.", title=p["title"])


def _ocop_refused(p):
    return _("The OCOP claim of “%(title)s” was refused: %(reason)s", title=p["title"], reason=p["reason"])


def _report_resolved(p):
    return _("Your report was handled: %(note)s", note=p["note"])


def _report_dismissed(p):
    return _("Your report was looked at, nothing was changed: %(note)s", note=p["note"])


# How each kind reads (params → one sentence in the current language).
TEXTS = {
    "seller.approve": _approved,
    "seller.restore": _restored,
    "seller.suspend": _suspended,
    "seller.kol_grant": _kol_granted,
    "seller.kol_revoke": _kol_revoked,
    "listing.approve": _listing_approved,
    "listing.reject": _listing_rejected,
    "ocop.verify": _ocop_verified,
    "ocop.reject": _ocop_refused,
    "report.resolved": _report_resolved,
    "report.dismissed": _report_dismissed,
}


def register() -> None:
    """The kinds' texts (the moderation area's ``init_app`` calls it)."""
    for kind, text in TEXTS.items():
        message_kind(kind)(text)

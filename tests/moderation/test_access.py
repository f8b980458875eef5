"""The access matrix: every staff route × {anonymous, buyer, seller, staff of the commune, staff of another
commune, admin}. Only the permitted succeed; every successful action leaves its audit entry.

Every /staff rule has a row in ``ROUTES`` (the completeness test fails for one that has not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.moderation.models import AuditEntry
from tests.conftest import login_as, post_form

ROLES = ("anonymous", "buyer", "seller", "staff", "other_staff", "admin")
STAFF_ALL = frozenset({"staff", "other_staff", "admin"})  # pages of one's own communes (lists, forms)
STAFF_A = frozenset({"staff", "admin"})  # objects of commune A: another commune's staff get a 404
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # formatted with the world's ids: {pending}, {report} …
    allowed: frozenset = STAFF_A
    data: dict = field(default_factory=dict)
    other_staff: int = 404  # what staff of another commune get when not allowed (404: not even seen)
    action: str | None = None  # the audit action a successful call writes
    rule: str | None = None  # the URL rule it exercises, when the path alone does not say

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


ROUTES = [
    Route("GET", "/staff/", STAFF_ALL),
    Route("GET", "/staff/sellers", STAFF_ALL),
    Route("GET", "/staff/sellers?commune={a}", STAFF_A),
    Route("GET", "/staff/sellers/{pending}"),
    Route("POST", "/staff/sellers/{pending}/approve", action="seller.approve"),
    Route(
        "POST",
        "/staff/sellers/{seller}/suspend",
        data={"suspend-reason": "Ảnh sản phẩm không đúng"},
        action="seller.suspend",
    ),
    Route(
        "POST",
        "/staff/sellers/{suspended}/restore",
        data={"restore-reason": "Đã bổ sung giấy tờ"},
        action="seller.restore",
    ),
    Route("POST", "/staff/sellers/{seller}/kol", action="seller.kol_grant"),
    Route("POST", "/staff/sellers/{kol}/kol/revoke", data={"revoke-reason": ""}, action="seller.kol_revoke"),
    Route("GET", "/staff/users", STAFF_ALL),
    Route("GET", "/staff/users?q=0", STAFF_ALL),
    Route("GET", "/staff/users/{villain}"),
    Route("POST", "/staff/users/{villain}/ban", data={"ban-reason": "Bán hàng giả"}, action="user.ban"),
    Route("POST", "/staff/users/{banned}/unban", data={"unban-reason": ""}, action="user.unban"),
    Route("GET", "/staff/reports", STAFF_ALL),
    Route("GET", "/staff/reports/{report}"),
    Route("POST", "/staff/reports/{report}/take", action="report.take"),
    Route(
        "POST",
        "/staff/reports/{report}/close",
        data={"close-outcome": "resolved", "close-note": "Đã nhắc"},
        action="report.resolve",
    ),
    Route("GET", "/staff/assisted/new", STAFF_ALL),
    Route(
        "POST",
        "/staff/assisted/new",
        data={
            "display_name": "Bà H'Jih",
            "phone": "0987 000 111",
            "shop_name": "Sầu riêng bà H'Jih",
            "commune_id": "{a}",
            "story": "",
            "consent": "y",
        },
        other_staff=400,
        action="seller.assisted_register",
    ),
    Route("GET", "/staff/audit", STAFF_ALL),
    Route("GET", "/staff/audit?commune={a}"),
    Route("GET", "/staff/audit.csv", STAFF_ALL, action="audit.export"),
    Route("GET", "/staff/audit.csv?commune={a}", action="audit.export"),
    Route("GET", "/staff/dashboard", STAFF_ALL),
    Route("GET", "/staff/dashboard?commune={a}"),
    Route("GET", "/staff/dashboard.csv?commune={a}", action="dashboard.export"),
    Route("GET", "/staff/overview", ADMIN, other_staff=403),
    Route("GET", "/staff/overview?format=csv", ADMIN, other_staff=403, action="dashboard.export"),
    Route("GET", "/staff/admin/staff", ADMIN, other_staff=403),
    Route(
        "POST",
        "/staff/admin/staff",
        ADMIN,
        data={"phone": "{buyer_phone}", "commune_id": "{a}"},
        other_staff=403,
        action="staff.assign",
    ),
    Route("POST", "/staff/admin/staff/{assignment_b}/remove", ADMIN, other_staff=403, action="staff.unassign"),
    # listing review and OCOP
    Route("GET", "/staff/listings", STAFF_ALL),
    Route("GET", "/staff/listings?commune={a}"),
    Route("GET", "/staff/listings/{listing}"),
    Route("POST", "/staff/listings/{listing}/approve", action="listing.approve"),
    Route(
        "POST",
        "/staff/listings/{listing_b}/reject",
        data={"reject-reason_code": "photos", "reject-reason": ""},
        action="listing.reject",
    ),
    Route("POST", "/staff/listings/approve", data={"ids": "{listing}"}, action="listing.approve"),
    Route(
        "POST",
        "/staff/listings/{ocop}/ocop/verify",
        data={"ocop-certificate_no": "ocop-dl-2025-0412", "ocop-stars": "4", "ocop-issued_on": "{issued}"},
        action="ocop.verify",
    ),
    Route(
        "POST",
        "/staff/listings/{ocop}/ocop/reject",
        data={"ocopno-reason": "Không có giấy chứng nhận số này"},
        action="ocop.reject",
    ),
    Route("GET", "/staff/ocop", STAFF_ALL),
    # live moderation
    Route("GET", "/staff/live", STAFF_ALL),
    Route("GET", "/staff/live?commune={a}"),
    Route("GET", "/staff/live/{session}"),
    Route("POST", "/staff/live/{session}/end", data={"end-reason": "Bán hàng giả trong phiên"}, action="live.end"),
    Route("GET", "/staff/live/words", STAFF_ALL),
    Route("GET", "/staff/live/words?commune={a}"),
    Route(
        "POST", "/staff/live/words", data={"word-commune_id": "{a}", "word-word": "Hàng nhái"}, action="live.filter_add"
    ),
    Route("POST", "/staff/live/words/{word}/remove", action="live.filter_remove"),
    # helpers acting for villagers
    Route("GET", "/staff/assisted", STAFF_ALL),
    Route("GET", "/staff/assisted/{villager}/listings/new"),
    Route(
        "POST",
        "/staff/assisted/{villager}/listings/new",
        data={
            "title": "Sầu riêng của bà H'Jih",
            "category": "durian",
            "unit": "kg",
            "price": "80.000",
            "stock": "200",
            "min_order_qty": "1",
            "consent": "y",
            "action": "draft",
        },
        action="listing.assisted_create",
    ),
    Route("GET", "/staff/orders/phone", STAFF_ALL),
    Route("GET", "/staff/orders/phone?product={product}"),
    Route(
        "POST",
        "/staff/orders/phone",
        data={
            "product_id": "{product}",
            "qty": "2",
            "buyer_phone": "0912 888 777",
            "buyer_name": "Chị Mai",
            "ship_name": "Chị Mai",
            "ship_phone": "0912 888 777",
            "ship_street": "Thôn 3",
            "ship_commune": "Ea Knuếc",
            "ship_province": "Đắk Lắk",
            "method": "cod",
            "acting_for": "buyer",
            "consent": "y",
            "key": "phone-test-key-0001",
        },
        action="order.phone_placed",
    ),
]


def _ids(w) -> dict:
    return {
        "a": w.a.id,
        "b": w.b.id,
        "pending": w.pending.seller_profile.id,
        "seller": w.seller.seller_profile.id,
        "suspended": w.suspended.seller_profile.id,
        "kol": w.kol.seller_profile.id,
        "villain": w.villain.id,
        "banned": w.banned.id,
        "report": w.report.id,
        "assignment_b": w.assignment_b.id,
        "buyer_phone": w.buyer.phone,
        "listing": w.listing.id,
        "listing_b": w.listing2.id,
        "ocop": w.ocop.id,
        "issued": (date.today() - timedelta(days=100)).isoformat(),
        "session": w.session.id,
        "word": w.word.id,
        "villager": w.villager.id,
        "product": w.product.id,
    }


def _expected(route: Route, role: str) -> str:
    if role == "anonymous":
        return "login"
    if role in ("buyer", "seller"):
        return "403"
    if role in route.allowed:
        return "ok"
    return str(route.other_staff if role == "other_staff" else 403)


def _call(client, route: Route, ids: dict):
    url = route.url(ids)
    if route.method == "GET":
        return client.get(url)
    data = {k: v.format(**ids) for k, v in route.data.items()}
    return post_form(client, url, data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_access_matrix(client, world_b, route, role):
    world = world_b
    if role != "anonymous":
        login_as(client, getattr(world, role))
    before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == route.action))
    resp = _call(client, route, _ids(world))
    expected = _expected(route, role)
    if expected == "login":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    elif expected == "ok":
        assert resp.status_code in (200, 302), resp.get_data(as_text=True)[:2000]
        if route.action:
            after = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == route.action))
            assert after == before + 1, f"{route.action} was not audited"
    else:
        assert resp.status_code == int(expected), resp.get_data(as_text=True)[:500]
        if route.action:  # a refused action writes nothing
            after = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == route.action))
            assert after == before


def test_every_staff_route_is_in_the_matrix(app):
    """A /staff route added later without a row here fails this test: add yours to ROUTES."""
    import re

    listed = set()
    for route in ROUTES:
        path = route.path.split("?")[0]
        listed.add((route.method, re.sub(r"\{[a-z_]+\}", "<id>", path)))
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff"):
            continue
        path = re.sub(r"<[^>]+>", "<id>", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in listed:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"staff routes missing from the access matrix: {missing}"


def test_staff_of_another_commune_sees_none_of_its_objects(client, world):
    login_as(client, world.other_staff)
    for path in ("/staff/sellers?status=all", "/staff/reports?status=all", "/staff/audit", "/staff/users?q=Kẻ"):
        html = client.get(path).get_data(as_text=True)
        for text in ("Hồ tiêu Y Điêng", "Vườn sầu riêng", "Sầu riêng Ri6", "Kẻ lừa đảo"):
            assert text not in html, (path, text)
    assert "Thổ cẩm B" in client.get("/staff/sellers?status=all").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/staff/sellers/99999999999999999999",
        "/staff/users/99999999999",
        "/staff/reports/0",
        "/staff/sellers?commune=99999999999",
        "/staff/dashboard?commune=abc",
    ],
)
def test_absurd_ids_are_404_not_500(client, world, path):
    login_as(client, world.admin)
    assert client.get(path).status_code == 404

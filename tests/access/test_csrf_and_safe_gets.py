"""Property 28: every POST (PUT, DELETE) without a valid CSRF token is refused with 400, and changes nothing;
the only exemptions are the provider webhooks (signed), the bearer-token JSON API (no cookie reaches it) and the
live video's WHIP/WHEP routes (a bearer publish token or a signed address);
and no GET changes an order, a listing, a payment or an account, whoever sends it (checked inside
``test_matrix.test_access_matrix``, which makes every GET as every role anyway, with ``watched_writes``).

Both walk the access matrix's own list of routes (``ROUTES``), which ``test_every_route_has_a_row`` keeps
complete: a route added later is checked here too.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa

from market.extensions import db
from tests.access.test_matrix import ROUTES, Browsers, _ids, rolled_back

WATCHED = {
    "orders": ("id", "status", "paid_at", "total_vnd", "payment_method", "updated_at"),
    "products": ("id", "status", "stock", "price_vnd", "updated_at"),
    "payments": ("id", "status", "amount_vnd", "refund_status"),
    "users": ("id", "phone", "display_name", "password_hash", "auth_version", "banned_at", "is_staff", "is_admin"),
    "seller_profiles": ("id", "status", "shop_name"),
}


def snapshot() -> dict:
    """Read on the test's own connection (no ORM session: the requests' sessions come and go on it)."""
    conn = db.engines[None]
    return {
        table: conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id")).all()
        for table, cols in WATCHED.items()
    }


@contextmanager
def watched_writes():
    """The INSERT/UPDATE/DELETE statements sent meanwhile to the tables of orders, listings, payments and
    accounts (a listener on the connection: no extra query)."""
    conn = db.engines[None]
    found: list[str] = []
    pattern = re.compile(
        r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(" + "|".join(WATCHED) + r"|order_items)\b", re.IGNORECASE
    )

    def listen(_conn, _cursor, statement, _params, _context, _many):
        if pattern.match(statement):
            found.append(statement)

    sa.event.listen(conn, "before_cursor_execute", listen)
    try:
        yield found
    finally:
        sa.event.remove(conn, "before_cursor_execute", listen)


def test_every_form_post_without_a_token_is_400_and_changes_nothing(app, world):
    browsers = Browsers(app, world)
    wrong = []
    posts = [r for r in ROUTES if r.method != "GET" and not r.api]
    assert len(posts) > 40  # the whole list, not a sample
    for route in posts:
        role = next((r for r in ("anonymous", "buyer_a") if r in route.allowed), min(route.allowed, default="buyer_a"))
        ids = _ids(world)
        with rolled_back():
            client = browsers(role)
            before = snapshot()
            data = {k.format(**ids): v.format(**ids) for k, v in route.data.items()}
            resp = client.open(route.path.format(**ids), method=route.method, data=data)  # no csrf_token
            # A view whose form checks the token itself (``form_checks_csrf``) answers 400 with the form again;
            # one that has nothing to do for this person (logged in already) may send them on: nothing changes.
            form_checked = getattr(
                app.view_functions.get(_endpoint(app, route.path.format(**ids), route.method)), "csrf_in_form", False
            )
            refused = resp.status_code == 400 or (form_checked and resp.status_code == 302)
            if not refused or snapshot() != before:
                wrong.append(f"{role} {route.method} {route.path}: {resp.status_code}")
    assert not wrong, "\n" + "\n".join(wrong)


def _endpoint(app, path: str, method: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(path.split("?")[0], method=method)[0]
    except Exception:  # noqa: BLE001 - a path that matches nothing has no view
        return None


def test_the_only_csrf_exemptions_are_the_webhooks_and_the_bearer_api(app):
    from market.extensions import csrf

    def form_checked(name: str) -> bool:
        endpoint = next((e for e, v in app.view_functions.items() if f"{v.__module__}.{v.__name__}" == name), None)
        return bool(endpoint and getattr(app.view_functions[endpoint], "csrf_in_form", False))

    exempt_views = {name for name in csrf._exempt_views if not form_checked(name)}
    exempt_blueprints = {bp.name for bp in csrf._exempt_blueprints}
    assert exempt_blueprints <= {"api"}, exempt_blueprints
    # the live video's WHIP/WHEP routes: a bearer publish token or a signed address, never a cookie (docs/video.md)
    video = {"whip", "whip_keepalive", "whip_resource", "whep", "whep_resource", "whep_keepalive", "whep_layer"}
    assert {v.rsplit(".", 1)[-1] for v in exempt_views} <= {
        "stripe_webhook",
        "bank_webhook",
        "ghn_webhook",
        "ghtk_webhook",
        *video,
    }, exempt_views
    assert all(v.startswith("market.video.routes.") for v in exempt_views if v.rsplit(".", 1)[-1] in video)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in exempt_blueprints:
            assert rule.rule.startswith("/api/"), rule.rule


def test_watched_writes_sees_a_write(client, make_user, login):
    """The GET check is only as good as its listener: a POST that changes an account is seen."""
    from tests.conftest import post_form

    login(make_user())
    with watched_writes() as writes:
        assert post_form(client, "/lang/en", {}).status_code == 302
    assert any(w.lstrip().upper().startswith("UPDATE") and "users" in w for w in writes), writes

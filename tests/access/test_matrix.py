"""The access matrix: every route of ``app.url_map`` and every socket event × every role — anonymous, buyer A/B,
seller A/B, staff of commune X/Y, admin. Objects belong to A / commune X (tests/world.py), so B and Y must get a
404 (or 403 for pages of a role they do not have); only the permitted combinations succeed.

A route added without a row here (or, for /staff, in tests/moderation/test_access.py, whose matrix also checks
the audit log) fails ``test_every_route_has_a_row``. Each combination runs in a savepoint rolled back afterwards,
so a cancel or a logout by one role does not change what the next role sees.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from market.accounts.tokens import issue_token
from tests.conftest import PASSWORD, csrf_token, login_as
from tests.world import ROLES

EVERYONE = frozenset(ROLES)
LOGGED = EVERYONE - {"anonymous"}
A_SIDE = frozenset({"buyer_a", "seller_a", "staff_x", "admin"})  # order A: its buyer, its seller, X's staff
SELLERS = frozenset({"seller_a", "seller_b"})  # both KOLs with an open shop
SELLER_A = frozenset({"seller_a"})
BUYER_A = frozenset({"buyer_a"})
MODERATORS_A = frozenset({"seller_a", "staff_x", "admin"})  # the host of live A and its commune's staff
NOBODY = frozenset()
APPLY = "apply"  # a person without a shop is sent to apply for one
SESSION_FORM = {
    "title": "Phiên thử",
    "stream_url": "https://www.tiktok.com/@a/live",
    "scheduled_at": "2030-01-01T20:00",
    "description": "",
    "cover_product_id": "",
}
LISTING_FORM = {
    "title": "Sầu riêng Dona",
    "category": "durian",
    "unit": "kg",
    "price": "85.000",
    "stock": "10",
    "min_order_qty": "1",
    "description": "Cơm vàng",
    "origin": "Ea Knuếc",
    "harvest_date": "",
    "ocop_stars": "",
    "ocop_certificate_no": "",
}
BRAND_FORM = {"name": "Chè Shan tuyết", "slug": "", "story": "Chè cổ thụ trên núi."}
LOT_FORM = {
    "title": "Sầu riêng Musang King — vụ 2026",
    "category": "durian",
    "sold_by_weight": "1",
    "unit": "piece",
    "piece_weight": "2,5",
    "price_per_kg": "120.000",
    "weight_tolerance": "10",
    "min_order_qty": "1",
    "shipping_vnd_per_kg": "0",
    "description": "",
    "origin": "Ea Knuếc",
}
HOUSEHOLD_FORM = {
    "name": "H'Lan Êban",
    "village": "Buôn Trấp",
    "phone": "",
    "bank_bin": "",
    "account_number": "",
    "account_holder": "",
    "kg": "12,5",
    "contributed_on": "",
}
HH = "hh{household_a}-"  # a household's edit form is prefixed with its id (so are the contribution forms)
ADDRESS = {
    "ship_name": "Hoàng Thị Hoa",
    "ship_phone": "0904 000 001",
    "ship_street": "Thôn 3",
    "ship_commune": "Ea Knuếc",
    "ship_province": "Đắk Lắk",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # formatted with the world's ids
    allowed: frozenset
    data: dict = field(default_factory=dict)  # form fields (the CSRF token is added), or the JSON body
    api: bool = False  # JSON API: a bearer token, anonymous gets 401
    denied: int | str = 404  # what a logged-in role that is not allowed gets (APPLY: sent to /sell/apply)
    anonymous: str = "login"  # what anonymous gets when not allowed: "login" (redirect) or a status
    ok: tuple = (200, 302)  # what an allowed role may get (a refusal by the domain rules is not a denial)
    rule: str | None = None  # the url rule, when the path alone does not say
    overrides: tuple = ()  # (role, status) where a role gets something else when refused

    def expected_refusal(self, role: str) -> str:
        for r, status in self.overrides:
            if r == role:
                return str(status)
        if role == "anonymous":
            return "401" if self.api else self.anonymous
        return str(self.denied)


R = Route
ROUTES = [
    # public pages
    R("GET", "/", EVERYONE),
    R("GET", "/c/{commune_a}", EVERYONE),
    R("GET", "/category/durian", EVERYONE, rule="/category/<name>"),
    R("GET", "/s/{shop_a}", EVERYONE),
    R("GET", "/p/{product_a}", EVERYONE, ok=(301,)),  # to its full address
    R("GET", "/p/{product_a}-{product_a_slug}", EVERYONE),
    R("GET", "/search?q=sau+rieng", EVERYONE),
    R("GET", "/reviews/{shop_a}", EVERYONE),
    R("GET", "/live", EVERYONE),
    R("GET", "/live/{live_a}", EVERYONE),
    R("GET", "/healthz", EVERYONE),
    R("GET", "/metrics", EVERYONE),  # the proxy keeps /metrics in (deploy/)
    R("GET", "/static/css/app.css", EVERYONE, rule="/static/<path:filename>"),
    R(
        "GET",
        "/media/p/00/00/" + "0" * 64 + "-320.webp",
        EVERYONE,
        ok=(404,),  # public files; none of that name
        rule="/media/<path:filename>",
    ),
    # the live video's files (market/video/replay.py): public as the session's page is; none made here
    R("GET", "/live/{live_a}/hls/index.m3u8", EVERYONE, ok=(404,), rule="/live/<int:session_id>/hls/<name>"),
    R(
        "GET",
        "/live/{live_a}/replay/replay-00000000.webm",
        EVERYONE,
        ok=(404,),
        rule="/live/<int:session_id>/replay/<name>",
    ),
    R("GET", "/login", EVERYONE),
    R("GET", "/register", EVERYONE),
    R("POST", "/login", EVERYONE, data={"phone": "{buyer_a_phone}", "password": PASSWORD}),
    R(
        "POST",
        "/register",
        EVERYONE,
        data={
            "phone": "0987 654 321",
            "display_name": "Khách mới",
            "password": "mat-khau-dai-123",
            "confirm": "mat-khau-dai-123",
        },
    ),
    R("POST", "/lang/en", EVERYONE, rule="/lang/<code>"),
    # sign-in, sign-up and recovery by SMS code (logged-in people are sent on; the number limit may answer 429)
    R("GET", "/login/code", EVERYONE),
    R("GET", "/password/forgot", EVERYONE),
    R("POST", "/login/code", EVERYONE, data={"step": "send", "phone": "0987 654 322"}, ok=(200, 302, 429)),
    R("POST", "/password/forgot", EVERYONE, data={"step": "send", "phone": "0987 654 323"}, ok=(200, 302, 429)),
    # the name step needs a number a code proved: without one everybody is sent back (anonymous to /login/code)
    R("GET", "/login/code/name", frozenset(), overrides=tuple((r, 302) for r in sorted(LOGGED))),
    R(
        "POST",
        "/login/code/name",
        frozenset(),
        data={"display_name": "Khách mới"},
        overrides=tuple((r, 302) for r in sorted(LOGGED)),
    ),
    # an unpublished listing exists only for its seller (and the commune's staff who review it)
    R(
        "GET",
        "/p/{draft_a}",
        frozenset({"seller_a", "staff_x", "admin"}),
        anonymous="404",
        ok=(301,),
        rule="/p/<int(max=2147483647):product_id>",
    ),
    # the JSON API
    R("GET", "/api/v1/openapi.json", EVERYONE),
    R("GET", "/api/v1/products", EVERYONE),
    R("GET", "/api/v1/products/{product_a}", EVERYONE),
    R("POST", "/api/v1/auth/token", EVERYONE, data={"phone": "{buyer_a_phone}", "password": PASSWORD}, api=True),
    R("POST", "/api/v1/auth/code", EVERYONE, data={"phone": "0987 654 325"}, api=True, ok=(200, 429)),
    R(
        "POST",
        "/api/v1/auth/code/token",
        EVERYONE,
        data={"phone": "0987 654 325", "code": "123456"},
        api=True,
        ok=(400,),
    ),  # no right code: the domain refuses, nobody is denied
    R(
        "POST",
        "/api/v1/auth/password/reset",
        EVERYONE,
        api=True,
        ok=(400,),
        data={"phone": "0987 654 325", "code": "123456", "password": "mat-khau-dai-123"},
    ),
    R("POST", "/api/v1/me/code", LOGGED, api=True, ok=(200, 429)),
    R(
        "POST",
        "/api/v1/me/password",
        LOGGED,
        api=True,
        ok=(400,),
        data={"password": "mat-khau-dai-123", "code": "123456"},
    ),
    R("POST", "/api/v1/me/phone", LOGGED, data={"phone": "0987 654 326"}, api=True, ok=(200, 429)),
    R("POST", "/api/v1/me/phone/verify", LOGGED, data={"phone": "0987 654 326", "code": "123456"}, api=True, ok=(400,)),
    R("GET", "/api/v1/me", LOGGED, api=True),
    R("GET", "/api/v1/orders", LOGGED, api=True),
    R("GET", "/api/v1/orders?role=seller", SELLERS, api=True, denied=403),
    R("GET", "/api/v1/orders/{order_a}", A_SIDE, api=True),
    # the person's own pages
    R("GET", "/account", LOGGED),
    R("GET", "/account/password", LOGGED),
    R("GET", "/account/phone", LOGGED),
    R("POST", "/account/password", LOGGED, data={"step": "send"}, ok=(200, 429)),
    R("POST", "/account/phone", LOGGED, data={"step": "send", "phone": "0987 654 324"}, ok=(200, 429)),
    R("POST", "/logout", LOGGED),
    R("GET", "/orders", LOGGED),
    R("GET", "/notifications", LOGGED),
    R("GET", "/notifications/unread", LOGGED),
    R("POST", "/notifications/read", LOGGED),
    R("GET", "/notifications/{note_a}", BUYER_A),
    R("GET", "/reports", LOGGED),
    R("GET", "/report?type=product&id={product_a}", LOGGED),
    R(
        "POST",
        "/report?type=product&id={product_a}",
        LOGGED,
        data={"category": "fake", "text": "Hàng giả"},
        ok=(200, 302, 409),
    ),  # buyer A has already reported it: one open report per person
    R("GET", "/sell/apply", LOGGED),
    R(
        "POST",
        "/sell/apply",
        LOGGED,
        data={"shop_name": "Tiệm mới", "commune_id": "{commune_a_id}", "story": ""},
        ok=(200, 302, 400),
    ),  # a person with a shop already has applied: told so
    # cart and checkout (a seller cannot buy from her own shop: a domain refusal, not a denial)
    R("GET", "/cart", LOGGED),
    R("GET", "/cart/add?product_id={product_a}", LOGGED),
    R("POST", "/cart/add", LOGGED, data={"product_id": "{product_a}", "qty": "1"}, ok=(200, 302, 403)),
    R("POST", "/cart/{product_a}", LOGGED, data={"qty": "2"}, ok=(200, 302, 403, 404)),
    R("POST", "/cart/{product_a}/remove", LOGGED),
    R("GET", "/checkout", LOGGED),
    R("POST", "/checkout", LOGGED, data={**ADDRESS, "attempt": "a" * 32}, ok=(200, 302, 400)),  # one's own cart
    R("GET", "/checkout/done/{missing}", NOBODY, rule="/checkout/done/<attempt>"),
    # one order: its buyer, its seller, the staff of the seller's commune; anyone else: it does not exist
    R("GET", "/orders/{order_a}", A_SIDE),
    R("POST", "/orders/{order_a}/cancel", A_SIDE, data={"reason": "Đặt nhầm"}, ok=(200, 302, 400, 409)),
    R(
        "POST",
        "/orders/{order_a}/status",
        MODERATORS_A,
        data={"to": "confirmed"},
        ok=(200, 302, 400, 409),
        overrides=(("buyer_a", 409),),
    ),  # the buyer is a party to it: refused by the transition table
    R("POST", "/orders/{order_a}/paid", MODERATORS_A, ok=(200, 302, 400, 409), overrides=(("buyer_a", 404),)),
    R("POST", "/orders/{order_a}/complete", BUYER_A, data={**ADDRESS, "method": "cod"}, ok=(200, 302, 400, 409)),
    R("POST", "/orders/{order_a}/method", BUYER_A, data={"method": "cod"}, ok=(200, 302, 400, 409)),
    # sold by weight (the world's order is weighed outside the tolerance): the shop or its commune's staff weigh
    # again, the buyer accepts or declines; to anyone else the order does not exist
    R(
        "POST",
        "/orders/{weighed_a}/weights",
        MODERATORS_A,
        data={"weight-{weighed_item_a}": "3,2"},
        overrides=(("buyer_a", 404),),
    ),  # the buyer is a party to it, but weighing is not hers
    R("POST", "/orders/{weighed_a}/weights/accept", BUYER_A, rule="/orders/<id>/weights/<answer>"),
    R(
        "POST",
        "/orders/{weighed_a}/weights/decline",
        BUYER_A,
        data={"reason": "Trái to quá"},
        rule="/orders/<id>/weights/<answer>",
    ),
    R("POST", "/orders/{order_a}/review", BUYER_A, data={"stars": "5", "comment": "Ngon"}, ok=(400, 409)),
    R("POST", "/payments/{order_a}/transfer-sent", BUYER_A, ok=(200, 302, 400, 409)),
    R("POST", "/payments/{order_a}/resolve", MODERATORS_A, ok=(200, 302, 400, 409), overrides=(("buyer_a", 404),)),
    # Stripe is off here: refused (400) before the order is even looked at, whoever asks
    R(
        "POST",
        "/payments/stripe/{order_a}/start",
        BUYER_A,
        ok=(302, 400, 409),
        overrides=tuple((r, 400) for r in LOGGED),
    ),
    R("GET", "/payments/stripe/{order_a}/return", BUYER_A),
    R("GET", "/payments/stripe/{order_a}/cancelled", A_SIDE),  # back to the order page, for whoever may see it
    # the seller's area: a shop's own things; a person without a shop is sent to apply
    R("GET", "/sell/", SELLERS, denied=APPLY),
    R("GET", "/sell/products", SELLERS, denied=APPLY),
    R("GET", "/sell/products/new", SELLERS, denied=APPLY),
    R("POST", "/sell/products/new", SELLERS, data=LISTING_FORM, denied=403, ok=(200, 302, 400)),  # no photo: 400
    R("GET", "/sell/products/{product_a}/edit", SELLER_A, denied=APPLY, overrides=(("seller_b", 404),)),
    R(
        "POST",
        "/sell/products/{product_a}/edit",
        SELLER_A,
        data={**LISTING_FORM, "title": "Sầu riêng Ri6 loại 1"},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/products/{draft_a}/submit",
        SELLER_A,
        denied=403,
        overrides=(("seller_b", 404),),
        ok=(200, 302, 400),
    ),  # a draft without a photo is not ready: 400
    R("POST", "/sell/products/{product_a}/archive", SELLER_A, denied=403, overrides=(("seller_b", 404),)),
    R("GET", "/sell/orders", SELLERS, denied=403),
    R(
        "POST",
        "/sell/orders/batch",
        SELLERS,
        data={"ids": "{order_a}", "to": "confirmed"},
        denied=403,
        ok=(200, 302, 400, 409),
    ),
    # a shop's packing list for a session: its own orders only (seller B's list of session A is empty)
    R("GET", "/sell/orders/live/{live_a}/packing", SELLERS, denied=403),
    R("GET", "/sell/orders/live/{live_a}/packing.csv", SELLERS, denied=403),
    R("GET", "/sell/payments", SELLERS, denied=403),
    R(
        "POST",
        "/sell/payments",
        SELLERS,
        data={"cod_enabled": "y", "bank_bin": "", "account_number": "", "account_holder": ""},
        denied=403,
    ),
    R("GET", "/sell/shipping", SELLERS, denied=APPLY),
    R("GET", "/sell/shipping/cod", SELLERS, denied=APPLY),
    R(
        "POST",
        "/sell/shipping/cod/999999/remitted",
        SELLERS,
        denied=403,
        ok=(404,),  # no such shipment
        rule="/sell/shipping/cod/<shipment_id>/remitted",
    ),
    # connecting a carrier: shops only; carriers are off in the world, so even a shop gets a 404
    R(
        "GET",
        "/sell/shipping/carriers/ghtk",
        SELLERS,
        denied=APPLY,
        ok=(404,),
        rule="/sell/shipping/carriers/<carrier>",
    ),
    R(
        "POST",
        "/sell/shipping/carriers/ghtk",
        SELLERS,
        denied=403,
        ok=(404,),
        rule="/sell/shipping/carriers/<carrier>",
        data={"token": "ghtk-token-0123456789", "account": "S1", "pickup_street": "Thôn 4"},
    ),
    R(
        "POST",
        "/sell/shipping/carriers/ghtk/disconnect",
        SELLERS,
        denied=403,
        ok=(404,),
        rule="/sell/shipping/carriers/<carrier>/disconnect",
    ),
    # an order's shipment: its seller and the commune's staff (the buyer, others: 404); with no carrier
    # connected they are told so on the order page (302)
    R(
        "POST",
        "/sell/shipping/orders/{order_a}/shipment",
        A_SIDE - BUYER_A,
        data={"carrier": "ghtk"},
        overrides=(("buyer_a", 404),),
    ),
    R("GET", "/sell/shipping/orders/{order_a}/label", A_SIDE - BUYER_A, overrides=(("buyer_a", 404),)),
    R("POST", "/sell/shipping/orders/{order_a}/shipment/cancel", A_SIDE - BUYER_A, overrides=(("buyer_a", 404),)),
    # "Tạo vận đơn" for the selected orders, and their labels: shops only (another shop's order is "does not
    # exist" in the result, tests/shipping/test_batch.py); carriers are off in the world: told so / a 404
    R("POST", "/sell/shipping/batch", SELLERS, data={"order_id": "{order_a}", "ship_carrier": "ghtk"}, denied=403),
    R(
        "GET",
        "/sell/shipping/labels/ghtk?order_id={order_a}",
        SELLERS,
        denied=APPLY,
        ok=(404,),
        rule="/sell/shipping/labels/<carrier>",
    ),
    R(
        "POST",
        "/sell/shipping",
        SELLERS,
        data={"fee_commune_vnd": "15.000", "fee_province_vnd": "25.000", "base_weight_kg": "2", "item_weight_kg": "1"},
        denied=403,
    ),
    # commune brands: public pages; KOLs (both sellers) make brands, only their maker edits one (seller B: 404);
    # a person without a shop is sent to apply (a POST is a 403). An approved seller who is not a KOL gets a 403
    # from /sell/brands/new (tests/brands/test_brands.py): every seller of the world is one.
    R("GET", "/b/{brand_a_slug}", EVERYONE),
    R("GET", "/sell/brands", SELLERS, denied=APPLY),
    R("GET", "/sell/brands/new", SELLERS, denied=APPLY),
    R("POST", "/sell/brands/new", SELLERS, data=BRAND_FORM, denied=403),
    R("GET", "/sell/brands/{brand_a}", SELLER_A, denied=APPLY, overrides=(("seller_b", 404),)),
    R("GET", "/sell/brands/{brand_a}/edit", SELLER_A, denied=APPLY, overrides=(("seller_b", 404),)),
    R(
        "POST",
        "/sell/brands/{brand_a}/edit",
        SELLER_A,
        data={**BRAND_FORM, "name": "Ami kao Durian Ea Knuếc", "slug": "{brand_a_slug}"},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/brands/{brand_a}/shops",
        SELLER_A,
        data={"seller_id": "{seller_a_profile}"},
        ok=(409,),
        denied=403,
        overrides=(("seller_b", 404),),
    ),  # her own shop is under it already
    R(
        "POST",
        "/sell/brands/{brand_a}/shops/{seller_a_profile}/remove",
        SELLER_A,
        ok=(400,),
        denied=403,
        overrides=(("seller_b", 404),),
    ),  # her own shop stays under the brands she makes
    R(
        "POST",
        "/sell/brands/{brand_a}/products",
        SELLER_A,
        data={"product_ids": "{product_a2}"},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/brands/{brand_a}/products/{product_a}/remove",
        SELLER_A,
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    # a shop under another's brand may leave it; the KOL's own shop cannot (400); a shop not under it: 404
    R("POST", "/sell/brands/{brand_a}/leave", SELLER_A, ok=(400,), denied=403, overrides=(("seller_b", 404),)),
    # following (buyer A follows brand A already: 409); the unsubscribe link's token is the permission, so it
    # works for whoever holds it, logged in or not; a tampered one is a 400 for everyone
    R("POST", "/follow/brand/{brand_a}", LOGGED, ok=(302, 409), rule="/follow/<kind>/<id>"),
    R("POST", "/unfollow/brand/{brand_a}", LOGGED, ok=(302, 409), rule="/unfollow/<kind>/<id>"),
    R("GET", "/following", LOGGED),
    R("GET", "/stop/{stop_a}", EVERYONE, ok=(200,)),
    R("POST", "/stop/{stop_a}", EVERYONE, ok=(200,)),
    R("GET", "/stop/{bad_stop}", NOBODY, denied=400, anonymous="400"),
    R("POST", "/stop/{bad_stop}", NOBODY, denied=400, anonymous="400"),
    # co-op lots: a seller's own (seller B: 404, households and contributions included); no shop: apply / 403
    R("GET", "/sell/lots", SELLERS, denied=APPLY),
    R("GET", "/sell/lots/new", SELLERS, denied=APPLY),
    R("POST", "/sell/lots/new", SELLERS, data=LOT_FORM, denied=403),
    R("GET", "/sell/lots/{lot_a}", SELLER_A, denied=APPLY, overrides=(("seller_b", 404),)),
    R(
        "POST",
        "/sell/lots/{lot_a}/households",
        SELLER_A,
        data=HOUSEHOLD_FORM,
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/lots/{lot_a}/households/{household_a}",
        SELLER_A,
        data={HH + k: v for k, v in HOUSEHOLD_FORM.items() if k not in ("kg", "contributed_on")},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/lots/{lot_a}/households/{household_a}/remove",
        SELLER_A,
        denied=403,
        overrides=(("seller_b", 404),),
    ),  # it has sold nothing yet
    R(
        "POST",
        "/sell/lots/{lot_a}/households/{household_a}/contributions",
        SELLER_A,
        data={"more{household_a}-kg": "15", "more{household_a}-contributed_on": ""},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/lots/{lot_a}/contributions/{contribution_a}",
        SELLER_A,
        data={"c{contribution_a}-kg": "32"},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R(
        "POST",
        "/sell/lots/{lot_a}/contributions/{contribution_a}/remove",
        SELLER_A,
        ok=(409,),
        denied=403,
        overrides=(("seller_b", 404),),
    ),  # the household's only contribution: remove the household instead
    R(
        "POST",
        "/sell/lots/{lot_a}/shipping",
        SELLER_A,
        data={"shipping_vnd_per_kg": "6.000"},
        denied=403,
        overrides=(("seller_b", 404),),
    ),
    R("GET", "/sell/lots/{lot_a}/payout", SELLER_A, denied=APPLY, overrides=(("seller_b", 404),)),
    R("GET", "/sell/lots/{lot_a}/payout.csv", SELLER_A, ok=(200,), denied=APPLY, overrides=(("seller_b", 404),)),
    # live sessions: KOLs schedule; the host runs hers; the host and her commune's staff moderate
    R("GET", "/live/new", SELLERS, denied=403),
    R("POST", "/live/new", SELLERS, data=SESSION_FORM, denied=403, ok=(200, 302, 400)),
    R("GET", "/live/{live_a}/edit", SELLER_A),
    R("POST", "/live/{live_a}/edit", SELLER_A, data=SESSION_FORM),
    R("POST", "/live/{scheduled_a}/start", SELLER_A),
    R("POST", "/live/{live_a}/end", SELLER_A),
    R("GET", "/live/{live_a}/host", MODERATORS_A),
    R("GET", "/live/{live_a}/host/orders", MODERATORS_A),
    R("GET", "/live/{live_a}/report", MODERATORS_A),
    R("GET", "/live/{live_a}/report.csv", MODERATORS_A),
    # the live page's checkout sheet: any logged-in buyer (the host is refused by the rules: her own shop)
    R(
        "POST",
        "/live/{live_a}/checkout",
        LOGGED,
        anonymous="401",
        ok=(200, 400, 403, 409),
        data={**ADDRESS, "method": "cod", "offer_id": "{offer_a}", "qty": "1", "key": "matrix-sheet-0001"},
    ),
    R("POST", "/live/{live_a}/checkout/code", EVERYONE, data={"phone": "0912 345 678"}, ok=(200, 400, 429)),
    # our own live video: off in the world (JANUS_URL unset), so a 404 for everyone (the token and the uplink
    # check ask for a login first); tests/video/test_access.py runs the same routes switched on. The WHIP/WHEP
    # routes are like the webhooks: no cookie, no CSRF (a bearer publish token or a signed address instead)
    R("POST", "/live/{live_a}/video/token", NOBODY),
    R("POST", "/live/{live_a}/video/probe", NOBODY),
    *[
        R(
            method,
            "/live/{live_a}/video/" + path,
            NOBODY,
            api=True,
            denied=404,
            anonymous="404",
            overrides=tuple((r, 404) for r in ROLES),
            rule="/live/<id>/video/" + rule,
        )
        for method, path, rule in [
            ("POST", "whip", "whip"),
            ("POST", "whip/x/keepalive", "whip/<id>/keepalive"),
            ("DELETE", "whip/x", "whip/<id>"),
            ("POST", "whep", "whep"),
            ("PATCH", "whep/x", "whep/<id>"),
            ("DELETE", "whep/x", "whep/<id>"),
            ("POST", "whep/x/keepalive", "whep/<id>/keepalive"),
            ("POST", "whep/x/layer", "whep/<id>/layer"),
        ]
    ],
    # payment providers: signed, not logged in; a request without the provider's signature is refused
    R(
        "POST",
        "/webhooks/stripe",
        NOBODY,
        api=True,
        denied=404,
        anonymous="404",
        overrides=tuple((r, 404) for r in ROLES),
    ),
    R(
        "POST",
        "/webhooks/bank/sepay",
        NOBODY,
        api=True,
        denied=404,
        anonymous="404",
        overrides=tuple((r, 404) for r in ROLES),
        rule="/webhooks/bank/<provider>",
    ),
    # carriers' webhooks: off in the world (SHIPPING_CARRIERS unset), so a 404 for everyone; tests/shipping
    # covers them switched on (a wrong GHTK secret is a 403, a GHN event is checked against GHN's detail)
    R(
        "POST",
        "/webhooks/carrier/ghn",
        NOBODY,
        api=True,
        denied=404,
        anonymous="404",
        overrides=tuple((r, 404) for r in ROLES),
    ),
    R(
        "POST",
        "/webhooks/carrier/ghtk/not-the-secret",
        NOBODY,
        api=True,
        denied=404,
        anonymous="404",
        overrides=tuple((r, 404) for r in ROLES),
        rule="/webhooks/carrier/ghtk/<secret>",
    ),
]


def _ids(w) -> dict:
    stop = w.ids["stop_a"]
    return {
        **w.ids,
        "buyer_a_phone": w.phones["buyer_a"],
        "missing": "f" * 32,
        "bad_stop": ("B" if stop[0] == "A" else "A") + stop[1:],
    }  # its signed payload changed


def _rule_of(route: Route) -> str:
    path = route.rule or re.sub(r"\{[a-z0-9_]+\}", "<id>", route.path.split("?")[0])
    return re.sub(r"<[^>]+>", "<id>", path)


@contextmanager
def rolled_back():
    from market import ratelimit
    from market.extensions import db

    db.session.remove()
    savepoint = db.engines[None].begin_nested()
    ratelimit.reset()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        db.session.remove()


class Browsers:
    """A client per role with its CSRF token; logged in again before each call (rolled back in between)."""

    def __init__(self, app, w):
        self.app, self.w, self.clients = app, w, {}

    def __call__(self, role: str):
        if role not in self.clients:
            client = self.app.test_client()
            with rolled_back():
                client.token = csrf_token(client, "/")
            self.clients[role] = client
        client = self.clients[role]
        with client.session_transaction() as sess:
            sess.pop("_user_id", None)
        if role != "anonymous":
            login_as(client, self.w.user(role))
        return client


def _call(browsers, w, route: Route, role: str):
    ids = _ids(w)
    url = route.path.format(**ids)
    data = {k.format(**ids): v.format(**ids) for k, v in route.data.items()}
    if route.api:
        client = browsers.app.test_client()
        headers = {"Authorization": "Bearer " + w.tokens[role]} if role != "anonymous" else {}
        if route.method == "GET":
            return client.get(url, headers=headers)
        return client.open(url, method=route.method, json=data, headers=headers)
    client = browsers(role)
    if route.method == "GET":
        return client.get(url)
    return client.open(url, method=route.method, data={**data, "csrf_token": client.token})


def _verdict(route: Route, role: str, resp) -> str | None:
    location = resp.headers.get("Location", "")
    if role in route.allowed:
        if resp.status_code in route.ok and not (resp.status_code == 302 and "/login" in location):
            return None
        return f"allowed, got {resp.status_code} {location}"
    want = route.expected_refusal(role)
    if want in ("login", APPLY):
        if resp.status_code == 302 and ("/login" if want == "login" else "/sell/apply") in location:
            return None
    elif resp.status_code == int(want):
        return None
    return f"expected {want}, got {resp.status_code} {location}"


def test_access_matrix(app, world):
    browsers = Browsers(app, world)
    wrong = []
    from tests.access.test_csrf_and_safe_gets import watched_writes

    for route in ROUTES:
        for role in ROLES:
            with rolled_back(), watched_writes() as writes:
                resp = _call(browsers, world, route, role)
                problem = _verdict(route, role, resp)
            if route.method == "GET" and writes:  # property 28: no GET changes anything
                problem = (problem or "") + f" and the GET wrote: {writes[0][:120]}"
            if problem:
                wrong.append(f"{role:9} {route.method} {route.path}: {problem}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_every_route_has_a_row(app):
    """A route added later without a row in ROUTES (or the /staff matrix) fails here."""
    from tests.moderation.test_access import ROUTES as STAFF_ROUTES

    listed = {(r.method, _rule_of(r)) for r in ROUTES}
    listed |= {(r.method, re.sub(r"\{[a-z_]+\}", "<id>", r.path.split("?")[0])) for r in STAFF_ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "<id>", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, path) not in listed:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes missing from the access matrix (tests/access/test_matrix.py): {missing}"


# ---- socket events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict
    allowed: frozenset
    session: str = "live_a"  # the session the socket joins first
    refused: str = "forbidden"  # the ack's error for a logged-in role that is not allowed
    namespace: str = "/live"
    domain: tuple = ()  # refusals by the domain rules that an allowed role may get (not a denial)


LIVE_EVENTS = [
    Event("join", {"session_id": "{live_a}"}, EVERYONE),
    Event("order", {"offer_id": "{offer_a}", "qty": 1, "key": "matrix-order-1"}, LOGGED - SELLER_A),
    Event("chat", {"text": "Chị ơi còn không?"}, LOGGED),
    Event("heart", {}, EVERYONE),
    Event("pin", {"product_id": "{product_a2}", "price_vnd": 90_000, "quantity": 5, "per_buyer_limit": 2}, SELLER_A),
    Event("close_offer", {"offer_id": "{offer_a}"}, SELLER_A),
    Event("start", {}, SELLER_A, session="scheduled_a", domain=("invalid",)),  # session A is on air already
    Event("end", {}, SELLER_A),
    Event("remove_chat", {"message_id": "{chat_a}"}, MODERATORS_A),
    Event("mute", {"user_id": "{buyer_b_id}", "minutes": 10}, MODERATORS_A - {"buyer_b"}),
    Event(
        "phone_order",
        {
            "phone": "0987 111 222",
            "name": "Bà Hai",
            "offer_id": "{offer_a}",
            "qty": 1,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": "matrix-phone-1",
        },
        MODERATORS_A,
    ),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def test_socket_event_matrix(app, world, socket_client):
    ids = _ids(world)
    wrong = []
    for event in LIVE_EVENTS:
        for role in ROLES:
            with rolled_back():
                user = world.user(role)
                sock = socket_client(auth={"token": issue_token(user)} if user else None)
                joined = sock.call("join", {"session_id": ids[event.session]})
                assert joined["ok"], joined
                payload = {k: _fill(v, ids) for k, v in event.payload.items()}
                if event.name == "heart":
                    sock.emit("heart", payload)
                    ack = {"ok": True}
                else:
                    ack = sock.call(event.name, payload)
                sock.disconnect()
            if role in event.allowed:
                if not ack.get("ok") and ack.get("error") not in event.domain:
                    wrong.append(f"{role:9} {event.name}: allowed, got {ack}")
            else:
                want = "not_logged_in" if role == "anonymous" else event.refused
                if ack.get("ok") or ack.get("error") != want:
                    wrong.append(f"{role:9} {event.name}: expected {want}, got {ack}")
    assert not wrong, "\n" + "\n".join(wrong)


def test_every_socket_event_has_a_row(app):
    from market.extensions import socketio

    listed = {e.name for e in LIVE_EVENTS}
    handled = {e for e in socketio.server.handlers.get("/live", {}) if e not in ("connect", "disconnect")}
    assert handled <= listed, f"/live events missing from the socket matrix: {sorted(handled - listed)}"
    # /notify has no events a client sends: it only listens (connect is checked in tests/notifications)
    assert not {e for e in socketio.server.handlers.get("/notify", {}) if e not in ("connect", "disconnect")}

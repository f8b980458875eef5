"""A small market with a person in every role and objects in every state, for the access matrix and the fuzzers.

Communes X and Y. Everything called ``…_a`` belongs to people of commune X (seller A's shop, buyer A's
orders, cart, notification and report; seller A's brand, which buyer A follows, and co-op lot; buyer A's order
of a fruit sold by weight, weighed outside the tolerance and waiting for her answer); ``…_b`` to commune Y.
Roles: anonymous, buyer_a, buyer_b, seller_a, seller_b (both KOLs with live sessions), staff_x, staff_y, admin.
Everything is made through the areas' services, as the pages would make it; nothing has a photo (cheap: the
world is built for every matrix and fuzz test).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

ROLES = ("anonymous", "buyer_a", "buyer_b", "seller_a", "seller_b", "staff_x", "staff_y", "admin")
# seller A's co-op lot, as the form sends it (tests/coop/conftest.py LOT): by the fruit, ~3 kg, 85.000 ₫/kg
COOP_LOT = {
    "title": "Sầu riêng Ri6 — vụ 2026",
    "category": "durian",
    "sold_by_weight": "1",
    "unit": "piece",
    "piece_weight": "3",
    "price_per_kg": "85.000",
    "weight_tolerance": "10",
    "min_order_qty": "1",
    "shipping_vnd_per_kg": "5.000",
    "description": "",
    "origin": "Ea Knuếc",
}


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role → User
    ids: dict = field(default_factory=dict)  # names used in paths → values
    tokens: dict = field(default_factory=dict)  # role → API token
    phones: dict = field(default_factory=dict)  # role → national phone number

    def user(self, role: str):
        return self.users.get(role)


@pytest.fixture
def world(app, make_commune, make_user, make_seller, make_staff, make_product, make_live_session):
    from market.accounts.service import format_phone
    from market.accounts.tokens import issue_token
    from market.brands import follows
    from market.brands import service as brands
    from market.catalog.models import ProductStatus
    from market.coop import service as coop
    from market.extensions import db
    from market.live.chat import post_chat
    from market.live.offers import pin_offer
    from market.moderation.models import Report
    from market.notifications.service import notify
    from market.orders import cart, weights
    from market.orders.checkout import apply_address, clean_address
    from market.orders.payment import gateway
    from market.orders.service import Line, place_order
    from market.orders.states import Actor

    w = World()
    x, y = make_commune("Ea Knuếc"), make_commune("Xuân Lãnh")
    u = w.users
    u["buyer_a"], u["buyer_b"] = make_user(name="Hoàng Thị Hoa"), make_user(name="Nguyễn Văn Nam")
    u["seller_a"] = make_seller(name="H'Hà Niê", commune=x, shop_name="Vườn sầu riêng A", is_kol=True)
    u["seller_b"] = make_seller(name="Lò Thị Sính", commune=y, shop_name="Chè Shan B", is_kol=True)
    u["staff_x"], u["staff_y"] = make_staff(x, name="Cán bộ X"), make_staff(y, name="Cán bộ Y")
    u["admin"] = make_staff(admin=True, name="Quản trị")
    product_a = make_product(seller=u["seller_a"], title="Sầu riêng Ri6", stock=500)
    product_b = make_product(seller=u["seller_b"], title="Chè Shan tuyết", stock=500, category="other")
    product_a2 = make_product(seller=u["seller_a"], title="Sầu riêng Musang King", stock=100)
    draft_a = make_product(seller=u["seller_a"], title="Bơ sáp", status=ProductStatus.DRAFT)
    listing_a = make_product(seller=u["seller_a"], title="Sầu riêng Monthong", status=ProductStatus.PENDING_REVIEW)
    live_a = make_live_session(u["seller_a"], status="live", title="Phiên sầu riêng A")
    live_b = make_live_session(u["seller_b"], status="live", title="Phiên chè B")
    scheduled_a = make_live_session(u["seller_a"], status="scheduled", title="Phiên sắp tới A")
    offer_a = pin_offer(live_a, u["seller_a"], product_a.id, 79_000, 100, 20)
    order_a = place_order(u["buyer_a"], [Line("product", product_a.id, 2)], "world-order-a", payment_method="cod").order
    order_b = place_order(u["buyer_b"], [Line("product", product_b.id, 1)], "world-order-b", payment_method="cod").order
    chat_a = post_chat(live_a, u["buyer_a"], "Còn hàng không chị?")
    cart.add(u["buyer_a"], product_a.id, 1)
    note_a = notify(
        u["buyer_a"],
        "order.confirmed",
        {"shop": "Vườn sầu riêng A", "code": order_a.code},
        link=f"/orders/{order_a.id}",
    )
    report_a = Report(
        reporter_id=u["buyer_a"].id,
        target_type="product",
        target_id=product_a.id,
        target_label=product_a.title,
        commune_id=x.id,
        category="fake",
        text="",
        status="open",
    )
    db.session.add(report_a)
    # sold by weight (tests/orders/fixtures.py fruit_shop): ~3 kg a fruit at 85.000 ₫/kg, ±10 %
    fruit_a = make_product(
        seller=u["seller_a"],
        title="Sầu riêng Ri6 nguyên trái",
        unit="piece",
        price_vnd=255_000,
        stock=20,
        piece_weight_g=3000,
        price_per_kg_vnd=85_000,
        weight_tolerance_pct=10,
    )
    weighed_a = place_order(u["buyer_a"], [Line("product", fruit_a.id, 1)], "world-weighed-a").order
    apply_address(weighed_a, clean_address("Hoàng Thị Hoa", "0904 000 001", "Thôn 3", "Ea Knuếc", "Đắk Lắk"))
    gateway().choose(weighed_a, "cod", u["buyer_a"])
    weighed_item_a = weighed_a.items[0].id
    weights.weigh(weighed_a, u["seller_a"], Actor.SELLER, {f"weight-{weighed_item_a}": "3,5"})  # +16,7 %
    # seller A's brand (tests/brands/conftest.py make_brand), showing product A, followed by buyer A
    brand_a = brands.create_brand(
        u["seller_a"], brands.BrandInput("Ami kao Durian", "ami-kao-durian", "Sầu riêng của mẹ tôi."), []
    )
    brands.add_products(brand_a, u["seller_a"], [product_a.id])
    with app.test_request_context():  # a follow names its target's page
        follow_a = follows.follow(u["buyer_a"], "brand", brand_a.id)[0]
    # seller A's co-op lot (tests/coop/conftest.py make_lot): by the fruit, one household with one contribution
    lot_a = coop.create_lot(u["seller_a"].seller_profile, u["seller_a"], COOP_LOT, [])
    household_a = coop.add_household(
        lot_a, {"name": "Y Bhin Niê", "village": "Buôn Ea Knuếc", "phone": "", "kg": "30", "contributed_on": ""}
    )
    db.session.flush()
    w.ids = {
        "commune_a": x.slug,
        "commune_b": y.slug,
        "commune_a_id": x.id,
        "commune_b_id": y.id,
        "shop_a": u["seller_a"].seller_profile.slug,
        "shop_b": u["seller_b"].seller_profile.slug,
        "product_a": product_a.id,
        "product_a_slug": product_a.slug,
        "product_b": product_b.id,
        "draft_a": draft_a.id,
        "listing_a": listing_a.id,
        "product_a2": product_a2.id,
        "chat_a": chat_a["id"],
        "buyer_b_id": u["buyer_b"].id,
        "live_a": live_a.id,
        "live_b": live_b.id,
        "scheduled_a": scheduled_a.id,
        "offer_a": offer_a.id,
        "order_a": order_a.id,
        "order_b": order_b.id,
        "note_a": note_a.id,
        "report_a": report_a.id,
        "seller_a_profile": u["seller_a"].seller_profile.id,
        "buyer_a_id": u["buyer_a"].id,
        "weighed_a": weighed_a.id,
        "weighed_item_a": weighed_item_a,
        "brand_a": brand_a.id,
        "brand_a_slug": brand_a.slug,
        "follow_a": follow_a.id,
        "stop_a": follows.stop_token(follow_a),
        "lot_a": lot_a.id,
        "household_a": household_a.id,
        "contribution_a": household_a.contributions[0].id,
    }
    db.session.commit()
    for role, user in u.items():
        w.tokens[role] = issue_token(user)
        w.phones[role] = format_phone(user.phone)
    return w

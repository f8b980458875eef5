"""A small market with a person in every role and objects in every state, for the access matrix and the fuzzers.

Communes X and Y. Everything called ``…_a`` belongs to people of commune X (seller A's shop, buyer A's
orders, cart, notification and report); ``…_b`` to commune Y. Roles: anonymous, buyer_a, buyer_b, seller_a,
seller_b (both KOLs with live sessions), staff_x, staff_y, admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

ROLES = ("anonymous", "buyer_a", "buyer_b", "seller_a", "seller_b", "staff_x", "staff_y", "admin")


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
    from market.catalog.models import ProductStatus
    from market.extensions import db
    from market.live import service as live
    from market.moderation.models import Report
    from market.notifications.service import notify
    from market.orders import cart
    from market.orders.service import Line, place_order

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
    offer_a = live.pin_offer(live_a, u["seller_a"], product_a.id, 79_000, 100, 20)
    order_a = place_order(u["buyer_a"], [Line("product", product_a.id, 2)], "world-order-a",
                          payment_method="cod").order
    order_b = place_order(u["buyer_b"], [Line("product", product_b.id, 1)], "world-order-b",
                          payment_method="cod").order
    chat_a = live.post_chat(live_a, u["buyer_a"], "Còn hàng không chị?")
    cart.add(u["buyer_a"], product_a.id, 1)
    note_a = notify(u["buyer_a"], "order.confirmed", {"shop": "Vườn sầu riêng A", "code": order_a.code},
                    link=f"/orders/{order_a.id}")
    report_a = Report(reporter_id=u["buyer_a"].id, target_type="product", target_id=product_a.id,
                      target_label=product_a.title, commune_id=x.id, category="fake", text="", status="open")
    db.session.add(report_a)
    db.session.flush()
    w.ids = {
        "commune_a": x.slug, "commune_b": y.slug, "commune_a_id": x.id, "commune_b_id": y.id,
        "shop_a": u["seller_a"].seller_profile.slug, "shop_b": u["seller_b"].seller_profile.slug,
        "product_a": product_a.id, "product_a_slug": product_a.slug, "product_b": product_b.id,
        "draft_a": draft_a.id, "listing_a": listing_a.id, "product_a2": product_a2.id,
        "chat_a": chat_a["id"], "buyer_b_id": u["buyer_b"].id,
        "live_a": live_a.id, "live_b": live_b.id, "scheduled_a": scheduled_a.id, "offer_a": offer_a.id,
        "order_a": order_a.id, "order_b": order_b.id, "note_a": note_a.id, "report_a": report_a.id,
        "seller_a_profile": u["seller_a"].seller_profile.id, "buyer_a_id": u["buyer_a"].id,
    }
    db.session.commit()
    for role, user in u.items():
        w.tokens[role] = issue_token(user)
        w.phones[role] = format_phone(user.phone)
    return w

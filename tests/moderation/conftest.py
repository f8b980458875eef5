"""Factories of the staff area: a small world of two communes with people in every role."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from market.accounts.models import SellerStatus
from market.database import utcnow
from market.extensions import db


@pytest.fixture
def make_report(app, make_user):
    """``make_report(target, reporter=None, category="fake", status="open")`` → a Report about a product/shop."""
    from market.moderation.models import Report
    from market.moderation.scope import commune_of, kind_of, label_of

    def factory(target, reporter=None, category: str = "fake", status: str = "open", text: str = ""):
        report = Report(
            reporter_id=(reporter or make_user(name="Người mua")).id,
            target_type={"seller": "shop"}.get(kind_of(target).name, kind_of(target).name),
            target_id=target.id,
            target_label=label_of(target),
            commune_id=commune_of(target),
            category=category,
            text=text,
            status=status,
        )
        db.session.add(report)
        db.session.flush()
        return report

    return factory


@pytest.fixture
def world(app, make_commune, make_user, make_seller, make_staff, make_product, make_report):
    """Communes A and B; one user per role of the access matrix; objects of commune A in every state."""
    a, b = make_commune("Ea Knuếc"), make_commune("Xuân Lãnh")
    w = SimpleNamespace(a=a, b=b)
    w.buyer = make_user(name="Hoàng Thị Hoa")
    w.seller = make_seller(name="H'Hà Niê", commune=a, shop_name="Vườn sầu riêng")
    w.staff = make_staff(a, name="Cán bộ Ea Knuếc")
    w.other_staff = make_staff(b, name="Cán bộ Xuân Lãnh")
    w.admin = make_staff(admin=True, name="Quản trị")
    w.pending = make_seller(name="Y Điêng", commune=a, shop_name="Hồ tiêu Y Điêng", status=SellerStatus.PENDING)
    w.suspended = make_seller(
        name="Ông Tư", commune=a, shop_name="Tiêu Ông Tư", status=SellerStatus.SUSPENDED, status_reason="Giấy tờ sai"
    )
    w.kol = make_seller(name="H'Lan", commune=a, shop_name="Sầu riêng H'Lan", is_kol=True)
    w.villain = make_seller(name="Kẻ lừa đảo", commune=a, shop_name="Hàng giả")
    w.banned = make_seller(name="Người bị cấm", commune=a, shop_name="Đã bị cấm")
    w.banned.banned_at, w.banned.banned_reason = utcnow(), "Lừa đảo"
    w.seller_b = make_seller(name="Người bán B", commune=b, shop_name="Thổ cẩm B", status=SellerStatus.PENDING)
    w.product = make_product(seller=w.seller, title="Sầu riêng Ri6")
    w.listing = make_product(seller=w.seller, title="Sầu riêng Monthong", status="pending_review")
    w.listing2 = make_product(seller=w.seller, title="Bơ sáp", status="pending_review")
    w.report = make_report(w.product, reporter=w.buyer)
    w.report_b = make_report(w.seller_b.seller_profile, reporter=w.buyer)
    w.assignment_b = w.other_staff.staff_assignments[0]
    db.session.flush()
    return w


@pytest.fixture
def world_b(world, make_product, make_live_session):
    """``world`` plus the review, live-moderation and assisted-mode objects in commune A: a live session with a
    chat message, a filtered word, a listing claiming OCOP stars, and a villager registered by a helper."""
    from market.live.models import ChatMessage
    from market.moderation.assisted.service import register_assisted_seller
    from market.moderation.models import ChatFilterWord

    w = world
    w.session = make_live_session(w.kol, status="live", title="Phiên sầu riêng Ea Knuếc")
    w.message = ChatMessage(session_id=w.session.id, user_id=w.buyer.id, text="Bán hàng giả đây", created_at=utcnow())
    db.session.add(w.message)
    w.word = ChatFilterWord(
        commune_id=w.a.id, word="lừa đảo", folded="lua dao", created_by_id=w.staff.id, created_at=utcnow()
    )
    db.session.add(w.word)
    w.ocop = make_product(
        seller=w.seller, title="Sầu riêng Monthong OCOP", ocop_stars=4, ocop_certificate_no="OCOP-DL-2025-0412"
    )
    w.villager = register_assisted_seller(
        w.staff,
        phone="0987 111 222",
        name="Bà H'Jih",
        shop_name="Vườn bà H'Jih",
        commune_id=w.a.id,
        story="",
        consent=True,
    )
    db.session.flush()
    return w

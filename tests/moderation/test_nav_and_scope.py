"""The "Staff" entry of the navigation, and the scope helpers every staff query goes through."""

import re

import pytest
import sqlalchemy as sa

from market import ui
from market.accounts.models import SellerProfile
from market.domain import NotFound
from market.extensions import db
from market.moderation import scope
from tests.conftest import login_as


def nav_labels(client) -> list[str]:
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('class="bottomnav"') :]
    return re.findall(r"<span>([^<]+)</span></a>", nav)


@pytest.mark.parametrize(
    ("role", "labels"),
    [
        (None, ["Trang chủ", "Phiên live", "Đăng nhập"]),
        ("buyer", ["Trang chủ", "Phiên live", "Đơn hàng", "Bán hàng", "Tài khoản"]),
        ("seller", ["Trang chủ", "Phiên live", "Đơn hàng", "Gian hàng", "Tài khoản"]),
        ("staff", ["Trang chủ", "Phiên live", "Đơn hàng", "Cán bộ", "Tài khoản"]),
        ("admin", ["Trang chủ", "Phiên live", "Đơn hàng", "Cán bộ", "Tài khoản"]),
    ],
)
def test_staff_entry_only_for_staff(client, world, role, labels):
    if role:
        login_as(client, getattr(world, role))
    assert nav_labels(client) == labels


@pytest.mark.parametrize("role", [None, "buyer", "seller", "staff", "admin"])
def test_at_most_five_entries_once_live_and_orders_arrive(client, world, monkeypatch, role):
    monkeypatch.setattr(ui, "_nav", dict(ui._nav))
    ui.nav_item("live", "catalog.home", lambda: "Live", "live", order=20)
    ui.nav_item("orders", "catalog.home", lambda: "Orders", "orders", order=40)
    if role:
        login_as(client, getattr(world, role))
    assert len(nav_labels(client)) <= 5


def test_staff_who_sell_reach_their_shop_from_the_account_page(client, world, make_seller):
    make_seller(user=world.staff, commune=world.a, shop_name="Vườn cán bộ")
    login_as(client, world.staff)
    assert "Gian hàng" not in nav_labels(client)
    assert "Vườn cán bộ" in client.get("/account").get_data(as_text=True)


def test_communes_for(world):
    assert scope.communes_for(world.staff) == {world.a.id}
    assert scope.communes_for(world.admin) is None
    assert scope.communes_for(world.buyer) == set()
    assert not scope.is_staff(world.seller) and scope.is_staff(world.other_staff) and scope.is_staff(world.admin)


def test_scoped_queries(world):
    def shops(user):
        return set(db.session.scalars(scope.scoped(sa.select(SellerProfile.shop_name), SellerProfile, user)))

    assert "Thổ cẩm B" not in shops(world.staff) and "Hồ tiêu Y Điêng" in shops(world.staff)
    assert shops(world.other_staff) == {"Thổ cẩm B"}
    assert shops(world.buyer) == set()
    assert {"Thổ cẩm B", "Hồ tiêu Y Điêng"} <= shops(world.admin)


@pytest.mark.parametrize("raw", [None, "", "abc", "-1", "0", "1.5", True, 2**31, "99999999999", " 1"])
def test_get_in_scope_refuses_nonsense_ids(world, raw):
    with pytest.raises(NotFound):
        scope.get_in_scope(SellerProfile, raw, world.admin)


def test_get_in_scope_hides_other_communes(world):
    pid = world.pending.seller_profile.id
    assert scope.get_in_scope(SellerProfile, pid, world.staff).id == pid
    assert scope.get_in_scope(SellerProfile, str(pid), world.admin).id == pid
    with pytest.raises(NotFound):
        scope.get_in_scope(SellerProfile, pid, world.other_staff)


def test_user_footprint(world, make_user):
    from market.orders.service import Line, place_order

    assert scope.user_footprint(world.seller.id) == {world.a.id}
    buyer = make_user()
    assert scope.user_footprint(buyer.id) == set()
    place_order(buyer, [Line("product", world.product.id, 1)], "footprint-1")
    assert scope.user_footprint(buyer.id) == {world.a.id}

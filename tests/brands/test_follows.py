"""Following a brand, a shop or a commune: small CSRF-protected forms with counts, the login round trip for
visitors, the "following" list on the account page; bad targets and double taps refused, nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.accounts.models import SellerStatus
from market.brands.models import Follow
from market.extensions import db
from tests.brands.conftest import count
from tests.conftest import post_form


@pytest.fixture
def buyer(make_user):
    return make_user(name="Hoàng Thị Hoa")


def _targets(kol, brand, commune):
    return {
        "brand": (brand.id, "/b/ami-kao-durian"),
        "shop": (kol.seller_profile.id, f"/s/{kol.seller_profile.slug}"),
        "commune": (commune.id, "/c/ea-knuec"),
    }


@pytest.mark.parametrize("kind", ["brand", "shop", "commune"])
def test_follow_and_unfollow_from_the_page(client, login, buyer, kol, brand, commune, kind):
    target_id, page = _targets(kol, brand, commune)[kind]
    login(buyer)
    html = client.get(page).get_data(as_text=True)
    assert f'action="/follow/{kind}/{target_id}"' in html and "0 người theo dõi" in html
    resp = post_form(client, f"/follow/{kind}/{target_id}", {"next": page}, page=page)
    assert resp.status_code == 302 and resp.headers["Location"] == page
    html = client.get(page).get_data(as_text=True)
    assert "1 người theo dõi" in html and f'action="/unfollow/{kind}/{target_id}"' in html
    assert "Bạn đang theo dõi" in html
    row = db.session.scalar(sa.select(Follow))
    assert (row.user_id, row.target_type, row.target_id) == (buyer.id, kind, target_id)

    resp = post_form(client, f"/unfollow/{kind}/{target_id}", {"next": page}, page=page)
    assert resp.status_code == 302 and count(Follow) == 0
    assert "0 người theo dõi" in client.get(page).get_data(as_text=True)


def test_counts_count_everyone(client, login, make_user, brand):
    for i in range(3):
        db.session.add(Follow(user_id=make_user(name=f"Người {i}").id, target_type="brand", target_id=brand.id))
    db.session.flush()
    assert "3 người theo dõi" in client.get("/b/ami-kao-durian").get_data(as_text=True)


def test_a_visitor_tapping_follow_logs_in_and_comes_back(client, make_user, brand):
    buyer = make_user(phone="0912345678")
    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert 'href="/login?next=/b/ami-kao-durian"' in html  # the button is a link to log in
    # A stale page's form posted without a session: to the login page, then back to the brand page.
    resp = post_form(client, f"/follow/brand/{brand.id}", {"next": "/b/ami-kao-durian"}, page="/b/ami-kao-durian")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/b/ami-kao-durian"
    assert count(Follow) == 0
    resp = post_form(
        client,
        "/login?next=/b/ami-kao-durian",
        {"phone": "0912345678", "password": "password123"},
        page="/login?next=/b/ami-kao-durian",
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/b/ami-kao-durian"
    assert post_form(client, f"/follow/brand/{brand.id}", {}, page="/b/ami-kao-durian").status_code == 302
    assert db.session.scalar(sa.select(Follow.user_id)) == buyer.id


def test_next_must_stay_on_the_site(client, login, buyer, brand):
    login(buyer)
    resp = post_form(client, f"/follow/brand/{brand.id}", {"next": "https://evil.example/"}, page="/")
    assert resp.headers["Location"] == "/b/ami-kao-durian"


def test_json_answer_for_scripts(client, login, buyer, brand):
    login(buyer)
    resp = post_form(client, f"/follow/brand/{brand.id}", {}, page="/", headers={"Accept": "application/json"})
    assert resp.json == {
        "ok": True,
        "following": True,
        "count": 1,
        "message": "Bạn đang theo dõi Ami kao Durian. Chúng tôi sẽ báo khi có phiên live.",
    }


def test_following_twice_and_unfollowing_twice_are_refused(client, login, buyer, brand):
    login(buyer)
    assert post_form(client, f"/follow/brand/{brand.id}", {}, page="/").status_code == 302
    resp = post_form(client, f"/follow/brand/{brand.id}", {}, page="/")
    assert resp.status_code == 409 and "Bạn đã theo dõi Ami kao Durian rồi." in resp.get_data(as_text=True)
    assert count(Follow) == 1
    assert post_form(client, f"/unfollow/brand/{brand.id}", {}, page="/").status_code == 302
    resp = post_form(client, f"/unfollow/brand/{brand.id}", {}, page="/")
    assert resp.status_code == 409 and "Bạn không theo dõi Ami kao Durian." in resp.get_data(as_text=True)
    assert count(Follow) == 0


@pytest.mark.parametrize(
    "case",
    [
        "missing_brand",
        "missing_shop",
        "missing_commune",
        "suspended_shop",
        "pending_shop",
        "hidden_brand",
        "unknown_kind",
        "huge_id",
    ],
)
def test_following_what_does_not_exist_or_is_hidden_is_404(
    client, login, buyer, make_seller, commune, kol, brand, case
):
    suspended = make_seller(commune=commune, status=SellerStatus.SUSPENDED).seller_profile.id
    pending = make_seller(commune=commune, status=SellerStatus.PENDING).seller_profile.id
    url = {
        "missing_brand": "/follow/brand/987654",
        "missing_shop": "/follow/shop/987654",
        "missing_commune": "/follow/commune/987654",
        "suspended_shop": f"/follow/shop/{suspended}",
        "pending_shop": f"/follow/shop/{pending}",
        "hidden_brand": f"/follow/brand/{brand.id}",
        "unknown_kind": f"/follow/product/{brand.id}",
        "huge_id": "/follow/brand/99999999999999999999",
    }[case]
    if case == "hidden_brand":
        kol.seller_profile.status = SellerStatus.SUSPENDED
        db.session.flush()
    login(buyer)
    resp = post_form(client, url, {}, page="/")
    assert resp.status_code == 404
    assert count(Follow) == 0


def test_follow_forms_need_the_csrf_token(client, login, buyer, brand):
    login(buyer)
    resp = client.post(f"/follow/brand/{brand.id}", data={})
    assert resp.status_code == 400 and count(Follow) == 0


def test_get_never_follows(client, login, buyer, brand):
    login(buyer)
    assert client.get(f"/follow/brand/{brand.id}").status_code == 405


def test_following_list_on_the_account_page(client, login, buyer, kol, brand, commune):
    login(buyer)
    for kind, (target_id, _page) in _targets(kol, brand, commune).items():
        assert post_form(client, f"/follow/{kind}/{target_id}", {}, page="/").status_code == 302
    account = client.get("/account").get_data(as_text=True)
    assert "Đang theo dõi (3)" in account
    assert 'href="/b/ami-kao-durian"' in account and "Vườn sầu riêng Ea Knuếc" in account
    listing = client.get("/following").get_data(as_text=True)
    assert listing.count('action="/unfollow/') == 3
    # a shop suspended since still shows, and can be dropped
    kol.seller_profile.status = SellerStatus.SUSPENDED
    db.session.flush()
    resp = post_form(client, f"/unfollow/shop/{kol.seller_profile.id}", {"next": "/following"}, page="/following")
    assert resp.status_code == 302 and resp.headers["Location"] == "/following"
    assert count(Follow) == 2


def test_following_page_needs_login(client):
    assert client.get("/following").status_code == 302
    assert client.post("/unfollow/brand/1").status_code in (302, 400)  # no session: login first (or no CSRF)


def test_follow_changes_are_rate_limited(client, login, buyer, brand, monkeypatch):
    from market.brands import routes

    monkeypatch.setattr(routes, "FOLLOW_CHANGES_PER_HOUR", "2/hour")
    login(buyer)
    assert post_form(client, f"/follow/brand/{brand.id}", {}, page="/").status_code == 302
    assert post_form(client, f"/unfollow/brand/{brand.id}", {}, page="/").status_code == 302
    resp = post_form(client, f"/follow/brand/{brand.id}", {}, page="/")
    assert resp.status_code == 429 and count(Follow) == 0

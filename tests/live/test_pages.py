"""Live pages: the list, scheduling (KOLs only), the watch page, the host console and its plain forms."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.database import utcnow
from market.extensions import db
from market.live.models import LiveOffer, LiveSession
from tests.conftest import post_form

TOMORROW = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
SCHEDULE = {
    "title": "Phiên sầu riêng Ea Knuếc",
    "stream_url": "https://www.tiktok.com/@hhanie/live",
    "scheduled_at": f"{TOMORROW}T20:00",
    "description": "Ri6 chín cây",
    "cover_product_id": "0",
}


def test_live_index_lists_live_upcoming_and_ended(client, make_session):
    make_session(title="Đang phát nè")
    make_session(title="Sắp tới nè", status="scheduled", scheduled_at=utcnow() + timedelta(days=1))
    make_session(title="Xong rồi nè", status="ended", replay_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    html = client.get("/live").get_data(as_text=True)
    assert "Đang phát nè" in html and "Sắp tới nè" in html and "Xong rồi nè" in html
    assert html.index("Đang phát nè") < html.index("Sắp tới nè") < html.index("Xong rồi nè")
    assert "Có bản xem lại" in html
    assert "<script>" not in html


def test_home_and_commune_pages_show_sessions(client, make_session, make_commune, make_host):
    session = make_session(title="Phiên ở xã này")
    other = make_host(commune=make_commune(name="Xã Khác"), shop_name="Vườn khác")
    make_session(host=other, title="Phiên xã khác", status="scheduled")
    home = client.get("/").get_data(as_text=True)
    assert "Phiên ở xã này" in home and "Phiên xã khác" in home and "ĐANG LIVE" in home
    commune = client.get(f"/c/{session.commune.slug}").get_data(as_text=True)
    assert "Phiên ở xã này" in commune and "Phiên xã khác" not in commune


def test_home_without_sessions_has_no_live_section(client):
    assert "live-slot" not in client.get("/").get_data(as_text=True)


def test_watch_page_renders_offers_and_ids_for_the_script(client, make_offer):
    offer = make_offer(quantity=500, per_buyer_limit=20, price_vnd=79_000)
    html = client.get(f"/live/{offer.session_id}").get_data(as_text=True)
    assert f'data-session-id="{offer.session_id}"' in html and f'data-offer-id="{offer.id}"' in html
    assert "79.000" in html and "Còn 500 kg · tối đa 20 kg/người" in html
    assert "Xem trên TikTok" in html and "youtube-nocookie" not in html
    assert "vendor/socket.io.min.js" in html and "js/live.js" in html and "<script>" not in html
    assert 'id="live-login"' in html  # anonymous: the login prompt comes back here
    assert f"/login?next=/live/{offer.session_id}" in html


def test_watch_page_shows_the_offers_photo(client, make_offer):
    from market.catalog.models import ProductPhoto
    from market.extensions import db

    offer = make_offer()
    db.session.add(ProductPhoto(product=offer.product, position=0, image_hash="ef" * 32, width=600, height=800))
    db.session.flush()
    db.session.expire(offer.product, ["photos"])
    html = client.get(f"/live/{offer.session_id}").get_data(as_text=True)
    assert f'<img src="/media/p/ef/ef/{"ef" * 32}-320.jpg" alt="" loading="lazy">' in html


def test_youtube_is_embedded_and_ended_sessions_show_the_replay(client, make_session):
    live = make_session(stream_url="https://youtu.be/dQw4w9WgXcQ")
    html = client.get(f"/live/{live.id}").get_data(as_text=True)
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?' in html
    ended = make_session(status="ended", replay_url="https://www.facebook.com/hhanie/videos/1")
    html = client.get(f"/live/{ended.id}").get_data(as_text=True)
    assert "Xem lại trên Facebook" in html and "https://www.facebook.com/hhanie/videos/1" in html
    assert "Phiên live đã kết thúc" in html


def test_unknown_session_is_404(client):
    assert client.get("/live/999999").status_code == 404
    assert client.get("/live/999999/host").status_code in (302, 404)


# ---- scheduling --------------------------------------------------------------------------------------


def test_only_kols_schedule(client, login, make_seller, make_user):
    assert client.get("/live/new").status_code == 302  # log in first
    login(make_user())
    resp = client.get("/live/new")
    assert resp.status_code == 403 and "KOL" in resp.get_data(as_text=True)
    client.get("/logout")


def test_non_kol_seller_cannot_schedule(client, login, make_seller):
    login(make_seller(is_kol=False))
    assert post_form(client, "/live/new", SCHEDULE).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(LiveSession.id))) == 0


def test_a_kol_schedules_and_lands_on_her_console(client, login, make_host):
    host = make_host()
    login(host)
    assert client.get("/live/new").status_code == 200
    resp = post_form(client, "/live/new", SCHEDULE, page="/live/new")
    assert resp.status_code == 302
    session = db.session.scalar(sa.select(LiveSession))
    assert resp.headers["Location"] == f"/live/{session.id}/host"
    assert session.status == "scheduled" and session.seller_id == host.seller_profile.id
    assert session.scheduled_at.hour == 13  # 20:00 in Vietnam is 13:00 UTC
    assert session.commune_id == host.seller_profile.commune_id
    console = client.get(f"/live/{session.id}/host").get_data(as_text=True)
    assert "Bắt đầu phát" in console


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stream_url", "http://www.tiktok.com/@a/live", "https"),
        ("stream_url", "https://evil.example/live", "TikTok"),
        ("stream_url", "", "dán đường dẫn"),
        ("title", "", "tiêu đề"),
        ("title", "x" * 121, "120"),
        ("scheduled_at", "not a date", "ngày và giờ"),
        ("scheduled_at", "2020-01-01T10:00", "chưa qua"),
        ("scheduled_at", "2099-01-01T10:00", "một năm"),
        ("cover_product_id", "12345", "Hãy chọn"),
        ("cover_product_id", "abc", "Hãy chọn"),
    ],
)
def test_bad_schedules_are_refused_beside_the_field(client, login, make_host, field, value, message):
    login(make_host())
    resp = post_form(client, "/live/new", {**SCHEDULE, field: value}, page="/live/new")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert message in html
    assert html.count("Hãy chọn một giá trị trong danh sách.") <= 1  # "abc" was refused twice in one message
    assert db.session.scalar(sa.select(sa.func.count(LiveSession.id))) == 0


def test_host_edits_and_adds_the_replay(client, login, make_session):
    session = make_session(status="ended")
    login(session.seller.user)
    resp = post_form(
        client,
        f"/live/{session.id}/edit",
        {**SCHEDULE, "replay_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
        page=f"/live/{session.id}/edit",
    )
    assert resp.status_code == 302
    db.session.refresh(session)
    assert session.replay_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_others_cannot_edit_or_open_the_console(client, login, make_session, make_host, make_staff, make_commune):
    session = make_session()
    login(make_host(shop_name="Vườn khác"))
    assert client.get(f"/live/{session.id}/edit").status_code == 404
    assert client.get(f"/live/{session.id}/host").status_code == 404
    assert post_form(client, f"/live/{session.id}/end", {}).status_code == 404
    login(make_staff(make_commune(name="Xã khác")))
    assert client.get(f"/live/{session.id}/host").status_code == 404


def test_commune_staff_open_the_console_for_phone_orders(client, login, make_offer, make_staff):
    offer = make_offer()
    login(make_staff(offer.session.commune))
    html = client.get(f"/live/{offer.session_id}/host").get_data(as_text=True)
    assert "Chốt đơn qua điện thoại" in html and 'id="pin-form"' not in html and 'id="end-form"' not in html


def test_start_and_end_by_plain_forms(client, login, make_session, make_product):
    session = make_session(status="scheduled")
    host = session.seller.user
    login(host)
    resp = post_form(client, f"/live/{session.id}/start", {}, page=f"/live/{session.id}/host")
    assert resp.status_code == 302
    db.session.refresh(session)
    assert session.status == "live"
    html = client.get(f"/live/{session.id}/host").get_data(as_text=True)
    assert 'id="pin-form"' in html or "chưa có sản phẩm nào được duyệt" in html
    product = make_product(seller=host, stock=10)
    from market.live import offers

    offers.pin_offer(session, host, product.id, 50_000, 10, 2)
    resp = post_form(client, f"/live/{session.id}/end", {}, page=f"/live/{session.id}/host")
    assert resp.status_code == 302
    db.session.refresh(session)
    assert session.status == "ended"
    assert db.session.scalar(sa.select(LiveOffer.status)) == "closed"
    # ending twice: a message, not an error page
    resp = post_form(client, f"/live/{session.id}/end", {}, page=f"/live/{session.id}/host", follow_redirects=True)
    assert resp.status_code == 200 and "đã kết thúc" in resp.get_data(as_text=True)


def test_forms_need_the_csrf_token(client, login, make_session):
    session = make_session(status="scheduled")
    login(session.seller.user)
    assert client.post(f"/live/{session.id}/start").status_code == 400
    db.session.refresh(session)
    assert session.status == "scheduled"


def test_nav_has_live(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/live"' in html and ">Phiên live<" in html


def test_the_console_marks_orders_that_fell_through(client, login, make_offer, make_user):
    """The host's list of the session's orders says which were cancelled or expired (it showed them like the
    rest, so a KOL could pack an order nobody will pay for)."""
    from market.orders import actions
    from market.orders.service import Line, place_order
    from market.orders.states import Actor
    from tests.live.conftest import new_key

    offer = make_offer()
    buyer = make_user(name="Người mua A")
    kept = place_order(
        buyer, [Line("offer", offer.id, 1)], new_key(), origin="live", live_session_id=offer.session_id
    ).order
    gone = place_order(
        buyer, [Line("offer", offer.id, 2)], new_key(), origin="live", live_session_id=offer.session_id
    ).order
    actions.cancel(gone, buyer, role=Actor.BUYER, reason="Đặt nhầm")
    db.session.flush()
    login(offer.session.seller.user)
    html = client.get(f"/live/{offer.session_id}/host").get_data(as_text=True)
    rows = {
        code: row
        for code, row in re.findall(
            r'<li data-order-id="\d+"[^>]*><a href="/orders/\d+">(CP\w+)</a>(.*?)</li>', html, re.S
        )
    }
    assert "data-order-gone" in rows[gone.code] and "Đã hủy" in rows[gone.code]
    assert "data-order-gone" not in rows[kept.code]

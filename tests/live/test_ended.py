"""The page of a session that ended: one message, the replay (embedded for YouTube, else a link), what sold
with links to those products and the shop, the host's next live, a follow button; no chat, no hearts."""

import re
from datetime import timedelta

from market.database import utcnow
from market.extensions import db
from market.live import offers, sessions
from market.orders.service import Line, place_order
from tests.live.conftest import new_key


def _end_with_sales(make_offer, make_product, make_user, **session_kw):
    offer = make_offer(quantity=20)
    session = offer.session
    host = session.seller.user
    slow = make_product(seller=host, stock=10, title="Mật ong rừng")
    quiet = offers.pin_offer(session, host, slow.id, 200_000, 5)
    place_order(make_user(), [Line("offer", offer.id, 3)], new_key(), origin="live", live_session_id=session.id)
    place_order(make_user(), [Line("offer", offer.id, 2)], new_key(), origin="live", live_session_id=session.id)
    for name, value in session_kw.items():
        setattr(session, name, value)
    sessions.end_session(session, host)
    db.session.flush()
    return session, offer, quiet


def test_one_message_the_replay_and_what_sold(client, make_offer, make_product, make_user):
    session, offer, quiet = _end_with_sales(
        make_offer, make_product, make_user, replay_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert html.count("đã kết thúc") + html.count("Đã kết thúc") == 1  # said once
    assert "Chưa có sản phẩm nào được ghim" not in html
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?playsinline=1"' in html  # no autoplay
    assert "Xem lại trên YouTube" in html
    sold = html[html.index("Đã bán trong phiên này") :]
    product = offer.product
    assert f'href="/p/{product.id}-{product.slug}"' in sold and "Đã bán 5 kg" in sold and "79.000" in sold
    assert "Mật ong rừng" not in sold  # pinned, nothing sold
    assert f'href="/s/{session.seller.slug}"' in html
    assert "/follow/shop/" in html or "/login?next=" in html  # follow the host's shop
    assert 'id="live-chat-form"' not in html and 'id="live-heart"' not in html and "Thả tim" not in html
    assert "socket.io" not in html and "js/live.js" not in html


def test_without_a_replay_the_host_is_asked_for_its_link(client, login, make_session):
    session = make_session(status="ended")
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert "Người bán chưa đăng bản xem lại." in html and "Phiên này chưa bán được món nào." in html
    login(session.seller.user)
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert f'href="/live/{session.id}/edit"' in html and "Dán link bản ghi hình" in html


def test_a_facebook_replay_is_a_link_and_the_next_live_is_shown(client, make_session, make_host):
    host = make_host()
    ended = make_session(host=host, status="ended", replay_url="https://www.facebook.com/hhanie/videos/1")
    make_session(host=host, status="scheduled", title="Phiên tuần sau", scheduled_at=utcnow() + timedelta(days=7))
    html = client.get(f"/live/{ended.id}").get_data(as_text=True)
    assert "<iframe" not in html and 'href="https://www.facebook.com/hhanie/videos/1"' in html
    assert "Phiên tuần sau" in html and "Phiên tới:" in html


def test_a_product_taken_off_sale_is_named_without_a_link(client, make_offer, make_product, make_user):
    from market.catalog.models import ProductStatus

    session, offer, _quiet = _end_with_sales(make_offer, make_product, make_user)
    offer.product.status = ProductStatus.ARCHIVED
    db.session.flush()
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    sold = html[html.index("Đã bán trong phiên này") :]
    assert offer.product.title in sold and f"/p/{offer.product.id}-" not in sold


def test_the_follow_button_follows_the_hosts_shop(client, login, make_session, make_user):
    session = make_session(status="ended")
    login(make_user())
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert re.search(rf'action="/follow/shop/{session.seller_id}"', html)

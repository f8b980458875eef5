"""A session streamed only on Chợ Phiên: with our own video on (JANUS_URL) the TikTok, YouTube or
Facebook link is optional; without it the link is required, and the host is told why beside the field. Every
page and answer that shows a session's stream copes with a session that has none."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.database import utcnow
from market.domain import FieldErrors
from market.extensions import db
from market.live import sessions
from market.live.models import LiveSession
from tests.conftest import post_form

TOMORROW = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
FORM = {
    "title": "Phiên bơ Krông Pắc",
    "stream_url": "",
    "scheduled_at": f"{TOMORROW}T20:00",
    "description": "",
    "cover_product_id": "0",
}
WHY = "trang này chưa tự phát video được"  # the Vietnamese reason the link is required


def _error_of(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error"[^>]*>(.*?)</', html, re.S)
    return found.group(1) if found else ""


def test_with_our_own_video_a_session_needs_no_link(client, login, make_host, video_configured):
    host = make_host()
    login(host)
    page = client.get("/live/new").get_data(as_text=True)
    assert "Facebook của bạn (không bắt buộc)" in page and "Để trống nếu bạn phát trực tiếp từ điện thoại" in page
    assert not re.search(r'<input[^>]*id="stream_url"[^>]*required', page)
    resp = post_form(client, "/live/new", FORM, page="/live/new")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    session = db.session.scalar(sa.select(LiveSession))
    assert session.stream_url is None
    # a link, when given, is still checked
    bad = post_form(client, "/live/new", {**FORM, "stream_url": "https://evil.example/live"}, page="/live/new")
    assert bad.status_code == 400 and "https" in _error_of(bad.get_data(as_text=True), "stream_url")


def test_with_our_own_video_the_host_may_clear_a_sessions_link(client, login, make_session, video_configured):
    session = make_session(status="scheduled", scheduled_at=utcnow() + timedelta(days=1))
    login(session.seller.user)
    resp = post_form(
        client,
        f"/live/{session.id}/edit",
        {**FORM, "title": session.title, "replay_url": ""},
        page=f"/live/{session.id}/edit",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.refresh(session)
    assert session.stream_url is None


def test_without_our_own_video_the_link_is_required_and_says_why(client, login, make_host, make_session):
    host = make_host()
    login(host)
    page = client.get("/live/new").get_data(as_text=True)
    assert "Facebook của bạn (không bắt buộc)" not in page and "Mở live trên TikTok, YouTube hoặc Facebook" in page
    assert re.search(r'<input[^>]*id="stream_url"[^>]*required', page)
    resp = post_form(client, "/live/new", FORM, page="/live/new")
    assert resp.status_code == 400
    assert WHY in _error_of(resp.get_data(as_text=True), "stream_url")
    assert db.session.scalar(sa.select(sa.func.count(LiveSession.id))) == 0
    # a link-less session made while video was on cannot be saved again without one once it is off
    session = make_session(host=host, status="live", stream_url=None)
    resp = post_form(
        client,
        f"/live/{session.id}/edit",
        {**FORM, "title": "Tên mới", "replay_url": ""},
        page=f"/live/{session.id}/edit",
    )
    assert resp.status_code == 400 and WHY in _error_of(resp.get_data(as_text=True), "stream_url")
    db.session.refresh(session)
    assert session.title != "Tên mới"


def test_the_service_decides_it_too(app, make_host, video_configured):
    """The rule is the service's (a caller other than the form gets it as well)."""
    host = make_host()
    fields = sessions.SessionFields(
        title="Phiên bơ", description="", stream_url=None, scheduled_at=utcnow() + timedelta(days=1)
    )
    assert sessions.schedule_session(host, fields).stream_url is None
    app.config["JANUS_URLS"] = ()
    with pytest.raises(FieldErrors) as refused:
        sessions.schedule_session(host, fields)
    [err] = refused.value.errors
    assert err.field == "stream_url" and WHY in err.message


def test_the_watch_page_without_video_says_so_and_keeps_the_order_panel(client, make_session, make_offer):
    session = make_session(stream_url=None)
    offer = make_offer(session=session)
    resp = client.get(f"/live/{session.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Hiện chưa xem được video của phiên này. Bạn vẫn đặt hàng bình thường ở bên dưới." in html
    assert "btn-watch" not in html and 'id="video-player"' not in html
    assert f'data-offer-id="{offer.id}"' in html and 'id="live-offers"' in html


def test_the_host_console_says_where_to_stream(client, login, make_session, video_configured):
    session = make_session(status="scheduled", stream_url=None)
    login(session.seller.user)
    html = client.get(f"/live/{session.id}/host").get_data(as_text=True)
    assert "Hãy phát trực tiếp từ điện thoại này (bên dưới) trước" in html and 'id="video-host"' in html
    video_configured.config["JANUS_URLS"] = ()
    html = client.get(f"/live/{session.id}/host").get_data(as_text=True)
    assert "Phiên này chưa có đường dẫn live" in html and "Sửa thông tin" in html


def test_the_snapshot_has_no_stream(socket_client, make_session):
    session = make_session(stream_url=None)
    ack = socket_client().call("join", {"session_id": session.id})
    assert ack["ok"] is True
    assert ack["snapshot"]["session"]["stream"] is None and ack["snapshot"]["session"]["url"] == f"/live/{session.id}"


def test_staff_report_and_ended_pages_render(client, login, make_session, make_staff):
    session = make_session(stream_url=None)
    staff = make_staff(session.commune)
    login(staff)
    page = client.get(f"/staff/live/{session.id}")
    assert page.status_code == 200 and "Chỉ phát trên Chợ Phiên" in page.get_data(as_text=True)
    assert client.get(f"/live/{session.id}/report").status_code == 200
    assert client.get("/staff/dashboard").status_code == 200  # it counts the commune's sessions
    session.status, session.ended_at = "ended", utcnow()
    db.session.flush()
    assert client.get(f"/live/{session.id}").status_code == 200
    assert client.get(f"/live/{session.id}/report").status_code == 200

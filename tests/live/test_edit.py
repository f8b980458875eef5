"""Editing a session once it is on air or over: the date is history (the form no longer asks for it), the
replay link is saved, and every refused field says why beside itself."""

import re

import pytest

from market.extensions import db
from tests.conftest import post_form

REPLAY = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def _form(session, **changes):
    data = {
        "title": session.title,
        "stream_url": session.stream_url,
        "description": "",
        "cover_product_id": "0",
        "replay_url": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("status", ["live", "ended"])
def test_the_replay_link_is_saved_without_a_date(client, login, make_session, status):
    session = make_session(status=status)
    when = session.scheduled_at
    login(session.seller.user)
    page = client.get(f"/live/{session.id}/edit").get_data(as_text=True)
    assert 'name="scheduled_at"' not in page and 'name="replay_url"' in page
    resp = post_form(
        client,
        f"/live/{session.id}/edit",
        _form(session, replay_url=REPLAY, stream_url="https://youtu.be/dQw4w9WgXcQ"),
        page=f"/live/{session.id}/edit",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.refresh(session)
    assert session.replay_url == REPLAY and session.stream_url == "https://youtu.be/dQw4w9WgXcQ"
    assert session.scheduled_at == when


def _errors(html: str) -> dict[str, str]:
    """field name → the error text shown beside it (templates/_forms.html: the error follows the input)."""
    return {m.group(1): m.group(2) for m in re.finditer(r'id="([a-z_]+)-error"[^>]*>(.*?)</', html, re.S)}


def test_every_refused_field_says_why_beside_itself(client, login, make_session):
    session = make_session(status="ended")
    login(session.seller.user)
    resp = post_form(
        client,
        f"/live/{session.id}/edit",
        _form(
            session,
            title="",
            stream_url="https://evil.example/live",
            replay_url="http://www.youtube.com/watch?v=dQw4w9WgXcQ",
            cover_product_id="999999",
        ),
        page=f"/live/{session.id}/edit",
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    errors = _errors(html)
    assert "tiêu đề" in errors["title"]
    assert "https" in errors["stream_url"] and "https" in errors["replay_url"]
    assert "Hãy chọn" in errors["cover_product_id"]
    db.session.refresh(session)
    assert session.title != "" and session.replay_url is None  # nothing half-written


def test_a_scheduled_session_still_asks_for_its_date(client, login, make_session):
    session = make_session(status="scheduled")
    login(session.seller.user)
    page = client.get(f"/live/{session.id}/edit").get_data(as_text=True)
    assert 'name="scheduled_at"' in page
    resp = post_form(
        client, f"/live/{session.id}/edit", _form(session, scheduled_at="not a date"), page=f"/live/{session.id}/edit"
    )
    assert resp.status_code == 400
    assert "ngày và giờ" in _errors(resp.get_data(as_text=True))["scheduled_at"]

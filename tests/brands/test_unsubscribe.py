"""The unsubscribe link of live-alert SMS: signed per follow with SECRET_KEY, works without logging in; a GET
(what link prefetchers and chat previews do) only shows what will stop; the POST (with CSRF) stops it.
Forged, tampered and expired links get a clear 400 page and change nothing."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from market.brands import follows
from market.brands.models import Follow
from market.extensions import db
from tests.brands.conftest import count
from tests.conftest import post_form


@pytest.fixture
def row(make_user, brand):
    f = Follow(user_id=make_user(name="Hoàng Thị Hoa").id, target_type="brand", target_id=brand.id)
    db.session.add(f)
    db.session.flush()
    return f


@pytest.fixture
def token(app, row):
    with app.test_request_context():
        return follows.stop_token(row)


def test_get_shows_what_will_stop_and_changes_nothing(client, token):
    for _ in range(3):  # a prefetcher, a preview, the person
        resp = client.get(f"/stop/{token}")
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert "Bạn đang theo dõi Ami kao Durian" in html and 'method="post"' in html
        assert 'name="robots" content="noindex"' in html
    assert count(Follow) == 1


def test_post_stops_the_follow_without_login_then_refuses_a_second_time(client, token):
    resp = post_form(client, f"/stop/{token}", {}, page=f"/stop/{token}")
    assert resp.status_code == 200 and "Bạn đã bỏ theo dõi Ami kao Durian" in resp.get_data(as_text=True)
    assert count(Follow) == 0
    again = client.get(f"/stop/{token}")
    assert again.status_code == 200 and "không có gì để ngừng" in again.get_data(as_text=True)
    resp = post_form(client, f"/stop/{token}", {}, page=f"/stop/{token}")
    assert resp.status_code == 409 and "Bạn không theo dõi Ami kao Durian." in resp.get_data(as_text=True)


def test_post_needs_the_csrf_token(client, token):
    assert client.post(f"/stop/{token}").status_code == 400
    assert count(Follow) == 1


def test_token_is_short_enough_for_an_sms(token):
    assert len(token) < 80


def test_the_link_stops_only_its_own_follow(client, app, row, make_user, brand, token):
    # Following again makes a new follow: the old link no longer stops it.
    db.session.delete(row)
    db.session.flush()
    db.session.add(Follow(user_id=row.user_id, target_type="brand", target_id=brand.id))
    db.session.flush()
    resp = post_form(client, f"/stop/{token}", {}, page="/")
    assert resp.status_code == 409 and count(Follow) == 1


def _tampered(token: str) -> str:
    payload, stamp, sig = token.split(".")
    return f"{payload}.{stamp}.{sig[:-2]}{'AA' if not sig.endswith('AA') else 'BB'}"


@pytest.mark.parametrize(
    "case", ["forged", "tampered", "other_payload", "wrong_salt", "junk", "huge", "expired", "wrong_shape"]
)
def test_bad_links_get_a_clear_400_and_nothing_changes(client, app, row, token, monkeypatch, case):
    key = app.config["SECRET_KEY"]
    if case == "forged":
        bad = URLSafeTimedSerializer("not-our-key", salt=follows.STOP_SALT).dumps(
            [row.id, row.user_id, "b", row.target_id]
        )
    elif case == "tampered":
        bad = _tampered(token)
    elif case == "other_payload":  # someone else's follow id with our signature copied over
        payload, stamp, sig = token.split(".")
        other = URLSafeTimedSerializer(key, salt=follows.STOP_SALT).dumps([row.id + 1, row.user_id, "b", row.target_id])
        bad = f"{other.split('.')[0]}.{stamp}.{sig}"
    elif case == "wrong_salt":  # a token signed for something else (e.g. a session) is not an unsubscribe link
        bad = URLSafeTimedSerializer(key, salt="other").dumps([row.id, row.user_id, "b", row.target_id])
    elif case == "junk":
        bad = "hello"
    elif case == "huge":
        bad = "a" * 5000
    elif case == "wrong_shape":
        bad = URLSafeTimedSerializer(key, salt=follows.STOP_SALT).dumps({"id": row.id})
    else:
        real = time.time
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real() - follows.STOP_MAX_AGE - 60)
        with app.test_request_context():
            bad = follows.stop_token(row)
        monkeypatch.setattr("itsdangerous.timed.time.time", real)
    page = client.get(f"/stop/{bad}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    expected = "đã hết hạn" if case == "expired" else "Đường dẫn này không hợp lệ"
    assert expected in html and 'action="/stop/' not in html  # no button to press
    resp = post_form(client, f"/stop/{bad}", {}, page="/")
    assert resp.status_code == 400 and expected in resp.get_data(as_text=True)
    assert count(Follow) == 1
    assert db.session.scalar(sa.select(Follow.id)) == row.id


def test_stop_page_in_english(client, token):
    post_form(client, "/lang/en", {})
    html = client.get(f"/stop/{token}").get_data(as_text=True)
    assert "Stop following Ami kao Durian" in html

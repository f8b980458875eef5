"""The Janus client against the real test Janus (deploy/janus.sh), and against nothing (a closed port)."""

from __future__ import annotations

import secrets
import socket
import time
from pathlib import Path

import pytest

from market.video import janus as janus_mod
from market.video.janus import Janus, JanusError, MediaUnavailable, SessionGone

OFFER = (Path(__file__).parent / "offer.sdp").read_text()  # Chromium's offer: opus + VP8 simulcast (h, m, l)


@pytest.fixture
def jan(janus_config):
    return Janus(
        janus_config["JANUS_URLS"][0],
        api_secret=janus_config["JANUS_API_SECRET"],
        admin_url=janus_config["JANUS_ADMIN_URLS"][0],
        admin_secret=janus_config["JANUS_ADMIN_SECRET"],
        timeout=5,
    )


@pytest.fixture
def room(jan):
    room_id, secret = secrets.randbelow(2**50) + 1, secrets.token_urlsafe(12)
    jan.create_room(room_id, secret, description="test")
    yield room_id, secret
    jan.destroy_room(room_id, secret)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with ends: nothing listens there


def test_media_server_down_is_media_unavailable():
    down = Janus(f"http://127.0.0.1:{closed_port()}/janus", api_secret="x", timeout=1)
    with pytest.raises(MediaUnavailable):
        down.create_session()
    with pytest.raises(MediaUnavailable):
        down.info()
    with pytest.raises(MediaUnavailable):
        down.admin("list_sessions")  # no admin address configured either


def test_wrong_api_secret_is_refused(jan):
    bad = Janus(jan.url, api_secret="not-the-secret", timeout=3)
    with pytest.raises(JanusError) as err:
        bad.create_session()
    assert err.value.code == 403


def test_only_the_videoroom_and_http_are_loaded(jan):
    info = jan.info()
    assert set(info["plugins"]) == {"janus.plugin.videoroom"}
    assert set(info["transports"]) == {"janus.transport.http"}
    assert info["api_secret"] is True


def test_room_needs_the_admin_key(jan):
    room_id = secrets.randbelow(2**50) + 1
    with pytest.raises(JanusError) as err:
        jan.create_room(room_id, "s", admin_key="wrong")
    assert err.value.code == 433  # unauthorized
    assert not jan.room_exists(room_id)


def test_room_exists_twice_is_refused(jan, room):
    room_id, secret = room
    assert jan.room_exists(room_id)
    with pytest.raises(JanusError) as err:
        jan.create_room(room_id, secret)
    assert err.value.code == janus_mod.ROOM_EXISTS


def test_publisher_gets_an_answer_and_a_forwarder(jan, room):
    room_id, secret = room
    session_id = jan.create_session()
    try:
        handle = jan.attach(session_id)
        answer = jan.message(
            session_id,
            handle,
            {"request": "joinandconfigure", "ptype": "publisher", "room": room_id, "display": "host"},
            {"type": "offer", "sdp": OFFER},
        )
        assert answer.data["videoroom"] == "joined"
        assert answer.jsep["type"] == "answer" and answer.jsep["sdp"].startswith("v=0")
        feed = answer.data["id"]
        assert [p["id"] for p in jan.participants(room_id)] == [feed]
        with pytest.raises(JanusError):  # forwarders need the admin key too (lock_rtp_forward)
            jan.rtp_forward(room_id, feed, "127.0.0.1", [{"mid": "0", "port": 5002}], secret=secret, admin_key="wrong")
        forwarders = jan.rtp_forward(room_id, feed, "127.0.0.1", [{"mid": "0", "port": 5002}], secret=secret)
        assert [f["type"] for f in forwarders] == ["audio"]
        jan.stop_rtp_forward(room_id, feed, forwarders[0]["stream_id"], secret=secret)
        assert session_id in jan.admin("list_sessions")["sessions"]
        jan.keepalive(session_id)
    finally:
        jan.destroy(session_id)
    deadline = time.monotonic() + 3  # Janus tears the handle down in its own thread
    while jan.participants(room_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert jan.participants(room_id) == []  # destroying the session took the publisher out of the room
    with pytest.raises(SessionGone):
        jan.keepalive(session_id)
    jan.destroy(session_id)  # gone already: fine


def test_subscribing_to_no_feed_is_a_janus_error(jan, room):
    room_id, _ = room
    session_id = jan.create_session()
    try:
        handle = jan.attach(session_id)
        with pytest.raises(JanusError) as err:
            jan.message(
                session_id,
                handle,
                {"request": "join", "ptype": "subscriber", "room": room_id, "streams": [{"feed": 12345}]},
            )
        assert err.value.code == janus_mod.NO_SUCH_FEED
    finally:
        jan.destroy(session_id)


def test_pick_server_is_stable_and_spreads():
    urls = ("http://a/janus", "http://b/janus", "http://c/janus")
    picks = [janus_mod.pick_server(i, urls) for i in range(300)]
    assert picks == [janus_mod.pick_server(i, urls) for i in range(300)]
    assert all(picks.count(u) > 60 for u in urls)
    # a fourth server takes only sessions that now rank it first; the others stay where they were
    more = [janus_mod.pick_server(i, (*urls, "http://d/janus")) for i in range(300)]
    assert all(m == p or m == "http://d/janus" for m, p in zip(more, picks, strict=True))
    with pytest.raises(MediaUnavailable):
        janus_mod.pick_server(1, ())

"""Publishing and watching through the app, against the real test Janus (deploy/janus.sh): the publish token
rules, one publisher per session, resuming, ending, the bounded SDP, and Janus down (503, never a 500)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from market.extensions import db
from market.video import janus as janus_mod
from market.video import service, tokens
from market.video.models import LiveVideo, VideoStatus
from tests.conftest import csrf_token, login_as

OFFER = (Path(__file__).parent / "offer.sdp").read_text()


@pytest.fixture
def stage(video_on, make_seller, make_live_session, make_user):
    host = make_seller(is_kol=True, shop_name="Vườn bơ Krông Pắc")
    other = make_seller(is_kol=True, shop_name="Chè Tủa Sín Chải", name="Lò Thị Sính")
    live = make_live_session(host)
    others = make_live_session(other, title="Phiên chè")
    buyer = make_user(name="Hoàng Thị Hoa")
    db.session.commit()
    return type("Stage", (), {"host": host, "other": other, "live": live, "others": others, "buyer": buyer})


def token_for(client, user, session_id):
    login_as(client, user)
    return client.post(
        f"/live/{session_id}/video/token", data={"csrf_token": csrf_token(client, f"/live/{session_id}")}
    )


def publish(client, session_id, token, sdp=OFFER, replace=False):
    return client.post(
        f"/live/{session_id}/video/whip" + ("?replace=1" if replace else ""),
        data=sdp,
        content_type="application/sdp",
        headers={"Authorization": f"Bearer {token}"},
    )


def jan(app) -> janus_mod.Janus:
    return janus_mod.client(app.config["JANUS_URLS"][0])


def test_the_host_gets_a_token_and_publishes(app, client, stage):
    resp = token_for(client, stage.host, stage.live.id)
    assert resp.status_code == 200 and resp.json["expires_in"] == 600
    resp = publish(client, stage.live.id, resp.json["token"])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.mimetype == "application/sdp" and resp.get_data(as_text=True).startswith("v=0")
    location = resp.headers["Location"]
    assert location.startswith(f"/live/{stage.live.id}/video/whip/")
    video = db.session.get(LiveVideo, service.video_of(stage.live.id).id)
    assert video.status == VideoStatus.PUBLISHING and video.generation == 1 and video.feed_id
    assert video.server == app.config["JANUS_URLS"][0]
    assert video.feed_id in [p["id"] for p in jan(app).participants(video.room)]
    # the browser never sees a secret
    assert app.config["JANUS_API_SECRET"] not in resp.get_data(as_text=True) + location
    # keepalive through the app, then the host stops
    assert client.post(location + "/keepalive").status_code == 204
    janus_session = video.janus_session
    assert client.delete(location).status_code == 204
    db.session.expire_all()
    assert service.video_of(stage.live.id).status == VideoStatus.IDLE
    with pytest.raises(janus_mod.SessionGone):
        jan(app).keepalive(janus_session)
    assert client.post(location + "/keepalive").status_code == 410
    assert client.delete(location).status_code == 410
    jan(app).destroy_room(video.room, service.room_secret(video))


def test_a_closed_tab_coming_back_resumes_into_the_same_room(app, client, stage):
    token = token_for(client, stage.host, stage.live.id).json["token"]
    first = publish(client, stage.live.id, token)
    video = service.video_of(stage.live.id)
    room, old_session, old_feed = video.room, video.janus_session, video.feed_id
    # the first tab's media never flowed (closed, or its network dropped): a new publish replaces it silently
    second = publish(client, stage.live.id, token_for(client, stage.host, stage.live.id).json["token"])
    assert second.status_code == 201
    db.session.expire_all()
    video = service.video_of(stage.live.id)
    assert video.room == room and video.generation == 2 and video.feed_id != old_feed
    with pytest.raises(janus_mod.SessionGone):
        jan(app).keepalive(old_session)  # the old publisher is out of the room
    assert client.post(first.headers["Location"] + "/keepalive").status_code == 410  # its page is told
    assert client.post(second.headers["Location"] + "/keepalive").status_code == 204
    client.delete(second.headers["Location"])
    jan(app).destroy_room(room, service.room_secret(room))


def test_a_second_publisher_still_sending_is_refused_unless_replacing(app, client, stage, monkeypatch):
    token = token_for(client, stage.host, stage.live.id).json["token"]
    first = publish(client, stage.live.id, token)
    # the first phone's PeerConnection is up (the browser test shows it for real; here Janus has no media)
    monkeypatch.setattr(service, "_publisher_alive", lambda jan, plan: True)
    refused = publish(client, stage.live.id, token)
    assert refused.status_code == 409 and refused.json["error"] == "publisher_exists"
    assert "điện thoại" in refused.json["message"]  # Vietnamese: the host reads it
    assert client.post(first.headers["Location"] + "/keepalive").status_code == 204  # still the one
    replaced = publish(client, stage.live.id, token, replace=True)
    assert replaced.status_code == 201
    assert client.post(first.headers["Location"] + "/keepalive").status_code == 410
    room = service.video_of(stage.live.id).room
    client.delete(replaced.headers["Location"])
    jan(app).destroy_room(room, service.room_secret(room))


def test_two_phones_racing_get_one_winner(app, stage):
    plan = service.prepare_publish(stage.live, stage.host)
    db.session.commit()
    first = service.join_publisher(plan, OFFER)
    second = service.join_publisher(plan, OFFER, replace=True)
    service.record_publish(plan, first)
    db.session.commit()
    with pytest.raises(service.VideoRefused) as lost:
        service.record_publish(plan, second)  # the generation it read is gone
    assert lost.value.status == 409
    service.abandon(plan, second)
    with pytest.raises(janus_mod.SessionGone):
        jan(app).keepalive(second.janus_session)
    service.stop_on_server(plan.server, first.janus_session)
    service.close_room(plan.server, plan.room)


@pytest.mark.parametrize("who", ["other", "buyer"])
def test_only_the_host_gets_a_token(client, stage, who):
    assert token_for(client, getattr(stage, who), stage.live.id).status_code == 404


def test_no_token_for_an_ended_session(client, stage):
    stage.live.status = "ended"
    db.session.commit()
    resp = token_for(client, stage.host, stage.live.id)
    assert resp.status_code == 409 and resp.json["error"] == "session_ended"


def test_publish_refusals(app, client, stage, monkeypatch, caplog):
    live = stage.live.id
    good = token_for(client, stage.host, live).json["token"]
    client.get("/logout")  # WHIP needs no cookie: the token is the credential
    assert publish(client, live, "").status_code == 401
    forged = URLSafeTimedSerializer("not-our-key", salt=tokens.PUBLISH_SALT).dumps({"s": live, "u": stage.host.id})
    resp = publish(client, live, forged)
    assert resp.status_code == 401 and resp.json["error"] == "token_invalid"
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 11 * 60)
    old = tokens.issue_publish_token(live, stage.host)
    monkeypatch.undo()
    resp = publish(client, live, old)
    assert resp.status_code == 401 and resp.json["error"] == "token_expired"
    assert "hết hạn" in resp.json["message"]
    # a token for her own session used on someone else's
    resp = publish(client, stage.others.id, good)
    assert resp.status_code == 403 and resp.json["error"] == "forbidden"
    # a token of someone who is not the host (signed by us: a leaked key would be worse, but the claim is checked)
    stolen = tokens.issue_publish_token(live, stage.other)
    assert publish(client, live, stolen).status_code == 403
    # logging out everywhere (auth_version) kills tokens already handed out
    stage.host.auth_version += 1
    db.session.commit()
    assert publish(client, live, good).status_code == 403
    fresh = tokens.issue_publish_token(live, stage.host)
    # the body: application/sdp, bounded, an SDP
    assert (
        client.post(
            f"/live/{live}/video/whip",
            data=OFFER,
            content_type="text/plain",
            headers={"Authorization": f"Bearer {fresh}"},
        ).status_code
        == 415
    )
    assert publish(client, live, fresh, sdp="v=0\r\n" + "a=x\r\n" * 20000).status_code == 413
    assert publish(client, live, fresh, sdp="hello").status_code == 400
    assert publish(client, live, fresh, sdp=b"v=0\r\nm=\xff\xfe").status_code == 400
    # an ended session
    stage.live.status = "ended"
    db.session.commit()
    resp = publish(client, live, fresh)
    assert resp.status_code == 409 and resp.json["error"] == "session_ended"
    assert "video_publish_refused" in caplog.text and fresh not in caplog.text  # logged, without the token


def test_forged_resources_are_404(client, stage):
    live = stage.live.id
    other = tokens.make_resource("pub", s=stage.others.id, g=1)
    for url in (f"/live/{live}/video/whip/nonsense/keepalive", f"/live/{live}/video/whip/{other}/keepalive"):
        assert client.post(url).status_code == 404
    sub_as_pub = tokens.make_resource("sub", s=live, j=1, h=1, f=1)
    assert client.delete(f"/live/{live}/video/whip/{sub_as_pub}").status_code == 404
    assert client.post(f"/live/{live}/video/whep/nonsense/keepalive").status_code == 404


def test_watching_before_the_host_streams(client, stage):
    resp = client.post(f"/live/{stage.live.id}/video/whep")
    assert resp.status_code == 404 and resp.json["error"] == "not_on_air"
    page = client.get(f"/live/{stage.live.id}").get_data(as_text=True)
    assert 'id="video-player"' in page and 'data-on-air="0"' in page  # ready to show itself when she starts


def test_viewers_are_rate_limited_per_address(app, client, stage, monkeypatch):
    from market.video import routes

    monkeypatch.setattr(routes, "WATCH_RATE", "5/minute")  # the real one lets a carrier NAT's viewers through
    codes = [client.post(f"/live/{stage.live.id}/video/whep").status_code for _ in range(6)]
    assert codes[:5] == [404] * 5 and codes[5] == 429


def test_ending_the_session_stops_the_stream_and_closes_the_room(app, client, stage):
    token = token_for(client, stage.host, stage.live.id).json["token"]
    resp = publish(client, stage.live.id, token)
    video = service.video_of(stage.live.id)
    room, janus_session = video.room, video.janus_session
    assert jan(app).room_exists(room)
    page = client.get(f"/live/{stage.live.id}/host")
    token = csrf_token(client, f"/live/{stage.live.id}/host")
    resp = client.post(f"/live/{stage.live.id}/end", data={"csrf_token": token})
    assert resp.status_code == 302 and page.status_code == 200
    db.session.expire_all()
    assert service.video_of(stage.live.id).status == VideoStatus.IDLE
    assert not jan(app).room_exists(room)
    with pytest.raises(janus_mod.SessionGone):
        jan(app).keepalive(janus_session)
    assert client.post(f"/live/{stage.live.id}/video/whep").status_code == 404


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_media_server_down_is_a_503_and_the_page_keeps_its_link(app, client, stage):
    token = token_for(client, stage.host, stage.live.id).json["token"]
    app.config["JANUS_URLS"] = (f"http://127.0.0.1:{closed_port()}/janus",)
    resp = publish(client, stage.live.id, token)
    assert resp.status_code == 503 and resp.json["error"] == "media_unavailable"
    # the host is told to try again (not to "watch the link below": she is the one streaming)
    assert "thử lại" in resp.json["message"] and "link" not in resp.json["message"] and resp.headers["Retry-After"]
    # a session whose row says "publishing" on a server that went away: viewers get a 503 too, no 500
    video = service.video_of(stage.live.id)
    video.status, video.feed_id, video.janus_session = VideoStatus.PUBLISHING, 42, 43
    db.session.commit()
    assert client.post(f"/live/{stage.live.id}/video/whep").status_code == 503
    resource = service.publish_resource(stage.live.id, video.generation)
    assert client.post(f"/live/{stage.live.id}/video/whip/{resource}/keepalive").status_code == 503
    page = client.get(f"/live/{stage.live.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="video-player"' in text and "btn-watch" in text  # the player and the stream link, side by side
    # the host console too
    login_as(client, stage.host)
    assert client.get(f"/live/{stage.live.id}/host").status_code == 200


def test_video_off_leaves_the_pages_as_they_were(app, client, stage):
    app.config["JANUS_URLS"] = ()
    assert 'id="video-player"' not in client.get(f"/live/{stage.live.id}").get_data(as_text=True)
    login_as(client, stage.host)
    assert 'id="video-host"' not in client.get(f"/live/{stage.live.id}/host").get_data(as_text=True)
    assert client.post(f"/live/{stage.live.id}/video/whep").status_code == 404

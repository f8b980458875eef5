"""The house rule (docs/architecture.md): no database transaction is open while the video area waits on Janus or
ffmpeg. Under gevent on SQLite every transaction holds the write lock (BEGIN IMMEDIATE) and a writer waiting
for it blocks the whole process, so a transaction held across a Janus call stalls every writer (the
SQLite stall of docs/video.md). Stand-ins for Janus and for the replay's ffmpeg fail the test if they are
called inside one."""

from __future__ import annotations

import shutil

import pytest

from market.extensions import db
from market.video import hls, recording
from market.video.models import HlsStatus, HlsStream, RecordingStatus


def _no_transaction(call: str) -> None:
    assert not db.session().in_transaction(), f"{call} was called with a database transaction open"


class GuardedJanus:
    """Answers like Janus's VideoRoom forwarder calls, and checks no transaction is open when called."""

    url = "http://127.0.0.1:9/janus"

    def __init__(self):
        self.calls: list[str] = []
        self.next_id = 700

    def rtp_forward(self, room, publisher_id, host, streams, *, secret=None, **_kw):
        _no_transaction("rtp_forward")
        self.calls.append("rtp_forward")
        ids = []
        for _stream in streams:
            self.next_id += 1
            ids.append({"stream_id": self.next_id})
        return ids

    def stop_rtp_forward(self, room, publisher_id, stream_id, *, secret=None, **_kw):
        _no_transaction("stop_rtp_forward")
        self.calls.append(f"stop_rtp_forward {stream_id}")


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg (Debian package) is needed")
def test_hls_start_and_restart_call_janus_outside_any_transaction(app, make_session):
    session = make_session()
    db.session.commit()
    janus = GuardedJanus()
    try:
        first = hls.start(session.id, janus, room=77, publisher_id=5, secret="s")
        assert first is not None and first.forwarders == [701, 702]
        # A resumed publish: stop (the old forwarders go) and start again, each Janus call outside a transaction.
        second = hls.start(session.id, janus, room=77, publisher_id=6, secret="s")
        assert second is not None and second.forwarders == [703, 704] and second.publisher_id == 6
        assert janus.calls == ["rtp_forward", "stop_rtp_forward 701", "stop_rtp_forward 702", "rtp_forward"]
        hls.stop(session.id, janus, "s")
        assert janus.calls[-2:] == ["stop_rtp_forward 703", "stop_rtp_forward 704"]
        assert hls.stream_of(session.id).status == HlsStatus.STOPPED
    finally:
        hls.stop(session.id, janus, "s")


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg (Debian package) is needed")
def test_a_start_that_loses_the_race_leaves_the_winners_row_and_removes_its_forwarders(app, make_session, monkeypatch):
    """Another process records its running stream while Janus answers this one: the conditional write refuses,
    this start's forwarders go and the winner's row stays as it was."""
    session = make_session()
    db.session.commit()
    janus = GuardedJanus()
    real_forward = janus.rtp_forward

    def forward_while_another_wins(*args, **kwargs):
        answer = real_forward(*args, **kwargs)
        db.session.add(
            HlsStream(
                session_id=session.id,
                status=HlsStatus.RUNNING,
                node="elsewhere",
                pid=1,
                base_port=1000,
                token="winner00",
                janus_url=janus.url,
                room=77,
                publisher_id=9,
                forwarders=[1],
            )
        )
        db.session.commit()
        return answer

    monkeypatch.setattr(janus, "rtp_forward", forward_while_another_wins)

    assert hls.start(session.id, janus, room=77, publisher_id=5) is None
    assert janus.calls == ["rtp_forward", "stop_rtp_forward 701", "stop_rtp_forward 702"]
    row = hls.stream_of(session.id)
    assert row.token == "winner00" and row.status == HlsStatus.RUNNING


def test_the_replay_runs_ffmpeg_outside_any_transaction(app, make_session, monkeypatch):
    session = make_session(status="ended")
    db.session.commit()
    seen = []

    def guarded_build(folder, out_dir):
        _no_transaction("build_replay")
        seen.append(folder)

    monkeypatch.setattr(recording, "build_replay", guarded_build)

    made = recording.make_replay(session.id)

    assert seen and made.status == RecordingStatus.EMPTY


class GuardedClient:
    """Stands in for ``janus.client(url)`` in the routes: the keepalive and destroy calls they make."""

    def __init__(self, calls: list, url: str):
        self.calls, self.url = calls, url

    def keepalive(self, janus_session):
        _no_transaction("keepalive")
        self.calls.append(("keepalive", janus_session))

    def destroy(self, janus_session):
        _no_transaction("destroy")
        self.calls.append(("destroy", janus_session))


def test_viewer_and_host_resource_calls_reach_janus_outside_any_transaction(
    video_on, client, make_session, monkeypatch
):
    """The viewer's keepalive and DELETE (a reconnecting page ends its old subscription while making the new
    one) and the host's keepalive and DELETE: each Janus call, and the rate limiter's count, with no
    transaction open."""
    from market import ratelimit
    from market.video import janus, service, tokens
    from market.video.models import VideoStatus

    calls: list = []
    monkeypatch.setattr(janus, "client", lambda url: GuardedClient(calls, url))
    limited: list = []

    def guarded_hit(limit, *keys):  # a Redis store is a network round trip too
        _no_transaction("the rate limiter")
        limited.append(keys[0])
        return True

    monkeypatch.setattr(ratelimit, "hit", guarded_hit)
    session = make_session(status="live")
    video = service.ensure_video(session)
    video.status, video.generation, video.janus_session, video.janus_handle, video.feed_id = (
        VideoStatus.PUBLISHING,
        3,
        5005,
        6006,
        7007,
    )
    db.session.commit()
    sub = tokens.make_resource("sub", s=session.id, j=111, h=222, f=7007)
    base = f"/live/{session.id}/video"

    assert client.post(f"{base}/whep/{sub}/keepalive").get_json() == {"ok": True, "feed": 7007, "current": True}
    assert client.delete(f"{base}/whep/{sub}").status_code == 204
    pub = service.publish_resource(session.id, 3)
    assert client.post(f"{base}/whip/{pub}/keepalive").status_code == 204
    assert client.delete(f"{base}/whip/{pub}").status_code == 204

    assert calls == [("keepalive", 111), ("destroy", 111), ("keepalive", 5005), ("destroy", 5005)]
    assert limited == ["video-resource"] * 4

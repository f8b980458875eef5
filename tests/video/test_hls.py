"""HLS output: real ffmpeg reading real RTP into a playlist served with cache headers; a media server that refuses
or is down leaves no ffmpeg behind and no playlist address."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from market.extensions import db
from market.video import hls
from market.video.models import HlsStatus

pytestmark = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg (Debian package) is needed")

OFFER = (
    "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=mid:a0",
            "a=rtpmap:111 opus/48000/2",
            "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
            "a=mid:v1",
            "a=rtpmap:96 VP8/90000",
            "a=rtpmap:97 rtx/90000",
        ]
    )
    + "\r\n"
)


class RtpSource:
    """Stands in for Janus's VideoRoom forwarders: on ``rtp_forward`` an ffmpeg sends a live-paced VP8 picture
    and Opus tone as plain RTP to the ports asked for (as Janus would send the publisher's), until stopped."""

    url = "http://127.0.0.1:9/janus"

    def __init__(self):
        self.sender = None
        self.stopped: list[int] = []
        self.asked: list = []

    def rtp_forward(self, room, publisher_id, host, streams, *, secret=None, **_kw):
        self.asked.append((room, publisher_id, host, streams, secret))
        audio, video = streams[0], streams[1]
        self.sender = subprocess.Popen(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=640x360:rate=15",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440",
                "-map",
                "0:v",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "300k",
                "-g",
                "15",
                "-payload_type",
                str(video["pt"]),
                "-f",
                "rtp",
                f"rtp://{host}:{video['port']}?pkt_size=1200",
                "-map",
                "1:a",
                "-c:a",
                "libopus",
                "-payload_type",
                str(audio["pt"]),
                "-f",
                "rtp",
                f"rtp://{host}:{audio['port']}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return [
            {"stream_id": 501, "type": "audio", "port": audio["port"]},
            {"stream_id": 502, "type": "video", "port": video["port"]},
        ]

    def stop_rtp_forward(self, room, publisher_id, stream_id, **_kw):
        self.stopped.append(stream_id)
        if self.sender and self.sender.poll() is None:
            self.sender.terminate()
            self.sender.wait(10)


def _wait(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_mids_and_codec_come_from_the_publishers_offer():
    assert hls.mids_from_sdp(OFFER) == {"audio": "a0", "video": "v1", "video_codec": "vp8"}
    assert hls.mids_from_sdp(None) == {}


def test_playlist_and_segments_are_served_with_cache_headers(app, client, make_session):
    session = make_session()
    db.session.commit()
    source = RtpSource()
    try:
        stream = hls.start(session.id, source, room=77, publisher_id=5, secret="room-secret", offer_sdp=OFFER)
        assert stream is not None and stream.status == HlsStatus.RUNNING
        assert [s["mid"] for s in source.asked[0][3]] == ["a0", "v1"]
        playlist = hls.hls_dir(session.id) / hls.PLAYLIST
        assert _wait(lambda: playlist.is_file() and ".ts" in playlist.read_text(), 60), (
            hls.hls_dir(session.id) / "ffmpeg.log"
        ).read_text()

        with app.test_request_context():
            url = hls.hls_url(session)
        assert url == f"/live/{session.id}/hls/index.m3u8"
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.mimetype == "application/vnd.apple.mpegurl"
        assert answer.headers["Cache-Control"] == "public, max-age=1"
        text = answer.get_data(as_text=True)
        answer.close()
        assert "#EXT-X-TARGETDURATION:2" in text
        segment = next(line for line in text.splitlines() if line.endswith(".ts"))
        assert segment.startswith(stream.token + "-")
        piece = client.get(f"/live/{session.id}/hls/{segment}")
        assert piece.status_code == 200 and piece.mimetype == "video/mp2t"
        assert piece.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert piece.data[:1] == b"\x47"  # an MPEG-TS sync byte
        piece.close()
        assert client.get(f"/live/{session.id}/hls/stream.sdp").status_code == 404
        assert client.get(f"/live/{session.id}/hls/ffmpeg.log").status_code == 404

        pid = stream.pid
        hls.stop(session.id, source)
        assert source.stopped == [501, 502]
        assert hls.stream_of(session.id).status == HlsStatus.STOPPED
        assert _wait(lambda: not _running(pid), 30)
        hls._reap()
        assert pid not in hls._children
        with app.test_request_context():
            assert hls.hls_url(session) is None
    finally:
        hls.stop(session.id, source)
        if source.sender and source.sender.poll() is None:
            source.sender.kill()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_media_server_that_is_down_leaves_no_ffmpeg_and_no_playlist(app, client, make_session):
    from market.video.janus import Janus

    session = make_session()
    db.session.commit()
    down = Janus("http://127.0.0.1:9/janus", api_secret="x", admin_secret="y", timeout=1)

    assert hls.start(session.id, down, room=77, publisher_id=5, offer_sdp=OFFER) is None

    assert hls.stream_of(session.id) is None
    with app.test_request_context():
        assert hls.hls_url(session) is None
    assert client.get(f"/live/{session.id}").status_code == 200
    assert client.get(f"/live/{session.id}/hls/index.m3u8").status_code == 404


def test_the_test_janus_refuses_a_forwarder_for_a_publisher_that_is_not_there(app, video_on, make_session):
    """The real VideoRoom: no such room → refused, handled (the viewers stay on WebRTC)."""
    from market.video.janus import client as janus_client

    session = make_session()
    db.session.commit()
    server = janus_client(app.config["JANUS_URLS"][0])

    assert hls.start(session.id, server, room=987654321, publisher_id=5, offer_sdp=OFFER) is None
    assert hls.stream_of(session.id) is None


def test_an_audio_only_host_is_forwarded_audio_only():
    offer = "\r\n".join(["v=0", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=rtpmap:111 opus/48000/2"])
    mids = hls.mids_from_sdp(offer)
    assert mids == {"audio": "0"}
    sdp = hls.sdp_for(41000, audio=True, video=False)
    assert "m=audio 41000 RTP/AVP 111" in sdp and "m=video" not in sdp

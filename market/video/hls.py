"""HLS for crowds: the host's stream as 2-second segments any proxy or CDN can cache.

1. ``start`` (called by the video service once the host's publish is answered, outside any transaction) picks
   four free UDP ports on this machine (audio RTP/RTCP, video RTP/RTCP, in VIDEO_HLS_PORTS), writes an SDP and
   spawns ffmpeg, which reads the RTP, encodes H.264/AAC at VIDEO_HLS_HEIGHT (Safari and hls.js both play it)
   and writes ``VIDEO_DIR/hls/<session id>/index.m3u8`` with a short window (``delete_segments``); then asks
   Janus to ``rtp_forward`` the publisher's audio and video there. The ``HlsStream`` row (machine, pid, ports,
   Janus forwarders) is what every app process knows of it.
2. ffmpeg is a child of no request: it runs in its own process group and ends by itself about ten seconds after
   the last packet (forwarders stopped, room destroyed, publisher gone), writing ``#EXT-X-ENDLIST``. So ``stop``
   works from any app process on any machine: it removes the forwarders (Janus is shared) and marks the row;
   on ffmpeg's own machine it also sends SIGINT at once.
3. A resumed publish calls ``start`` again: the old forwarders go, the segments get a new name prefix (a cache
   holds each segment as immutable for a year, so a name is never reused).
4. ``hls_url(session)`` is the playlist's address while the session is live and the playlist exists, else
   None: the player then stays on WebRTC or falls back to the link, as when the media server is down.
5. Served by ``media_routes``: the playlist for one second (``max-age=1``), segments for a year, immutable.
"""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, url_for

from market.database import utcnow
from market.extensions import db
from market.video.models import HlsStatus, HlsStream

log = logging.getLogger("market.video.hls")
PLAYLIST = "index.m3u8"
SEGMENT_NAME = re.compile(r"[a-f0-9]{8}-\d{5}\.ts")
AUDIO_PT, VIDEO_PT = 111, 96
# The ffmpeg processes this process started, kept so they are reaped when they end (no zombies).
_children: dict[int, subprocess.Popen] = {}
VIDEO_CODECS = {"vp8": "VP8", "vp9": "VP9", "h264": "H264"}


def node() -> str:
    return socket.gethostname()[:100]


def hls_dir(session_id: int) -> Path:
    return Path(current_app.config["VIDEO_DIR"]) / "hls" / str(int(session_id))


def stream_of(session_id: int) -> HlsStream | None:
    return db.session.scalar(sa.select(HlsStream).where(HlsStream.session_id == session_id))


def hls_url(session) -> str | None:
    """The playlist of a live session's HLS output, for players without WebRTC and crowds beyond one media
    server; None when there is none (not live, HLS off, ffmpeg not started or not yet written a segment)."""
    if not session.is_live:
        return None
    stream = stream_of(session.id)
    if stream is None or stream.status != HlsStatus.RUNNING:
        return None
    if not (hls_dir(session.id) / PLAYLIST).is_file():
        return None
    return url_for("video_media.hls", session_id=session.id, name=PLAYLIST)


def mids_from_sdp(sdp: str | None) -> dict[str, str]:
    """The mid and codec of the first audio and video m-line of a publisher's SDP offer ({"audio": "0",
    "video": "1", "video_codec": "vp8"} for a browser's usual offer)."""
    found: dict[str, str] = {}
    kind = None
    payloads: list[str] = []
    for line in (sdp or "").splitlines():
        line = line.strip()
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
            payloads = line.split()[3:]
            if kind in found:
                kind = None
        elif kind in ("audio", "video") and line.startswith("a=mid:") and kind not in found:
            found[kind] = line[6:].strip()
        elif kind == "video" and line.startswith("a=rtpmap:") and "video_codec" not in found:
            pt, _sp, rest = line[9:].partition(" ")
            if not payloads or pt == payloads[0]:
                found["video_codec"] = rest.split("/", 1)[0].lower()
    return found


def sdp_for(base_port: int, video_codec: str = "vp8", *, audio: bool = True, video: bool = True) -> str:
    """The SDP ffmpeg reads: Janus's forwarders send audio to ``base_port`` and video to ``base_port + 2``."""
    lines = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=chophien", "c=IN IP4 127.0.0.1", "t=0 0"]
    if audio:
        lines += [f"m=audio {base_port} RTP/AVP {AUDIO_PT}", f"a=rtpmap:{AUDIO_PT} opus/48000/2"]
    if video:
        name = VIDEO_CODECS.get(video_codec, "VP8")
        lines += [f"m=video {base_port + 2} RTP/AVP {VIDEO_PT}", f"a=rtpmap:{VIDEO_PT} {name}/90000"]
        if name == "H264":
            lines.append(f"a=fmtp:{VIDEO_PT} packetization-mode=1")
    return "\r\n".join(lines) + "\r\n"


def ffmpeg_command(folder: Path, token: str) -> list[str]:
    cfg = current_app.config
    height = cfg.get("VIDEO_HLS_HEIGHT", 480)
    seg = cfg.get("VIDEO_HLS_SEGMENT_S", 2)
    # The short side at most ``height`` (a phone streams portrait), even sizes for H.264.
    scale = f"scale='if(gt(iw,ih),-2,min({height},iw))':'if(gt(iw,ih),min({height},ih),-2)'"
    return [
        cfg.get("FFMPEG_BIN", "ffmpeg"),
        "-hide_banner",
        "-loglevel",
        "warning",
        "-nostdin",
        "-protocol_whitelist",
        "file,udp,rtp",
        "-fflags",
        "+genpts",
        "-analyzeduration",
        "2000000",
        "-i",
        str(folder / "stream.sdp"),
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-vf",
        scale,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        "900k",
        "-maxrate",
        "1200k",
        "-bufsize",
        "1800k",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{seg})",
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-f",
        "hls",
        "-hls_time",
        str(seg),
        "-hls_list_size",
        "6",
        "-hls_flags",
        "delete_segments+independent_segments+temp_file",
        "-hls_delete_threshold",
        "2",
        "-hls_segment_filename",
        str(folder / f"{token}-%05d.ts"),
        str(folder / PLAYLIST),
    ]


def _free_base_port(taken: set[int]) -> int | None:
    low, high = current_app.config["VIDEO_HLS_PORTS"]
    bases = list(range(low - low % 2, high - 3, 4))
    random.shuffle(bases)
    for base in bases:
        if base in taken:
            continue
        socks = []
        try:
            for port in range(base, base + 4):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("0.0.0.0", port))  # noqa: S104 - a probe, closed at once
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    return None


def start(
    session_id: int, janus, *, room: int, publisher_id: int, secret: str | None = None, offer_sdp: str | None = None
) -> HlsStream | None:
    """Start (or restart) the HLS output of a session whose host publishes as ``publisher_id`` in ``room`` of
    the Janus server ``janus`` (a ``market.video.janus.Janus``). Commits its row; never raises for the media
    server or ffmpeg: None then, and the viewers stay on WebRTC."""
    from market.video.janus import JanusError, MediaUnavailable

    cfg = current_app.config
    if not cfg.get("VIDEO_HLS", True) or shutil.which(cfg.get("FFMPEG_BIN", "ffmpeg")) is None:
        return None
    stop(session_id, janus, secret)  # commits: no transaction is open after it
    taken = set(
        db.session.scalars(
            sa.select(HlsStream.base_port).where(HlsStream.status == HlsStatus.RUNNING, HlsStream.node == node())
        ).all()
    )
    db.session.commit()  # end the read before ffmpeg and Janus (docs/architecture.md: no transaction over I/O)
    base = _free_base_port(taken)
    if base is None:
        log.warning("HLS of session %s: no free UDP ports in VIDEO_HLS_PORTS", session_id)
        return None
    # The streams the host publishes (an audio-only host has no video m-line); without the offer, the browser's
    # usual two (audio mid "0", video mid "1").
    mids = mids_from_sdp(offer_sdp) if offer_sdp else {"audio": "0", "video": "1"}
    if "audio" not in mids and "video" not in mids:
        return None
    folder = hls_dir(session_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    token = secrets.token_hex(4)
    (folder / "stream.sdp").write_text(
        sdp_for(base, mids.get("video_codec", "vp8"), audio="audio" in mids, video="video" in mids)
    )
    with (folder / "ffmpeg.log").open("wb") as out:
        process = subprocess.Popen(
            ffmpeg_command(folder, token),
            stdin=subprocess.DEVNULL,
            stdout=out,  # noqa: S603
            stderr=out,
            start_new_session=True,
            close_fds=True,
        )
    _reap()
    _children[process.pid] = process
    streams = [
        {"mid": mids[kind], "port": port, "pt": pt}
        for kind, port, pt in (("audio", base, AUDIO_PT), ("video", base + 2, VIDEO_PT))
        if kind in mids
    ]
    try:
        forwarders = janus.rtp_forward(
            room, publisher_id, cfg.get("VIDEO_HLS_RTP_HOST", "127.0.0.1"), streams, secret=secret
        )
    except (MediaUnavailable, JanusError) as err:
        log.warning("HLS of session %s: rtp_forward refused: %s", session_id, err)
        _end_ffmpeg(process)
        return None
    ids = [int(f["stream_id"]) for f in forwarders if f.get("stream_id") is not None]
    values = {
        "status": HlsStatus.RUNNING,
        "node": node(),
        "pid": process.pid,
        "base_port": base,
        "token": token,
        "janus_url": janus.url,
        "room": room,
        "publisher_id": publisher_id,
        "forwarders": ids,
        "stopped_at": None,
        "updated_at": utcnow(),
    }
    if _record(session_id, values):
        return stream_of(session_id)
    # Another process started this session's HLS while Janus answered: its row stays, ours goes.
    log.info("HLS of session %s: started elsewhere meanwhile; this ffmpeg stops", session_id)
    for stream_id in ids:
        try:
            janus.stop_rtp_forward(room, publisher_id, stream_id, secret=secret)
        except (MediaUnavailable, JanusError) as err:
            log.info("HLS of session %s: forwarder %s: %s", session_id, stream_id, err)
    _end_ffmpeg(process)
    return None


def _record(session_id: int, values: dict) -> bool:
    """Write a started stream in a short transaction of its own, unless another process recorded a running one
    since this one's ``stop`` (a conditional UPDATE, or the INSERT of the first row). Commits."""
    done = db.session.execute(
        sa.update(HlsStream)
        .where(HlsStream.session_id == session_id, HlsStream.status != HlsStatus.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done == 1:
        db.session.commit()
        return True
    if db.session.scalar(sa.select(HlsStream.id).where(HlsStream.session_id == session_id)) is not None:
        db.session.commit()
        return False
    try:
        with db.session.begin_nested():
            db.session.add(HlsStream(session_id=session_id, **values))
    except sa.exc.IntegrityError:  # another process made the row a moment ago
        db.session.commit()
        return False
    db.session.commit()
    return True


def _end_ffmpeg(process: subprocess.Popen) -> None:
    _signal(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    _reap()


def stop(session_id: int, janus=None, secret: str | None = None) -> None:
    """Stop a session's HLS output from any process (see the module's docstring). Commits. Without the room's
    ``secret`` Janus may refuse to remove the forwarders: destroying the room (the video service does when the
    session ends) removes them too, and ffmpeg ends by itself either way."""
    stream = stream_of(session_id)
    if stream is None or stream.status != HlsStatus.RUNNING:
        db.session.commit()  # end the read: the caller may call Janus next
        return
    # What the Janus calls need, as plain values: touching the row after the commit would open a transaction
    # again (on SQLite a write lock) for the length of those calls.
    row_id, token, url, room, publisher_id = stream.id, stream.token, stream.janus_url, stream.room, stream.publisher_id
    forwarders, ffmpeg_node, pid = list(stream.forwarders or []), stream.node, stream.pid
    done = db.session.execute(
        sa.update(HlsStream)
        .where(HlsStream.id == row_id, HlsStream.status == HlsStatus.RUNNING, HlsStream.token == token)
        .values(status=HlsStatus.STOPPED, stopped_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if done != 1:
        return  # another process stops it (or restarted it: then the row is not the one read)
    from market.video.janus import JanusError, MediaUnavailable

    server = janus or _janus(url)
    for stream_id in forwarders:
        try:
            server.stop_rtp_forward(room, publisher_id, stream_id, secret=secret)
        except (MediaUnavailable, JanusError) as err:  # room gone already: the forwarders went with it
            log.info("HLS of session %s: forwarder %s: %s", session_id, stream_id, err)
    if ffmpeg_node == node() and pid:
        _signal(pid, signal.SIGINT)  # ffmpeg writes #EXT-X-ENDLIST and exits


def on_live_ended(session_id: int, **_kw) -> None:
    """``live_ended`` receiver: no HLS for a session off air (the replay takes over)."""
    from market.tasks import defer

    defer(stop, session_id)


def _janus(url: str):
    """A client of the Janus server at ``url`` with this site's secrets."""
    from market.video.janus import client

    return client(url)


def _reap() -> None:
    for pid, process in list(_children.items()):
        if process.poll() is not None:
            del _children[pid]


def _signal(pid: int, sig: int) -> None:
    """Signal an ffmpeg this module started (its own process group), if it still runs."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if os.getpgid(pid) == pid and b"ffmpeg" in cmdline and b"stream.sdp" in cmdline:  # not a reused pid
            os.killpg(pid, sig)
    except (OSError, ProcessLookupError, PermissionError):
        pass

"""The replay of a live session, made from what the media server recorded.

1. The VideoRoom of a session is created with ``record: true`` and ``rec_dir`` = ``VIDEO_DIR/rec/<session id>``
   (``room_options``): Janus writes one .mjr file per stream and publish there (a host who reconnected makes
   several pairs).
2. When the session goes off air (``live_ended``, after the commit) ``make_replay`` runs in the background
   (``tasks.defer``), never in the request: it waits until the files stop growing (the publisher left), turns
   each file into WebM/Opus with Janus's ``janus-pp-rec``, muxes each publish's pair with ffmpeg (the later
   stream delayed by the gap between their first packets, so lips match), joins the publishes in time order and
   writes ``VIDEO_DIR/replay/<session id>/replay-<random>.webm`` — copied, never re-encoded: a one-hour live
   takes seconds, not an hour of a core.
3. One ``Recording`` row per session is the state every process shares. A process claims the job with one
   conditional UPDATE (pending, failed with attempts left, or a claim older than ``STALE_CLAIM``), so two
   processes never make the same replay; ``flask video replays`` retries what a dead process left.
4. No .mjr file: the row says ``empty`` and the page keeps the replay link as before. A tool that fails: the row
   says ``failed`` with the tool's last words; the .mjr files stay for the next attempt and are removed only
   once the replay is made.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from market.database import utcnow
from market.extensions import db
from market.video.models import Recording, RecordingStatus

log = logging.getLogger("market.video.recording")
MAX_ATTEMPTS = 3
STALE_CLAIM = timedelta(minutes=30)
TOOL_TIMEOUT_S = 3600
SETTLE_MAX_S = 120  # the files of a publisher Janus never closed are taken as they are after this long
_STREAM_FILE = re.compile(r"^(?P<base>.+)-(?P<kind>audio|video)(?:-\d+)?\.mjr$")


class ToolFailed(Exception):
    """janus-pp-rec or ffmpeg failed; the message ends with what the tool said."""


def video_dir() -> Path:
    return Path(current_app.config["VIDEO_DIR"])


def rec_dir(session_id: int) -> Path:
    return video_dir() / "rec" / str(int(session_id))


def room_options(session_id: int) -> dict:
    """What ``Janus.create_room`` needs so that the room is recorded into the session's folder ({} when off)."""
    if not current_app.config.get("VIDEO_RECORD", True):
        return {}
    folder = rec_dir(session_id)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    return {"record": True, "rec_dir": str(folder)}


def replay_path(recording: Recording | None) -> Path | None:
    """The replay file on disk, if it is made and still there."""
    if recording is None or recording.status != RecordingStatus.READY or not recording.file:
        return None
    path = video_dir() / recording.file
    return path if path.is_file() else None


def recording_of(session_id: int) -> Recording | None:
    return db.session.scalar(sa.select(Recording).where(Recording.session_id == session_id))


# ---- the job ---------------------------------------------------------------------------------------------


def on_live_ended(session_id: int, **_kw) -> None:
    """``live_ended`` receiver: make the replay in the background."""
    from market.tasks import defer

    defer(make_replay, session_id)


def make_replay(session_id: int) -> Recording | None:
    """Claim and run the replay job of one ended session (see the module's docstring). Commits its own rows: it
    runs outside any request."""
    from market.live.models import LiveSession, SessionStatus

    session = db.session.get(LiveSession, session_id)
    if session is None or session.status != SessionStatus.ENDED:
        return None
    folder = rec_dir(session_id)
    recording = recording_of(session_id)
    if recording is None:
        recording = Recording(session_id=session_id, status=RecordingStatus.PENDING, attempts=0, parts=[])
        db.session.add(recording)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another process made the row a moment ago
            db.session.rollback()
            recording = recording_of(session_id)
    if not _claim(recording):
        return recording
    old = replay_path(recording)
    # End the claim's read before ffmpeg: it runs for minutes, and under gevent a transaction held meanwhile (on
    # SQLite a write lock) stalls every writer of the process (docs/architecture.md).
    db.session.commit()
    try:
        _settle(folder)
        made = build_replay(folder, video_dir() / "replay" / str(session_id))
    except ToolFailed as err:
        log.warning("replay of session %s failed: %s", session_id, err)
        _finish(recording, status=RecordingStatus.FAILED, error=str(err)[-300:])
        return recording
    if made is None:
        _finish(recording, status=RecordingStatus.EMPTY)
        return recording
    _finish(
        recording,
        status=RecordingStatus.READY,
        file=str(made.path.relative_to(video_dir())),
        bytes=made.path.stat().st_size,
        duration_ms=made.duration_ms,
        parts=made.parts,
        error=None,
    )
    if old and old != made.path:
        old.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)  # the replay is made: the raw recording is no longer needed
    return recording


def _claim(recording: Recording) -> bool:
    now = utcnow()
    claimable = sa.or_(
        Recording.status == RecordingStatus.PENDING,
        sa.and_(Recording.status == RecordingStatus.FAILED, Recording.attempts < MAX_ATTEMPTS),
        sa.and_(Recording.status == RecordingStatus.PROCESSING, Recording.claimed_at < now - STALE_CLAIM),
    )
    done = db.session.execute(
        sa.update(Recording)
        .where(Recording.id == recording.id, claimable)
        .values(status=RecordingStatus.PROCESSING, attempts=Recording.attempts + 1, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(recording)
    return done == 1


def _finish(recording: Recording, **values) -> None:
    db.session.execute(
        sa.update(Recording)
        .where(Recording.id == recording.id)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(recording)


def _settle(folder: Path) -> None:
    """Wait until no .mjr file in ``folder`` grew for VIDEO_REC_SETTLE_S seconds: Janus closes a publisher's
    files when it leaves the room, which may come a moment after the session ended."""
    quiet_for = current_app.config.get("VIDEO_REC_SETTLE_S", 3)
    if quiet_for <= 0 or not folder.is_dir():
        return
    deadline = time.monotonic() + SETTLE_MAX_S
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        sizes = sorted((p.name, p.stat().st_size) for p in folder.glob("*.mjr"))
        if sizes != last:
            last, quiet_since = sizes, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_for:
            return
        time.sleep(0.5)


# ---- the tools -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    path: Path
    duration_ms: int
    parts: list  # [[wall-clock start in ms since the epoch, duration in ms], …] in file order


@dataclass
class _Publish:
    base: str
    video: Path | None = None
    audio: Path | None = None
    video_start_us: int = 0
    audio_start_us: int = 0

    @property
    def start_us(self) -> int:
        return min(
            s
            for s in (self.video_start_us if self.video else None, self.audio_start_us if self.audio else None)
            if s is not None
        )


def build_replay(folder: Path, out_dir: Path) -> Made | None:
    """Turn the .mjr files of ``folder`` into one WebM in ``out_dir``; None when there is nothing to play."""
    publishes: dict[str, _Publish] = {}
    for path in sorted(folder.glob("*.mjr")) if folder.is_dir() else []:
        match = _STREAM_FILE.match(path.name)
        if not match or path.stat().st_size == 0:
            continue
        header = _header(path)
        if header is None:
            continue
        pub = publishes.setdefault(match["base"], _Publish(match["base"]))
        start = int(header.get("u") or header.get("s") or 0)
        if match["kind"] == "video" and header.get("c") in {"vp8", "vp9", "av1"}:
            pub.video, pub.video_start_us = path, start
        elif match["kind"] == "audio" and header.get("c") == "opus":
            pub.audio, pub.audio_start_us = path, start
    publishes = {k: p for k, p in publishes.items() if p.video or p.audio}
    if not publishes:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".work-") as work:
        work_dir = Path(work)
        pieces, parts = [], []
        for n, pub in enumerate(sorted(publishes.values(), key=lambda p: p.start_us)):
            piece = _mux_publish(pub, work_dir, n)
            if piece is None:
                continue
            duration_ms = _duration_ms(piece)
            if duration_ms <= 0:
                continue
            pieces.append(piece)
            parts.append([pub.start_us // 1000, duration_ms])
        if not pieces:
            return None
        target = out_dir / f"replay-{secrets.token_hex(4)}.webm"
        if len(pieces) == 1:
            _run([_ffmpeg(), "-i", str(pieces[0]), "-map", "0", "-c", "copy", str(target)])
        else:
            listing = work_dir / "pieces.txt"
            listing.write_text("".join(f"file '{p.name}'\n" for p in pieces))
            _run([_ffmpeg(), "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(target)])
        return Made(target, _duration_ms(target), parts)


def _header(path: Path) -> dict | None:
    try:
        out = _run([current_app.config.get("JANUS_PP_REC_BIN", "janus-pp-rec"), "-j", str(path)])
        return json.loads(out.strip().splitlines()[-1])
    except (ToolFailed, ValueError, IndexError):
        log.warning("unreadable recording %s", path)
        return None


def _mux_publish(pub: _Publish, work: Path, n: int) -> Path | None:
    """One publish's audio and video, each post-processed by janus-pp-rec, in one WebM (streams copied)."""
    pp = current_app.config.get("JANUS_PP_REC_BIN", "janus-pp-rec")
    inputs: list[tuple[Path, int]] = []
    for kind, source, start in (("video", pub.video, pub.video_start_us), ("audio", pub.audio, pub.audio_start_us)):
        if source is None:
            continue
        target = work / f"{n}-{kind}.{'webm' if kind == 'video' else 'opus'}"
        try:
            _run([pp, "-o", "-d", "2", str(source), str(target)])
        except ToolFailed:
            if kind == "video":  # an unreadable video still leaves the sound
                log.warning("video of %s unreadable, keeping its audio", pub.base)
                continue
            raise
        if target.is_file() and target.stat().st_size > 0:
            inputs.append((target, start))
    if not inputs:
        return None
    first = min(start for _path, start in inputs)
    cmd = [_ffmpeg()]
    for path, start in inputs:
        delay = (start - first) / 1_000_000
        if delay > 0.001:
            cmd += ["-itsoffset", f"{delay:.3f}"]
        cmd += ["-i", str(path)]
    for i in range(len(inputs)):
        cmd += ["-map", str(i)]
    piece = work / f"{n}.webm"
    _run([*cmd, "-c", "copy", str(piece)])
    return piece


def _duration_ms(path: Path) -> int:
    probe = shutil.which("ffprobe") or "ffprobe"
    out = _run([probe, "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", str(path)])
    try:
        return int(float(out.strip()) * 1000)
    except ValueError:
        return 0


def _ffmpeg() -> str:
    return current_app.config.get("FFMPEG_BIN", "ffmpeg")


def _run(cmd: list[str]) -> str:
    if cmd[0] == _ffmpeg():
        cmd = [cmd[0], "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *cmd[1:]]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolFailed(f"{Path(cmd[0]).name}: {exc}") from None
    if done.returncode != 0:
        raise ToolFailed(f"{Path(cmd[0]).name} exited {done.returncode}: {(done.stderr or '').strip()[-200:]}")
    return done.stdout


def pending_sessions(limit: int = 50) -> list[int]:
    """Ended sessions whose replay is still to make (a process died, a tool failed and may succeed now, or the
    ``live_ended`` job never ran) — for ``flask video replays``."""
    from market.live.models import LiveSession, SessionStatus

    now = utcnow()
    retry = sa.or_(
        Recording.id.is_(None),
        Recording.status == RecordingStatus.PENDING,
        sa.and_(Recording.status == RecordingStatus.FAILED, Recording.attempts < MAX_ATTEMPTS),
        sa.and_(Recording.status == RecordingStatus.PROCESSING, Recording.claimed_at < now - STALE_CLAIM),
    )
    ids = db.session.scalars(
        sa.select(LiveSession.id)
        .outerjoin(Recording, Recording.session_id == LiveSession.id)
        .where(LiveSession.status == SessionStatus.ENDED, retry)
        .order_by(LiveSession.ended_at.desc())
        .limit(limit * 4)
    ).all()
    return [sid for sid in ids if rec_dir(sid).is_dir()][:limit]

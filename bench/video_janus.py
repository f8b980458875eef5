"""Live video figures on this machine (docs/performance.md, "Live video"): glass-to-glass latency of the WebRTC
path through Janus, the viewers one Janus holds at 480p before it drops packets and its CPU per viewer, the HLS
delay, the replay job.

    .venv/bin/pip install aiortc uvloop   # this bench's WebRTC peers only (the bench extra; not the app's)
    .venv/bin/python bench/video_janus.py [--seconds 15] [--viewers 1,50,100,150,200] [--crowd-procs 2]
                                          [--event-loops N] [--keep-going] [--hls] [--browser]
    .venv/bin/python bench/video_janus.py --recording    # the replay pipeline on a real Janus recording

It starts its own Janus (deploy/janus.sh on ports 8095/7095, RTP 44000-51999, run dir /tmp/bench-janus), so it
never touches `make video`'s or the tests' Janus. The publisher is an aiortc peer sending 832×480 VP8 at 30 fps
whose frames carry the wall-clock time in milliseconds as 40 black/white blocks; the measuring viewer is an
aiortc peer that decodes each frame and reads the blocks back: latency = now − stamp on one clock (same machine).
This is "capture to decoded frame": a real phone adds its camera pipeline and a screen adds up to one refresh.
Both live in this process. The other viewers, the crowd (bench/video_crowd.py), live in ``--crowd-procs`` worker
processes and cost far less than Janus does for them: each completes ICE and DTLS with aiortc, then counts its
RTP packets on arrival without decrypting them; its loss comes from the sequence numbers.

Each step of ``--viewers``: the crowd grows to that many viewers, settles, then over ``--seconds`` the bench
reads Janus's CPU (all its threads, from /proc), the crowd's loss, the kernel's drops per socket owner (Janus,
crowd, this process), Janus's log (late packets discarded, sequence jumps), frames sent and decoded, latency,
the generator's CPU and the load average; one JSON line per step. It stops at the first step with loss above
``--max-loss`` or fewer than ``--min-fps`` frames at the meter or from the publisher, unless ``--keep-going``.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 832, 480, 30
BITS, BLOCK, TOP = 40, 20, 8
NOISE_FROM, NOISE_ROWS = 64, 16  # a band of noise: ~600-800 kb/s of VP8, as a camera's 480p
HTTP_PORT, ADMIN_PORT = 8095, 7095
RTP_PORTS = "44000-51999"  # a port per viewer (and per address of the host): room for thousands; HLS uses 43000+
ROOM_BITRATE = 800_000  # the room's cap (REMB to the publisher): a 480p picture
RUN_DIR = Path("/tmp/bench-janus")
API_SECRET, ADMIN_SECRET = "bench-api-secret", "bench-admin-secret"

try:
    import av
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
except ImportError:  # pragma: no cover - a bench
    sys.exit("this bench needs aiortc: .venv/bin/pip install aiortc")


# ---- stamped frames ---------------------------------------------------------------------------------------


def stamp_frame(ms: int) -> av.VideoFrame:
    frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    y, u, v = frame.planes
    stride = y.line_size
    row = bytearray(b"\x60" * stride)  # a grey picture
    rows = [bytes(row)] * HEIGHT
    bits = bytearray(b"\x60" * stride)
    for i in range(BITS):
        value = 235 if (ms >> i) & 1 else 16
        start = 16 + i * BLOCK
        bits[start : start + BLOCK] = bytes([value]) * BLOCK
    for r in range(TOP, TOP + BLOCK):
        rows[r] = bytes(bits)
    # Below the stamp, a band of noise: the encoder spends a camera's bitrate (a grey picture would cost
    # ~60 kb/s and flatter Janus's cost per viewer; noise on the whole picture is more than aiortc encodes).
    noisy = os.urandom(stride * NOISE_ROWS)
    y.update(b"".join(rows[:NOISE_FROM]) + noisy + b"".join(rows[NOISE_FROM + NOISE_ROWS :]))
    u.update(b"\x80" * (u.line_size * (HEIGHT // 2)))
    v.update(b"\x80" * (v.line_size * (HEIGHT // 2)))
    return frame


def read_stamp(frame: av.VideoFrame) -> int | None:
    if frame.width != WIDTH or frame.height != HEIGHT:
        frame = frame.reformat(WIDTH, HEIGHT, "yuv420p")
    elif frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    plane = frame.planes[0]
    data = bytes(plane)
    r = TOP + BLOCK // 2
    ms = 0
    for i in range(BITS):
        x = 16 + i * BLOCK + BLOCK // 2
        if data[r * plane.line_size + x] > 128:
            ms |= 1 << i
    return ms


def now_ms() -> int:
    return int(time.time() * 1000) & ((1 << BITS) - 1)


class StampTrack(VideoStreamTrack):
    kind = "video"

    def __init__(self):
        super().__init__()
        self.n = 0
        self.t0 = time.monotonic()

    async def recv(self):
        self.n += 1
        due = self.t0 + self.n / FPS
        await asyncio.sleep(max(0, due - time.monotonic()))
        frame = stamp_frame(now_ms())
        frame.pts = self.n * (90000 // FPS)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


# ---- Janus ------------------------------------------------------------------------------------------------


def start_janus(event_loops: int = 0) -> int:
    """deploy/janus.sh with the bench's ports; ``event_loops`` N > 0 shares N media threads among all handles."""
    env = {
        **os.environ,
        "JANUS_HTTP_PORT": str(HTTP_PORT),
        "JANUS_ADMIN_PORT": str(ADMIN_PORT),
        "JANUS_RTP_PORTS": RTP_PORTS,
        "JANUS_RUN_DIR": str(RUN_DIR),
        "JANUS_API_SECRET": API_SECRET,
        "JANUS_ADMIN_SECRET": ADMIN_SECRET,
        "JANUS_ENV_FILE": str(RUN_DIR / "janus.env"),
        "JANUS_EVENT_LOOPS": str(event_loops or ""),
    }
    subprocess.run([str(ROOT / "deploy/janus.sh"), "--daemon"], env=env, check=True, stdout=subprocess.DEVNULL)
    return int((RUN_DIR / "janus.pid").read_text())


def stop_janus(pid: int) -> None:
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


async def call(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


async def keepalive(janus, sessions: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for s in list(sessions):
            try:
                await call(janus.keepalive, s)
            except Exception:  # noqa: BLE001 - a bench
                pass
        try:
            await asyncio.wait_for(stop.wait(), 15)
        except TimeoutError:
            pass


async def publish(janus, room: int):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = StampTrack()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    session = await call(janus.create_session)
    handle = await call(janus.attach, session)
    joined = await call(
        janus.message, session, handle, {"request": "join", "ptype": "publisher", "room": room, "display": "bench"}
    )
    publisher_id = joined.data["id"]
    answer = await call(
        janus.message, session, handle, {"request": "publish"}, {"type": "offer", "sdp": pc.localDescription.sdp}
    )
    await pc.setRemoteDescription(RTCSessionDescription(answer.jsep["sdp"], answer.jsep["type"]))
    for _ in range(100):  # the feed exists once Janus receives media
        if any(p.get("id") == publisher_id and p.get("publisher") for p in await call(janus.participants, room)):
            break
        await asyncio.sleep(0.2)
    else:
        raise SystemExit(f"the publisher never reached Janus (ICE state {pc.iceConnectionState})")
    return pc, session, publisher_id, track


async def subscribe(janus, room: int, feed: int, on_frame=None):
    session = await call(janus.create_session)
    handle = await call(janus.attach, session)
    offer = await call(
        janus.message,
        session,
        handle,
        {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed}]},
    )
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # host candidates: no STUN lookup
    frames = {"n": 0, "lat": []}

    @pc.on("track")
    def on_track(track):
        async def pump():
            while True:
                try:
                    frame = await track.recv()
                except Exception:  # noqa: BLE001 - the track ended
                    return
                frames["n"] += 1
                if on_frame:
                    on_frame(frame, frames)

        asyncio.ensure_future(pump())

    await pc.setRemoteDescription(RTCSessionDescription(offer.jsep["sdp"], offer.jsep["type"]))
    await pc.setLocalDescription(await pc.createAnswer())
    await call(janus.message, session, handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp})
    return pc, session, frames


def measure_latency(frame, frames) -> None:
    stamp = read_stamp(frame)
    now = now_ms()
    if stamp is not None and 0 <= now - stamp < 10_000:
        frames["lat"].append(now - stamp)


async def packets_lost(pc) -> int:
    """The measuring viewer's own count (aiortc's jitter buffer, after retransmissions)."""
    return sum(
        getattr(stat, "packetsLost", 0) or 0 for stat in (await pc.getStats()).values() if stat.type == "inbound-rtp"
    )


async def sent(pc) -> tuple[int, int]:
    """Packets and bytes the publisher sent: Janus relays that same stream to every viewer."""
    out = [stat for stat in (await pc.getStats()).values() if stat.type == "outbound-rtp"]
    return sum(s.packetsSent for s in out), sum(s.bytesSent for s in out)


def own_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def udp_drops(owners: dict[str, list[int]]) -> dict[str, int]:
    """Datagrams the kernel dropped because a socket's receive buffer was full, by whose socket: Janus's (its
    publisher's packets arrive there: Janus read too slowly), the crowd's or this process's (the measuring viewer
    and the publisher)."""
    owner = {}
    for name, pids in owners.items():
        for pid in pids:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    link = os.readlink(fd)
                except OSError:
                    continue
                if link.startswith("socket:["):
                    owner[link[8:-1]] = name
    drops = dict.fromkeys(owners, 0)
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in owner:
                drops[owner[fields[9]]] += int(fields[-1])
    return drops


JANUS_LOG_SIGNS = {
    "late_discarded": "Discarding too old outgoing packet",  # its send queue over 1 s behind
    "ingress_jumps": "Big sequence number jump",
}  # the publisher's packets lost before Janus


def janus_log_mark() -> int:
    return (RUN_DIR / "janus.log").stat().st_size


def janus_log_signs(since: int) -> dict[str, int]:
    """Janus's own word on what it dropped since ``since`` (a size of its log)."""
    with open(RUN_DIR / "janus.log", "rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    return {name: text.count(sign) for name, sign in JANUS_LOG_SIGNS.items()}


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def crowd_window(before: list, after: list) -> dict:
    """Per viewer, packets expected (sequence numbers) and received over the window; the crowd's loss."""
    expected = received = nbytes = worst = silent = 0
    for (p0, b0, h0, _o0), (p1, b1, h1, _o1) in zip(before, after, strict=False):
        exp, got = h1 - h0, p1 - p0
        expected += exp
        received += got
        nbytes += b1 - b0
        silent += got == 0
        if exp > 0:
            worst = max(worst, (exp - got) / exp)
    return {
        "expected": expected,
        "received": received,
        "bytes": nbytes,
        "silent": silent,
        "loss_pct": round(100 * (expected - received) / expected, 3) if expected else None,
        "worst_viewer_loss_pct": round(100 * worst, 2),
    }


# ---- the runs ---------------------------------------------------------------------------------------------


async def run(args) -> dict:
    from video_crowd import Crowd

    from market.video.janus import Janus

    pid = start_janus(args.event_loops)
    url = f"http://127.0.0.1:{HTTP_PORT}/janus"
    janus = Janus(url, api_secret=API_SECRET, admin_secret=ADMIN_SECRET, timeout=10, event_timeout=20)
    room = 4242
    results: dict = {"janus_pid": pid, "crowd_procs": args.crowd_procs, "event_loops": args.event_loops, "steps": []}
    stop = asyncio.Event()
    sessions: list[int] = []
    pcs = []
    crowd = None
    try:
        try:
            janus.destroy_room(room, "bench")
        except Exception:  # noqa: BLE001
            pass
        janus.create_room(room, "bench", publishers=1, bitrate=ROOM_BITRATE, fir_freq=2)
        pub_pc, pub_session, feed, pub_track = await publish(janus, room)
        sessions.append(pub_session)
        pcs.append(pub_pc)
        alive = asyncio.ensure_future(keepalive(janus, sessions, stop))
        meter_pc, meter_session, meter = await subscribe(janus, room, feed, measure_latency)
        sessions.append(meter_session)
        pcs.append(meter_pc)
        await asyncio.sleep(4)  # ICE, DTLS, first keyframe
        meter["lat"].clear()
        if args.browser:
            results["chromium_viewer"] = await measure_browser(janus, room, feed, args.seconds)
        if args.hls:
            results["hls"] = await measure_hls(janus, room, feed, args.seconds)
        crowd = Crowd(args.crowd_procs, url, API_SECRET, room, feed)
        for target in args.viewers:
            t_grow = time.monotonic()
            in_crowd, connected, failed = await crowd.grow(target - 1)
            grow_s = time.monotonic() - t_grow
            await asyncio.sleep(args.settle)
            meter["lat"].clear()
            n0, lost0, stats0 = meter["n"], await packets_lost(meter_pc), await crowd.stats()
            (pkts0, bytes0), own0, gen0 = await sent(pub_pc), own_cpu_seconds(), crowd.cpu_seconds()
            owners = {"janus": [pid], "crowd": crowd.pids(), "bench": [os.getpid()]}
            drops0, load0, mark = udp_drops(owners), os.getloadavg()[0], janus_log_mark()
            (user0, sys0), frames0, t0 = cpu_split(pid), pub_track.n, time.monotonic()
            await asyncio.sleep(args.seconds)
            (user1, sys1), frames1, t1 = cpu_split(pid), pub_track.n, time.monotonic()
            (pkts1, bytes1), own1, gen1 = await sent(pub_pc), own_cpu_seconds(), crowd.cpu_seconds()
            drops1, lost1, stats1 = udp_drops(owners), await packets_lost(meter_pc), await crowd.stats()
            window = t1 - t0
            lat = sorted(meter["lat"])
            viewers = 1 + in_crowd
            seen = crowd_window(stats0, stats1)
            janus_pct = 100 * (user1 + sys1 - user0 - sys0) / window
            step = {
                "viewers": viewers,
                "connected": 1 + connected,
                "failed": failed,
                "grow_s": round(grow_s, 1),
                "janus_cpu_pct": round(janus_pct, 1),
                "janus_cpu_pct_per_viewer": round(janus_pct / viewers, 3),
                "janus_sys_pct": round(100 * (sys1 - sys0) / window, 1),
                "janus_threads": threads(pid),
                "crowd_loss_pct": seen["loss_pct"],
                "worst_viewer_loss_pct": seen["worst_viewer_loss_pct"],
                "crowd_silent_viewers": seen["silent"],
                "socket_drops": {k: drops1[k] - drops0[k] for k in owners},
                "janus_log": janus_log_signs(mark),
                "kbps_sent": round((bytes1 - bytes0) * 8 / 1000 / window),
                "packets_per_s_sent": round((pkts1 - pkts0) / window, 1),
                "kbps_per_crowd_viewer": round(seen["bytes"] * 8 / 1000 / window / in_crowd) if in_crowd else None,
                "fps_sent": round((frames1 - frames0) / window, 1),
                "fps_at_meter": round((meter["n"] - n0) / window, 1),
                "meter_packets_lost": lost1 - lost0,
                "latency_ms_median": statistics.median(lat) if lat else None,
                "latency_ms_p95": lat[int(len(lat) * 0.95)] if lat else None,
                "crowd_cpu_pct": round(100 * (sum(gen1) - sum(gen0)) / window, 1),
                "crowd_sys_pct": round(100 * (gen1[1] - gen0[1]) / window, 1),
                "bench_main_cpu_pct": round(100 * (own1 - own0) / window, 1),
                "load_avg": [round(load0, 1), round(os.getloadavg()[0], 1)],
            }
            results["steps"].append(step)
            print(json.dumps(step), flush=True)
            limit = []
            if (seen["loss_pct"] or 0) > args.max_loss:
                limit.append(f"crowd loss {seen['loss_pct']} % > {args.max_loss} %")
            if step["fps_at_meter"] < args.min_fps:
                limit.append(f"{step['fps_at_meter']} fps at the measuring viewer < {args.min_fps}")
            if step["fps_sent"] < args.min_fps:  # not Janus: the publisher (this process) got too little CPU
                limit.append(f"the publisher itself sent {step['fps_sent']} fps: the machine ran out")
            if limit and not args.keep_going:
                results["stopped"] = {"viewers": viewers, "why": limit}
                print(json.dumps({"stopped": results["stopped"]}), flush=True)
                break
    finally:
        stop.set()
        if "alive" in locals():
            await alive
        if crowd is not None:
            await crowd.close()
        for pc in pcs:
            await pc.close()
        for s in sessions:
            try:
                await call(janus.destroy, s)
            except Exception:  # noqa: BLE001
                pass
        stop_janus(pid)
    return results


async def measure_hls(janus, room: int, feed: int, seconds: int) -> dict:
    """Janus rtp_forward → the app's own ffmpeg command (market/video/hls.py) → segments; for each new segment,
    the delay from its first frame's stamp to the moment the playlist listed it."""
    from market import create_app
    from market.video import hls

    folder = Path(tempfile.mkdtemp(prefix="bench-hls-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-0123456789",
            "SOCKETIO_ASYNC_MODE": "threading",
            "REDIS_URL": None,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "VIDEO_DIR": str(folder),
        }
    )
    with app.app_context():
        base = 43000
        (folder / "stream.sdp").write_text(hls.sdp_for(base, "vp8", audio=False))
        cmd = hls.ffmpeg_command(folder, "bench000")
    ffmpeg = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu_before = None
    await asyncio.sleep(1)
    forwarders = await call(
        janus.rtp_forward, room, feed, "127.0.0.1", [{"mid": "0", "port": base + 2, "pt": hls.VIDEO_PT}], secret="bench"
    )
    seen: dict[str, float] = {}
    delays = []
    t_end = time.monotonic() + max(seconds, 20)
    while time.monotonic() < t_end:
        playlist = folder / hls.PLAYLIST
        if playlist.is_file():
            for line in playlist.read_text().splitlines():
                if line.endswith(".ts") and line not in seen:
                    seen[line] = time.time()
                    stamp = first_stamp(folder / line)
                    if stamp is not None:
                        delays.append(int(seen[line] * 1000) % (1 << BITS) - stamp)
                    if cpu_before is None:
                        cpu_before = (cpu_seconds(ffmpeg.pid), time.monotonic())
        await asyncio.sleep(0.05)
    cpu_after = (cpu_seconds(ffmpeg.pid), time.monotonic())
    for f in forwarders:
        await call(janus.stop_rtp_forward, room, feed, f["stream_id"], secret="bench")
    ffmpeg.terminate()
    ffmpeg.wait(20)
    target = int(app.config["VIDEO_HLS_SEGMENT_S"])
    out = {
        "segments": len(delays),
        "first_frame_to_listed_ms_median": statistics.median(delays) if delays else None,
        "segment_s": target,
        "ffmpeg_cpu_pct": round(100 * (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1]), 1)
        if cpu_before
        else None,
    }
    print(json.dumps({"hls": out}), flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    return out


async def check_recording(seconds: int = 6) -> dict:
    """The real pipeline of the replay: a room created with ``recording.room_options``, a publish of ``seconds``,
    the room destroyed, then ``recording.build_replay`` on what Janus wrote (janus-pp-rec, ffmpeg)."""
    from market import create_app
    from market.video import recording
    from market.video.janus import Janus

    folder = Path(tempfile.mkdtemp(prefix="bench-rec-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-0123456789",
            "SOCKETIO_ASYNC_MODE": "threading",
            "REDIS_URL": None,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "VIDEO_DIR": str(folder),
        }
    )
    pid = start_janus()
    janus = Janus(
        f"http://127.0.0.1:{HTTP_PORT}/janus",
        api_secret=API_SECRET,
        admin_secret=ADMIN_SECRET,
        timeout=10,
        event_timeout=20,
    )
    try:
        with app.app_context():
            options = recording.room_options(1)
        janus.create_room(4343, "bench", publishers=1, bitrate=ROOM_BITRATE, fir_freq=2, **options)
        pc, session, _feed, _track = await publish(janus, 4343)
        await asyncio.sleep(seconds)
        await pc.close()
        await call(janus.destroy, session)
        await call(janus.destroy_room, 4343, "bench")
        files = sorted(p.name for p in Path(options["rec_dir"]).glob("*.mjr"))
        with app.app_context():
            t0 = time.perf_counter()
            made = recording.build_replay(Path(options["rec_dir"]), folder / "replay" / "1")
            took = time.perf_counter() - t0
        out = {"mjr_files": files, "replay_ms": made.duration_ms if made else None, "job_s": round(took, 2)}
        print(json.dumps({"recording": out}), flush=True)
        return out
    finally:
        stop_janus(pid)
        shutil.rmtree(folder, ignore_errors=True)


VIEWER_HTML = b"""<!doctype html><meta charset="utf-8"><video id="v" autoplay muted playsinline></video>
<canvas id="c" width="832" height="480"></canvas><script src="/viewer.js"></script>"""
VIEWER_JS = b"""
window.lat = []; window.frames = 0;
(async () => {
  const offer = await (await fetch('/offer')).json();
  const pc = new RTCPeerConnection();
  const video = document.getElementById('v');
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((ok) => { if (pc.iceGatheringState === 'complete') ok();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && ok(); setTimeout(ok, 3000); });
  await fetch('/answer', {method: 'POST', body: JSON.stringify({type: 'answer', sdp: pc.localDescription.sdp})});
  const ctx = document.getElementById('c').getContext('2d', {willReadFrequently: true});
  const tick = () => {
    if (video.videoWidth) {
      ctx.drawImage(video, 0, 0, 832, 480);
      const row = ctx.getImageData(0, 18, 832, 1).data;
      let ms = 0;
      for (let i = 0; i < 40; i++) { if (row[(16 + i * 20 + 10) * 4] > 128) ms += 2 ** i; }
      const now = Date.now() % (2 ** 40);
      if (now - ms >= 0 && now - ms < 10000) window.lat.push(now - ms);
      window.frames++;
    }
    video.requestVideoFrameCallback(tick);
  };
  video.requestVideoFrameCallback(tick);
})();
"""


async def measure_browser(janus, room: int, feed: int, seconds: int) -> dict:
    """A Chromium viewer (the machine's, headless, via Playwright): Janus's subscriber offer relayed by a tiny
    local HTTP server, the frames drawn to a canvas as they are presented and the stamp read back."""
    import http.server
    import threading

    from playwright.async_api import async_playwright

    state: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_a):
            pass

        def _send(self, body: bytes, kind: str):
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/":
                self._send(VIEWER_HTML, "text/html")
            elif self.path == "/viewer.js":
                self._send(VIEWER_JS, "text/javascript")
            elif self.path == "/offer":
                session = janus.create_session()
                handle = janus.attach(session)
                state["session"], state["handle"] = session, handle
                offer = janus.message(
                    session,
                    handle,
                    {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed}]},
                )
                self._send(json.dumps(offer.jsep).encode(), "application/json")

        def do_POST(self):
            answer = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            janus.message(state["session"], state["handle"], {"request": "start"}, answer)
            self._send(b"{}", "application/json")

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--headless=new", "--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
            )
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/")
            await asyncio.sleep(6)
            await page.evaluate("() => { window.lat = []; window.frames = 0; }")
            await asyncio.sleep(seconds)
            lat = sorted(await page.evaluate("() => window.lat"))
            frames = await page.evaluate("() => window.frames")
            await browser.close()
    finally:
        httpd.shutdown()
        if "session" in state:
            await call(janus.destroy, state["session"])
    out = {
        "frames_per_s": round(frames / seconds, 1),
        "latency_ms_median": statistics.median(lat) if lat else None,
        "latency_ms_p95": lat[int(len(lat) * 0.95)] if lat else None,
        "samples": len(lat),
    }
    print(json.dumps({"chromium_viewer": out}), flush=True)
    return out


def first_stamp(segment: Path) -> int | None:
    try:
        with av.open(str(segment)) as container:
            for frame in container.decode(video=0):
                return read_stamp(frame)
    except (av.error.FFmpegError, OSError):
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="measuring window of each step")
    parser.add_argument("--viewers", default="1,50,100,200,300,400", help="viewer counts to step through")
    parser.add_argument(
        "--crowd-procs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes sharing the crowd of viewers (default: one per core)",
    )
    parser.add_argument(
        "--event-loops",
        type=int,
        default=0,
        help="Janus's event_loops (JANUS_EVENT_LOOPS): N shared media threads; 0: one per viewer",
    )
    parser.add_argument("--settle", type=float, default=5, help="seconds after a step's viewers joined")
    parser.add_argument("--max-loss", type=float, default=0.5, help="stop when the crowd loses more (%%)")
    parser.add_argument("--min-fps", type=float, default=27, help="stop when the measuring viewer sees fewer")
    parser.add_argument("--keep-going", action="store_true", help="step on past the first limit")
    parser.add_argument("--hls", action="store_true", help="also measure the HLS delay")
    parser.add_argument("--browser", action="store_true", help="also measure with a Chromium viewer (Playwright)")
    parser.add_argument(
        "--recording",
        action="store_true",
        help="only check the replay pipeline on a real Janus recording (room_options → build_replay)",
    )
    args = parser.parse_args()
    args.viewers = [int(v) for v in args.viewers.split(",")]
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/janus/info", timeout=1)
        sys.exit(f"something already answers on port {HTTP_PORT}")
    except OSError:
        pass
    import logging

    logging.getLogger("aioice").setLevel(logging.WARNING)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    if args.recording:
        asyncio.run(check_recording())
        return
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

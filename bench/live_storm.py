"""Live storm: N real Socket.IO viewers in one session of a production-like server; every one of them orders at
the same instant. Not a test: it prints figures beside the database's own limit measured in the same run.

    .venv/bin/python bench/live_storm.py                 # 1 000 viewers, 500-unit offer, 1 then 2 processes
    .venv/bin/python bench/live_storm.py --viewers 5000 --workers 2

What runs: a fresh PostgreSQL database (migrated, demo seeded, N buyers from ``flask bench-buyers``), Redis as
the Socket.IO message queue, and ``gunicorn -k gevent`` (the production server). By default the same run
measures two set-ups in turn on the same database and buyers: ONE process without Redis (rooms in its memory),
then TWO processes sharing every room through the Redis queue, and prints them side by side with the ratios:
the queue's cost (server CPU per delivered message and per order) and the gain in viewers held.
The viewers are python-socketio AsyncClients (websocket transport, aiohttp), shared among ``--client-procs``
processes, each one asyncio loop, so the load generator's own limits stay out of the figures as far as the
machine allows (its CPU is printed beside the server's).
Needs the bench extra: ``pip install -e '.[bench]'`` (``make bench-live`` does it).

The baseline (``--baseline node``, the default): after the project's set-ups, the same viewers, tokens and load
run against ``bench/live_node.js`` — a minimal Node socket.io 4 server speaking the same subset of the protocol
(join, order, chat, heart, the host's pin; stock in memory; stock and ``sold`` coalesced every 200 ms, hearts
and viewers every second, like the project) — and every figure is printed beside Node's as a ratio: all
joined, join p99, order ack p50/p99, fan-out p50/p99, orders/s, server CPU, idle CPU, memory per socket.
Needs ``node`` and ``npm ci`` (socket.io is a devDependency in package.json).

Phases and figures:
1. join: every viewer connects with its API token and joins the session → join time; then ``--idle`` seconds
   with every viewer silent → the server CPU of idle sockets, and memory per socket (RSS after − before).
2. warm: for ``--warm`` seconds every viewer taps hearts, 10% of them chat once, and one viewer (the Node
   generator's first; a python-socketio probe with ``--generator python``) writes stamped chat messages →
   fan-out latency (stamp to arrival at every viewer) and messages per viewer per second.
3. storm: every viewer orders 1 unit of a ``--units`` offer at one instant → orders/s, ack p50/p99, messages
   per viewer per second while the storm lasts, and oversell (units sold beyond the offer, must be 0).
4. the database's own limit: pgbench runs the same per-order transaction (conditional UPDATE of one hot offer
   row, the per-buyer upsert, the order, its line and its event; one commit per order) at the same
   concurrency (capped by max_connections) → orders/s, and the ratio live / database.
Server CPU (in % of one core) and memory (RSS, all gunicorn processes) are sampled from /proc.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psycopg
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")
SESSION_ID = 1  # the demo's live session in Ea Knuếc
HOST_PHONE = "0903000001"
PASSWORD = "chophien123"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def raise_open_files(wanted: int) -> int:
    """Like ``ulimit -n``: as high as the hard limit allows (the server inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, wanted) if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- server process accounting (/proc) -----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = [pid]
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            out += _children(int(child))
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in _children(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def rss_mb(pid: int) -> float:
    total = 0
    for p in _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (not idle, not waiting for I/O), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class Profiler:
    """py-spy on every server worker for one phase (``--profile DIR``): collapsed stacks, one file per worker and
    phase, read with ``bench/profile_top.py``. Nothing when the option is off or the target is not the project."""

    rate = 200  # samples a second (``--profile-rate``): a 2 s storm needs more than the join's 10 s

    def __init__(self, directory: str | None, pid: int, label: str, phase: str):
        self.procs = []
        if not directory or not shutil.which("py-spy", path=str(Path(PY).parent) + os.pathsep + os.environ["PATH"]):
            return
        spy = shutil.which("py-spy", path=str(Path(PY).parent) + os.pathsep + os.environ["PATH"])
        Path(directory).mkdir(parents=True, exist_ok=True)
        for worker in _children(pid)[1:] or [pid]:
            out = Path(directory) / f"{label}-{phase}-{worker}.txt"
            self.procs.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--nonblocking",
                        "--format",
                        "raw",
                        "-r",
                        str(self.rate),
                        "-o",
                        str(out),
                        "-p",
                        str(worker),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(0.5)

    def stop(self):
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class Meter:
    """CPU (server processes, load-generating processes, the whole machine) and peak server memory between
    start() and stop(). The rest of the machine (PostgreSQL, Redis and whatever else runs there) decides much
    of the spread on a shared machine, so it is reported too."""

    def __init__(self, pid: int, client_cpu):
        self.pid, self.client_cpu = pid, client_cpu
        self.peak = 0.0
        self._run = False

    def start(self):
        self.t0, self.c0, self.b0, self.peak = time.monotonic(), cpu_seconds(self.pid), self.client_cpu(), 0.0
        self.m0 = machine_busy_seconds()
        self._run = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._run:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.25)

    def stop(self) -> dict:
        self._run = False
        self._thread.join()
        wall = time.monotonic() - self.t0
        server, bench = cpu_seconds(self.pid) - self.c0, self.client_cpu() - self.b0
        return {
            "wall": wall,
            "cpu_pct": 100 * server / wall,
            "rss_mb": self.peak,
            "bench_cpu_pct": 100 * bench / wall,
            "rest_cpu_s": machine_busy_seconds() - self.m0 - server - bench,
        }


# ---- set-up ---------------------------------------------------------------------------------------------


def flask(env: dict, *args: str) -> str:
    result = subprocess.run([PY, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(url: str) -> None:
    base, name = pg(url).rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_gunicorn(
    env: dict, port: int, workers: int, log_path: Path, config: str | None, worker_class: str = "gevent"
) -> subprocess.Popen:
    cmd = [
        GUNICORN,
        "-k",
        worker_class,
        "-w",
        str(workers),
        "--worker-connections",
        "20000",
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    if config:
        cmd[1:1] = ["-c", config]
    log("server: gunicorn " + " ".join(cmd[1:]))
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not answer")


# ---- viewers --------------------------------------------------------------------------------------------


class Viewer:
    __slots__ = ("sio", "token", "index", "join_s", "ack_s", "ack", "stamps", "sent")

    def __init__(self, index: int, token: str, http: aiohttp.ClientSession):
        self.index, self.token = index, token
        self.sio = socketio.AsyncClient(reconnection=False, logger=False, engineio_logger=False, http_session=http)
        self.join_s = self.ack_s = None
        self.sent = None  # (before, after) the storm's order frame was written to the socket (monotonic)
        self.ack = None
        self.stamps = {}

    async def connect(self, url: str):
        await self.sio.connect(
            url, namespaces=["/live"], auth={"token": self.token}, transports=["websocket"], wait_timeout=30
        )


class ClientProcess:
    """One load-generating process: a share of the viewers on one asyncio loop, driven through a pipe."""

    def __init__(self, conn, url: str, tokens: list[str], first_index: int):
        self.conn, self.url = conn, url
        self.tokens, self.first_index = tokens, first_index
        self.phase = "join"
        self.counts: dict[str, Counter] = {}
        self.cpu: dict[str, float] = {}

    async def main(self):
        loop = asyncio.get_running_loop()
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.viewers = [Viewer(self.first_index + i, t, self.http) for i, t in enumerate(self.tokens)]
        while True:
            command, *args = await loop.run_in_executor(None, self.conn.recv)
            cpu0 = time.process_time()
            if command == "close":
                await asyncio.gather(*(v.sio.disconnect() for v in self.viewers), return_exceptions=True)
                await self.http.close()
                self.conn.send(("closed",))
                return
            try:
                reply = await getattr(self, command)(*args)
            except Exception as exc:  # tell the orchestrator instead of dying silently
                reply = ("error", f"{command}: {exc!r}")
            self.cpu[command] = time.process_time() - cpu0
            self.conn.send(reply)

    def _wire(self, v: Viewer):
        @v.sio.on("*", namespace="/live")
        async def any_event(event, data=None):
            self.counts.setdefault(self.phase, Counter())[event] += 1
            if event == "chat" and isinstance(data, dict) and data.get("text", "").startswith("bench-stamp "):
                v.stamps[data["text"]] = time.time()

    async def join(self, concurrency: int):
        gate = asyncio.Semaphore(concurrency)
        errors: list[str] = []

        async def one(v: Viewer):
            async with gate:
                t0 = time.monotonic()
                self._wire(v)
                for attempt in range(3):  # a refused connect under a thundering herd is retried, as browsers do
                    try:
                        await v.connect(self.url)
                        break
                    except socketio.exceptions.ConnectionError as exc:  # refused (busy) or unavailable
                        errors.append(repr(exc.__cause__ or exc))
                        if attempt == 2:
                            raise
                        await asyncio.sleep(0.5)
                for attempt in range(5):  # "unavailable" (the server is saturated): again, as the page does
                    ack = await v.sio.call("join", {"session_id": SESSION_ID}, namespace="/live", timeout=120)
                    if ack and ack.get("ok"):
                        break
                    if not ack or ack.get("error") != "unavailable" or attempt == 4:
                        raise RuntimeError(f"join refused: {ack}")
                    errors.append("join unavailable")
                    await asyncio.sleep(2)
                v.join_s = time.monotonic() - t0

        await asyncio.gather(*(one(v) for v in self.viewers))
        return [v.join_s for v in self.viewers], errors

    async def warm(self, start: float, seconds: float, chatters: list[int], hearts_per_s: float = 1.0):
        self.phase = "warm"
        period = 1 / hearts_per_s
        chatters = set(chatters)
        await asyncio.sleep(max(0.0, start - time.time()))
        stop = time.monotonic() + seconds

        async def activity(v: Viewer):
            chat_at = time.monotonic() + random.uniform(0.5, seconds - 0.5) if v.index in chatters else None
            await asyncio.sleep(random.uniform(0, period))
            while time.monotonic() < stop and v.sio.connected:
                try:
                    await v.sio.emit("heart", {}, namespace="/live")
                    if chat_at and time.monotonic() >= chat_at:
                        await v.sio.emit("chat", {"text": f"Chốt đơn cho em với chị ơi #{v.index}"}, namespace="/live")
                        chat_at = None
                except socketio.exceptions.SocketIOError:
                    return  # dropped (counted at the end)
                await asyncio.sleep(period * random.uniform(0.6, 1.4))

        if seconds > 0:
            await asyncio.gather(*(activity(v) for v in self.viewers))
        return ("warmed",)

    async def stamps(self, texts: list[str], wait: float):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(t not in v.stamps for v in self.viewers for t in texts):
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)
        return {t: [v.stamps[t] for v in self.viewers if t in v.stamps] for t in texts}

    async def storm(self, fire_at: float, offer_id: int, phase: str = "storm"):
        self.phase = phase
        for v in self.viewers:
            v.sent = v.ack_s = v.ack = None
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        left = [len(self.viewers)]
        await asyncio.sleep(max(0.0, fire_at - time.time()))
        t0 = time.monotonic()

        def acked_for(v: Viewer):
            def acked(ack):
                v.ack_s, v.ack = time.monotonic(), ack
                left[0] -= 1
                if left[0] == 0 and not done.done():
                    done.set_result(None)

            return acked

        def stamp_writes(v: Viewer):
            """When the order's frame is actually written: with 500 viewers on one loop, ``emit`` only queues it
            and each client's write task sends it later, so the storm's instant is not when a client spoke."""
            ws = v.sio.eio.ws
            send = ws.send_str

            async def send_str(data, *a, **kw):
                before = time.monotonic()
                await send(data, *a, **kw)
                if v.sent is None and '["order"' in data[:40]:
                    v.sent = (before, time.monotonic())

            ws.send_str = send_str

        for v in self.viewers:
            if v.sio.connected and v.sio.eio.ws is not None:
                stamp_writes(v)

        async def order(v: Viewer):
            try:
                await v.sio.emit(
                    "order",
                    {"offer_id": offer_id, "qty": 1, "key": f"storm-{v.index:06d}-{random.getrandbits(32):08x}"},
                    namespace="/live",
                    callback=acked_for(v),
                )
            except socketio.exceptions.SocketIOError:
                left[0] -= 1  # dropped before the storm: never answered

        await asyncio.gather(*(order(v) for v in self.viewers))
        if left[0] <= 0 and not done.done():
            done.set_result(None)
        try:
            await asyncio.wait_for(done, timeout=120)
        except TimeoutError:
            pass
        await asyncio.sleep(1.0)  # the coalesced stock and ticker messages that follow

        def written(v: Viewer):  # after the write returned, unless the ack was read while it waited to drain
            if v.sent is None or v.ack_s is None:
                return None
            return v.sent[1] if v.sent[1] <= v.ack_s else v.sent[0]

        return [
            (
                None if v.ack_s is None else v.ack_s - t0,
                None if written(v) is None else v.ack_s - written(v),
                None if written(v) is None else written(v) - t0,
                v.ack,
            )
            for v in self.viewers
        ]

    async def report(self):
        return self.counts, self.cpu, sum(1 for v in self.viewers if not v.sio.connected)


def client_process(conn, url: str, tokens: list[str], first_index: int) -> None:
    asyncio.run(ClientProcess(conn, url, tokens, first_index).main())


class NodeCrowd:
    """A share of the viewers in ``bench/live_crowd.js`` (bare websockets on one Node loop), driven like a
    ClientProcess's pipe: ``send`` a command tuple, ``poll``/``recv`` its reply (one JSON line each way)."""

    def __init__(self, url: str, tokens: list[str], first_index: int, frames: bool):
        path = Path(tempfile.mkdtemp(prefix="live-crowd-")) / "tokens.txt"
        path.write_text("\n".join(tokens))
        cmd = [
            "node",
            str(ROOT / "bench" / "live_crowd.js"),
            "--url",
            url,
            "--tokens",
            str(path),
            "--first",
            str(first_index),
            "--session",
            str(SESSION_ID),
        ] + (["--frames"] if frames else [])
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(("error", "the Node load generator exited"))

    def send(self, command: tuple) -> None:
        self.proc.stdin.write(json.dumps({"cmd": command[0], "args": list(command[1:])}) + "\n")
        self.proc.stdin.flush()

    def poll(self, timeout: float) -> bool:
        try:
            self._next = self.replies.get(timeout=timeout)
        except queue.Empty:
            return False
        return True

    def recv(self):
        reply = self._next
        return (
            tuple(reply) if isinstance(reply, list) and reply and reply[0] in ("error", "warmed", "closed") else reply
        )

    def join(self, timeout: float | None = None) -> None:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---- the database's own limit ---------------------------------------------------------------------------

PGBENCH_SCRIPT = """\\set b random(:bmin, :bmax)
BEGIN;
INSERT INTO live_offer_buyers (offer_id, buyer_id, qty) VALUES (:offer, :b, 1)
  ON CONFLICT (offer_id, buyer_id) DO UPDATE SET qty = live_offer_buyers.qty + 1
  WHERE live_offer_buyers.qty + 1 <= 1000000000 RETURNING buyer_id;
UPDATE live_offers SET sold = sold + 1, updated_at = now()
  WHERE id = :offer AND status = 'open' AND sold + 1 <= quantity RETURNING quantity - sold;
INSERT INTO orders (code, buyer_id, seller_id, status, subtotal_vnd, shipping_vnd, total_vnd, origin,
  live_session_id, idempotency_key, hold_expires_at, status_changed_at, note, created_at, updated_at)
  VALUES ('PG' || substr(md5(random()::text), 1, 14), :b, :seller, 'pending', 99000, 0, 99000, 'live', :session,
  'pgbench-' || md5(random()::text), now() + interval '30 minutes', now(), '', now(), now()) RETURNING id \\gset
INSERT INTO order_items (order_id, product_id, source, source_id, title, unit, unit_price_vnd, qty, line_total_vnd)
  VALUES (:id, :product, 'offer', :offer, 'Sầu riêng Ri6', 'kg', 99000, 1, 99000);
INSERT INTO order_events (order_id, from_status, to_status, actor_id, actor_role, created_at)
  VALUES (:id, NULL, 'pending', :b, 'buyer', now());
COMMIT;
"""


def database_limit(url: str, clients: int, seconds: int, ids: dict) -> float | None:
    """pgbench: one transaction per order on one hot offer row, at ``clients`` connections."""
    if not shutil.which("pgbench"):
        return None
    with psycopg.connect(pg(url), autocommit=True) as conn:
        offer = conn.execute(
            "INSERT INTO live_offers (session_id, product_id, price_vnd, quantity, per_buyer_limit, sold, status, "
            "number, created_at, updated_at) VALUES (%s, %s, 99000, 1000000000, 1000000000, 0, 'open', "
            "(SELECT COALESCE(MAX(number), 0) + 1 FROM live_offers WHERE session_id = %s), now(), now()) "
            "RETURNING id",
            (ids["session"], ids["product"], ids["session"]),
        ).fetchone()[0]
    script = Path(tempfile.mkdtemp()) / "order.sql"
    script.write_text(PGBENCH_SCRIPT)
    dbname = pg(url).rsplit("/", 1)[1]
    args = [
        "pgbench",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-n",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(seconds),
        "-f",
        str(script),
        "-D",
        f"offer={offer}",
        "-D",
        f"bmin={ids['bmin']}",
        "-D",
        f"bmax={ids['bmax']}",
        "-D",
        f"seller={ids['seller']}",
        "-D",
        f"session={ids['session']}",
        "-D",
        f"product={ids['product']}",
        dbname,
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)
    tps = None
    for line in result.stdout.splitlines():
        if line.startswith("tps ="):
            tps = float(line.split()[2])
    if tps is None:
        log("pgbench failed:\n" + result.stdout[-2000:] + result.stderr[-2000:])
    return tps


# ---- main -----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", type=int, default=1000, help="real Socket.IO viewers (up to 10000)")
    ap.add_argument("--units", type=int, default=500, help="units in the stormed offer")
    ap.add_argument(
        "--workers",
        default="1,2",
        help="server process counts to run in turn, compared (1: one process, no Redis; N > 1: N "
        "processes sharing every room through the Redis queue); e.g. --workers 2 for one run",
    )
    ap.add_argument(
        "--generator",
        choices=("node", "python"),
        default="node",
        help="node: bench/live_crowd.js, bare websockets on one Node loop (light enough for 5 000 "
        "viewers); python: python-socketio AsyncClients (the earlier generator)",
    )
    ap.add_argument(
        "--client-procs",
        type=int,
        default=None,
        help="load-generating processes sharing the viewers (default: 1 Node, 2 python)",
    )
    ap.add_argument("--hearts-per-s", type=float, default=1.0, help="hearts per viewer per second, warm phase")
    ap.add_argument(
        "--chat-per-s",
        type=float,
        default=None,
        help="chat messages per second in the room, warm phase (default: 10%% of viewers once each)",
    )
    ap.add_argument(
        "--frames",
        action="store_true",
        help="viewers ask for one combined `tick` frame per tick (join's opt-in `frames` flag)",
    )
    ap.add_argument(
        "--warm",
        type=float,
        default=60.0,
        help="seconds of hearts (every viewer, about 1/s) and chat (10%% of viewers, once each)",
    )
    ap.add_argument(
        "--storms",
        type=int,
        default=1,
        help="storms per set-up: after the first, the same viewers storm a fresh offer again",
    )
    ap.add_argument("--stamps", type=int, default=5, help="stamped chat messages for fan-out latency")
    ap.add_argument(
        "--idle",
        type=float,
        default=10.0,
        help="seconds with every viewer joined and silent (server CPU of idle sockets)",
    )
    ap.add_argument(
        "--baseline",
        choices=("node", "none"),
        default="node",
        help="node: the same load on bench/live_node.js (Node socket.io 4) in the same run, and "
        "each figure's ratio to it",
    )
    ap.add_argument("--batch-ms", type=int, default=None, help="LIVE_ORDER_BATCH_MS for the server (0: no merging)")
    ap.add_argument("--pgbench-seconds", type=int, default=10)
    ap.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/chophien_bench"),
    )
    ap.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"))
    ap.add_argument("--keep", action="store_true", help="keep the server running at the end (Ctrl-C to stop)")
    ap.add_argument(
        "--worker-class",
        default="gevent",
        help="gunicorn worker class: gevent (simple-websocket, the default) or "
        "geventwebsocket.gunicorn.workers.GeventWebSocketWorker (needs gevent-websocket)",
    )
    ap.add_argument(
        "--profile",
        default=None,
        metavar="DIR",
        help="py-spy (collapsed stacks) on every project worker during each phase, into DIR",
    )
    ap.add_argument("--profile-rate", type=int, default=200, help="py-spy's samples per second with --profile")
    ap.add_argument("--gunicorn-config", default=None, help="extra gunicorn -c file (e.g. to profile workers)")
    ap.add_argument("--server-log-level", default="WARNING", help="LOG_LEVEL of the server (DEBUG shows batches)")
    args = ap.parse_args()
    Profiler.rate = args.profile_rate
    if not 1 <= args.viewers <= 10_000:
        raise SystemExit("--viewers must be between 1 and 10000")

    # each process holds one end of each socket: the load generator all of them, a server its share
    nofile = raise_open_files(args.viewers * 3 + 1000)
    log(f"open files limit: {nofile}")
    if nofile < args.viewers + 1000:
        raise SystemExit(f"raise the open-file limit: ulimit -n {args.viewers + 1000}")

    work = Path(tempfile.mkdtemp(prefix="live-storm-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "MARKET_INSTANCE_PATH": str(work / "instance"),
        "MEDIA_DIR": str(work / "media"),
        "FLASK_APP": str(ROOT / "wsgi.py"),
        "LOG_LEVEL": args.server_log_level,
        "LIVE_REDIS_PREFIX": f"bench-{os.getpid()}",
        "SOCKETIO_CHANNEL": f"bench-{os.getpid()}",
        "RATELIMIT_ENABLED": "true",
    }
    if args.batch_ms is not None:
        env["LIVE_ORDER_BATCH_MS"] = str(args.batch_ms)
    log(f"database {args.database_url} (recreated), redis {args.redis_url}")
    recreate_database(args.database_url)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    tokens_file = work / "tokens.txt"
    t0 = time.monotonic()
    flask(env, "bench-buyers", str(args.viewers + 1), "--tokens-file", str(tokens_file))
    tokens = tokens_file.read_text().split()
    log(f"{len(tokens)} buyer accounts and tokens in {time.monotonic() - t0:.1f} s")

    try:
        modes = [int(w) for w in str(args.workers).split(",")]
    except ValueError:
        raise SystemExit("--workers is a comma-separated list of process counts, e.g. 1,2") from None
    reports = []
    for workers in modes:
        reports.append(one_setup(args, env, tokens, work, workers))
    node = node_setup(args, env, tokens, work) if args.baseline == "node" else None
    reports = [r for r in reports if r is not None]
    if not reports:
        return
    # The database's own limit, measured once the servers have stopped (their connections and CPU are free).
    with psycopg.connect(pg(args.database_url), autocommit=True) as conn:
        max_conn = int(conn.execute("SHOW max_connections").fetchone()[0])
        in_use = conn.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0]
    clients = max(1, min(args.viewers, max_conn - in_use - 5))
    log(f"database's own limit: pgbench, same transaction, {clients} clients, {args.pgbench_seconds} s …")
    try:
        db_tps = database_limit(args.database_url, clients, args.pgbench_seconds, reports[0].ids)
    except psycopg.Error as exc:  # the figures above still count
        log(f"pgbench set-up failed: {exc}")
        db_tps = None
    for report in reports:
        report(db_tps, clients)
    one = next((r for r in reports if r.summary["workers"] == 1), None)
    many = next((r for r in reports if r.summary["workers"] > 1), None)
    if one and many:
        print_comparison(one.summary, many.summary)
    if node is not None:
        node(db_tps, clients)
        for report in reports:
            print_baseline(report.summary, node.summary)


def node_setup(args, env, tokens, work):
    """The Node baseline, measured by the same ``run`` as the project."""
    script = ROOT / "bench" / "live_node.js"
    if not shutil.which("node") or not (ROOT / "node_modules" / "socket.io").exists():
        log("Node baseline skipped: needs node and `npm ci` (socket.io is a devDependency)")
        return None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tokens_file = work / "node-tokens.txt"
    tokens_file.write_text("\n".join(tokens))
    log_path = work / "server-node.log"
    node_env = {
        **env,
        "LIVE_COALESCE_MS": env.get("LIVE_COALESCE_MS", "200"),
        "LIVE_COUNTERS_MS": env.get("LIVE_COUNTERS_MS", "1000"),
    }
    log("---- baseline: Node socket.io 4 (bench/live_node.js), one process ----")
    server = subprocess.Popen(
        ["node", str(script), "--port", str(port), "--tokens", str(tokens_file), "--host-token", NodeTarget.HOST_TOKEN],
        cwd=ROOT,
        env=node_env,
        stdout=open(log_path, "w"),
        stderr=subprocess.STDOUT,
    )  # noqa: SIM115
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Node baseline did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        return run(args, env, NodeTarget(args, url, server), tokens)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def one_setup(args, env, tokens, work, workers: int):
    """One server set-up, measured: ``workers`` gunicorn processes; with more than one they share every room
    through the Redis queue, alone the process keeps everything in its memory (no queue at all)."""
    env = dict(env)
    if workers == 1:
        env.pop("REDIS_URL", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log(f"---- {workers} server process(es){' behind the Redis queue' if workers > 1 else ', no Redis'} ----")
    log_path = work / f"server-{workers}.log"
    server = start_gunicorn(env, port, workers, log_path, args.gunicorn_config, args.worker_class)
    report = None
    try:
        report = run(args, env, ProjectTarget(args, url, server, workers), tokens)
    finally:
        if args.keep:
            log(f"server kept on {url}; Ctrl-C to stop")
            try:
                server.wait()
            except KeyboardInterrupt:
                pass
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        errors = [
            line
            for line in log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or " ERROR " in line
        ]
        if errors:
            log(f"server log has {len(errors)} error line(s); see {log_path}")
    return report


class ProjectTarget:
    """The project under gunicorn: offers pinned by the demo host over the protocol, sales read from PostgreSQL."""

    def __init__(self, args, url: str, server: subprocess.Popen, workers: int):
        self.args, self.url, self.server, self.workers = args, url, server, workers
        self.ids: dict = {}
        queue = "PostgreSQL + the Redis queue" if workers > 1 else "PostgreSQL, no Redis (one process)"
        self.label = f"project, gunicorn -k {args.worker_class} -w {workers}, {queue}"

    def host_token(self) -> str:
        return requests.post(
            self.url + "/api/v1/auth/token", json={"phone": HOST_PHONE, "password": PASSWORD}, timeout=10
        ).json()["token"]

    def pin(self) -> int:
        """The host pins the stormed offer over the same protocol (closing the one of an earlier storm)."""
        with psycopg.connect(pg(self.args.database_url)) as conn:
            product = conn.execute("SELECT id FROM products WHERE title = 'Sầu riêng Monthong'").fetchone()[0]
            conn.execute("UPDATE products SET stock = stock + %s WHERE id = %s", (self.args.units, product))
            seller = conn.execute("SELECT seller_id FROM products WHERE id = %s", (product,)).fetchone()[0]
            bmin, bmax = conn.execute("SELECT min(id), max(id) FROM users WHERE phone LIKE '+8499%%'").fetchone()
        self.ids = {"session": SESSION_ID, "product": product, "seller": seller, "bmin": bmin, "bmax": bmax}
        return pin_over_protocol(self.url, self.host_token(), product, self.args.units)

    def counts(self, offer_id: int) -> tuple[int, int, int]:
        """(units sold, offered, on order lines) of an offer."""
        with psycopg.connect(pg(self.args.database_url)) as conn:
            sold, quantity = conn.execute(
                "SELECT sold, quantity FROM live_offers WHERE id = %s", (offer_id,)
            ).fetchone()
            ordered = conn.execute(
                "SELECT coalesce(sum(qty), 0) FROM order_items WHERE source = 'offer' AND source_id = %s", (offer_id,)
            ).fetchone()[0]
        return sold, quantity, ordered


class NodeTarget:
    """The baseline: ``bench/live_node.js`` (socket.io 4 on Node, stock in memory), same tokens, same load."""

    HOST_TOKEN = "bench-host-token"

    def __init__(self, args, url: str, server: subprocess.Popen):
        self.args, self.url, self.server, self.workers = args, url, server, 1
        self.ids: dict = {}
        self.label = "baseline, Node socket.io 4 (bench/live_node.js), stock in memory, one process"

    def pin(self) -> int:
        return pin_over_protocol(self.url, self.HOST_TOKEN, 1, self.args.units)

    def counts(self, offer_id: int) -> tuple[int, int, int]:
        stats = requests.get(self.url + "/stats", timeout=10).json()
        offer = next(o for o in stats["offers"] if o["id"] == offer_id)
        return offer["sold"], offer["quantity"], offer["sold"]


def pin_over_protocol(url: str, token: str, product: int, units: int) -> int:
    host = socketio.Client(reconnection=False)
    host.connect(url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    joined = host.call("join", {"session_id": SESSION_ID}, namespace="/live")
    assert joined["ok"], joined
    for offer in joined["snapshot"]["offers"]:  # an earlier set-up's stormed offer, in the same run
        if offer["title"] == "Sầu riêng Monthong":
            assert host.call("close_offer", {"offer_id": offer["id"]}, namespace="/live")["ok"]
    ack = host.call(
        "pin", {"product_id": product, "price_vnd": 99_000, "quantity": units, "per_buyer_limit": 5}, namespace="/live"
    )
    assert ack["ok"], ack
    host.disconnect()
    return ack["offer"]["id"]


def storm_figures(target, results, offer_id):
    """One storm's acks: latencies from each order's write and from the storm's instant, and oversell."""
    acks = [(lat, ack) for lat, _own, _at, ack in results if ack is not None]
    ok = [ack for _lat, ack in acks if ack.get("ok")]
    own = [o for _lat, o, _at, ack in results if ack is not None and o is not None]
    sold, quantity, ordered = target.counts(offer_id)
    oversell = max(0, sold - quantity) + abs(ordered - sold) + max(0, len(ok) - quantity)
    return {
        "answered": len(acks),
        "placed": len(ok),
        "ack_p50": pct(own, 50),
        "ack_p99": pct(own, 99),
        "fire_p50": pct([lat for lat, _a in acks], 50),
        "fire_p99": pct([lat for lat, _a in acks], 99),
        "oversell": oversell,
        "sold": sold,
    }


def run(args, env, target, tokens):
    url, server, workers = target.url, target.server, target.workers
    load_before = " / ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    offer_id = target.pin()

    probe = None  # the stamped chat: the Node generator's first viewer writes it; else a python-socketio probe
    if args.generator != "node":
        probe = socketio.Client(reconnection=False)
        probe.connect(url, namespaces=["/live"], auth={"token": tokens[0]}, transports=["websocket"])
        assert probe.call("join", {"session_id": SESSION_ID}, namespace="/live")["ok"]

    ctx = multiprocessing.get_context("spawn")
    viewers = tokens[1:]
    procs = args.client_procs or (1 if args.generator == "node" else 2)
    share = -(-len(viewers) // procs)
    children, pipes = [], []
    for k in range(procs):
        part = viewers[k * share : (k + 1) * share]
        if not part:
            continue
        if args.generator == "node":
            crowd = NodeCrowd(url, part, k * share, args.frames)
            children.append(crowd)
            pipes.append(crowd)
            continue
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=client_process, args=(child_end, url, part, k * share), daemon=True)
        proc.start()
        children.append(proc)
        pipes.append(parent_end)

    def receive(p, timeout: float = 400):
        if not p.poll(timeout):
            raise SystemExit("a load-generating process did not answer in time")
        reply = p.recv()
        if isinstance(reply, tuple) and reply and reply[0] == "error":
            raise SystemExit(f"a load-generating process failed: {reply[1]}")
        return reply

    def ask(*command, timeout: float = 400):
        for p in pipes:
            p.send(command)
        return [receive(p, timeout) for p in pipes]

    def client_cpu():
        return sum(cpu_seconds(c.pid) for c in children)

    time.sleep(1.0)
    rss_before = rss_mb(server.pid)
    log(f"{args.viewers} viewers connecting and joining ({len(children)} client processes) …")
    label = "project" if isinstance(target, ProjectTarget) else "node"
    profile = args.profile if label == "project" else None
    spy = Profiler(profile, server.pid, f"{label}-w{workers}", "join")
    meter = Meter(server.pid, client_cpu).start()
    t0 = time.monotonic()
    replies = ask("join", max(1, 200 // len(children)), timeout=max(400, len(viewers) * 0.4))  # a crowded machine
    join_total = time.monotonic() - t0
    join_use = meter.stop()
    spy.stop()
    joins = [j for times, _errors in replies for j in times]
    connect_errors = [e for _times, errors in replies for e in errors]
    idle_use = None
    if args.idle > 0:  # every viewer joined, nobody taps or chats: what holding the sockets costs
        log(f"idle phase: {args.idle:.0f} s, every viewer joined, no hearts, no chat …")
        meter = Meter(server.pid, client_cpu).start()
        time.sleep(args.idle)
        idle_use = meter.stop()
    kb_per_socket = (rss_mb(server.pid) - rss_before) * 1024 / max(1, len(joins))

    log(f"warm phase: {args.warm:.0f} s of hearts and chat …")
    spy = Profiler(profile, server.pid, f"{label}-w{workers}", "warm")
    meter = Meter(server.pid, client_cpu).start()
    n_chat = round(args.chat_per_s * args.warm) if args.chat_per_s is not None else len(viewers) // 10
    first = 0 if probe is not None else 1  # the viewer that writes the stamps does not chat besides
    chatters = (
        random.sample(range(first, len(viewers)), max(1, min(len(viewers) - first, n_chat))) if args.warm > 0 else []
    )
    start = time.time() + 0.5
    for p in pipes:
        p.send(("warm", start, args.warm, chatters, args.hearts_per_s))
    sent: dict[str, float] = {}
    if args.warm > 0:
        time.sleep(max(0.0, start - time.time()) + 1)
        # at most what fits in the warm phase (2 s apart, within the chat rate limit): a stamp sent after the
        # generator has finished its warm phase would take the reply meant for the phase's end
        for i in range(min(args.stamps, max(0, int((args.warm - 1) // 2)))):
            text = f"bench-stamp {i}"
            if probe is None:
                pipes[0].send(("stamp", text))
                (at,) = receive(pipes[0])
                if at is not None:
                    sent[text] = at
            else:
                sent[text] = time.time()
                if probe.connected:
                    probe.emit("chat", {"text": text}, namespace="/live")
            time.sleep(max(2.0, (args.warm - 4) / max(1, args.stamps)))  # within the chat rate limit
    for p in pipes:
        receive(p)
    arrivals = ask("stamps", list(sent), 30.0)
    warm_use = meter.stop()
    spy.stop()
    # a stamp whose send was not confirmed (a short --warm) has no sending time: its arrivals are not counted
    fanout = [at - sent[text] for reply in arrivals for text, times in reply.items() if text in sent for at in times]

    log("storm: every viewer orders 1 unit at the same instant …")
    spy = Profiler(profile, server.pid, f"{label}-w{workers}", "storm")
    meter = Meter(server.pid, client_cpu).start()
    fire_at = time.time() + 1.0
    results = [r for reply in ask("storm", fire_at, offer_id) for r in reply]
    storm_use = meter.stop()
    spy.stop()
    acks = [(lat, ack) for lat, _own, _at, ack in results if ack is not None]
    ok = [(lat, ack) for lat, ack in acks if ack.get("ok")]
    refused = Counter(ack.get("error") for _lat, ack in acks if not ack.get("ok"))
    # Ack latency: from the moment each client's order frame was written to its socket to its ack, so the
    # load generator's own queueing before the write (500 clients on one loop) is not counted as the server's;
    # the ack's side still includes the client loop's delay in reading it. Also from the storm's instant.
    ack_lat = [own for _lat, own, _at, ack in results if ack is not None and own is not None]
    ack_from_fire = [lat for lat, _ack in acks]
    writes = [at for _lat, _own, at, ack in results if at is not None]
    storm_s = max(ack_from_fire, default=float("nan"))
    last_ok = max((lat for lat, _ack in ok), default=float("nan"))

    more_storms = []
    for k in range(1, args.storms):  # the same viewers, a fresh offer each time
        time.sleep(2.0)
        loadavg = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
        offer_k = target.pin()
        time.sleep(1.0)
        meter_k = Meter(server.pid, client_cpu).start()
        extra = [r for reply in ask("storm", time.time() + 1.0, offer_k, f"storm{k + 1}") for r in reply]
        use_k = meter_k.stop()
        fig = {
            **storm_figures(target, extra, offer_k),
            "load": loadavg,
            "cpu_s": use_k["cpu_pct"] / 100 * use_k["wall"],
            "rest_s": use_k["rest_cpu_s"],
        }
        more_storms.append(fig)
        log(
            f"storm {k + 1}: ack p50 {fig['ack_p50'] * 1000:.0f} ms, p99 {fig['ack_p99'] * 1000:.0f} ms (from the "
            f"write); from the storm p50 {fig['fire_p50'] * 1000:.0f}, p99 {fig['fire_p99'] * 1000:.0f} ms; "
            f"{fig['answered']} answered, {fig['placed']} placed, oversell {fig['oversell']}, "
            f"server {fig['cpu_s']:.2f} CPU-s, rest of the machine {fig['rest_s']:.2f} CPU-s, load {loadavg}"
        )

    counts: dict[str, Counter] = {}
    client_cpu_by_phase = Counter()
    dropped = 0
    for phase_counts, cpu, gone in ask("report"):
        for phase, c in phase_counts.items():
            counts.setdefault(phase, Counter()).update(c)
        client_cpu_by_phase.update(cpu)
        dropped += gone
    ask("close")
    for c in children:
        c.join(timeout=10)
    if probe is not None:
        probe.disconnect()

    sold, quantity, ordered = target.counts(offer_id)

    orders_per_s = len(acks) / storm_s if acks else 0.0
    placed_per_s = len(ok) / last_ok if ok else 0.0
    oversell = max(0, sold - quantity) + abs(ordered - sold) + max(0, len(ok) - quantity)
    oversell += sum(f["oversell"] for f in more_storms)
    windows = {"warm": warm_use["wall"], "storm": storm_use["wall"]}
    n = max(1, len(viewers))
    rates = {
        phase: {e: c / n / windows[phase] for e, c in sorted(counts.get(phase, Counter()).items())}
        for phase in ("warm", "storm")
    }

    def report(db_tps, clients):
        print(f"dropped sockets : {dropped} viewer(s) lost their connection during the run")
        for k, f in enumerate(more_storms, start=2):
            print(
                f"storm {k} (same viewers, fresh offer, load {f['load']}): ack p50 {f['ack_p50'] * 1000:.0f} ms, "
                f"p99 {f['ack_p99'] * 1000:.0f} ms; from the storm p50 {f['fire_p50'] * 1000:.0f}, "
                f"p99 {f['fire_p99'] * 1000:.0f} ms; {f['answered']} answered, {f['placed']} placed, "
                f"oversell {f['oversell']}, server {f['cpu_s']:.2f} CPU-s, rest {f['rest_s']:.2f} CPU-s"
            )
        print_report(
            args,
            env,
            target,
            load_before,
            joins,
            join_total,
            connect_errors,
            fanout,
            acks,
            ok,
            refused,
            storm_s,
            (ack_lat, ack_from_fire, writes),
            rates,
            (join_use, warm_use, storm_use),
            sold,
            quantity,
            ordered,
            oversell,
            orders_per_s,
            placed_per_s,
            db_tps,
            clients,
            idle_use,
            kb_per_socket,
        )

    warm_msgs = sum(counts.get("warm", Counter()).values())
    storm_msgs = sum(counts.get("storm", Counter()).values())
    report.summary = {
        "workers": workers,
        "viewers": len(viewers),
        "dropped": dropped,
        "join_s": join_total,
        "joined": len(joins),
        "join_p99": pct(joins, 99),
        "placed_per_s": placed_per_s,
        "kb_per_socket": kb_per_socket,
        "idle_cpu_pct": idle_use["cpu_pct"] if idle_use else float("nan"),
        "label": target.label,
        "fanout_p50": pct(fanout, 50),
        "fanout_p99": pct(fanout, 99),
        "orders_per_s": orders_per_s,
        "ack_p50": pct(ack_lat, 50),
        "ack_p99": pct(ack_lat, 99),
        "oversell": oversell,
        "ack_fire_p50": pct(ack_from_fire, 50),
        "ack_fire_p99": pct(ack_from_fire, 99),
        "warm_msgs": warm_msgs,
        "warm_cpu_s": warm_use["cpu_pct"] / 100 * warm_use["wall"],
        "warm_cpu_pct": warm_use["cpu_pct"],
        "storm_msgs": storm_msgs,
        "storm_cpu_s": storm_use["cpu_pct"] / 100 * storm_use["wall"],
        "orders": len(acks),
        "join_cpu_s": join_use["cpu_pct"] / 100 * join_use["wall"],
        "rss_mb": max(u["rss_mb"] for u in (join_use, warm_use, storm_use)),
    }

    report.ids = target.ids
    return report


def print_report(
    args,
    env,
    target,
    load_before,
    joins,
    join_total,
    connect_errors,
    fanout,
    acks,
    ok,
    refused,
    storm_s,
    latencies,
    rates,
    uses,
    sold,
    quantity,
    ordered,
    oversell,
    orders_per_s,
    placed_per_s,
    db_tps,
    clients,
    idle_use,
    kb_per_socket,
):
    join_use, warm_use, storm_use = uses
    ack_lat, ack_from_fire, writes = latencies
    print()
    print(f"machine         : {os.cpu_count()} CPUs, load average before the run {load_before}")
    print(
        f"== Live storm: {args.viewers} viewers, {args.units}-unit offer, {target.label}, "
        f"LIVE_ORDER_BATCH_MS={env.get('LIVE_ORDER_BATCH_MS', 'default (5)')} =="
    )
    print(
        f"join            : all {len(joins)} in {join_total:.2f} s; per viewer p50 {pct(joins, 50) * 1000:.0f} ms, "
        f"p99 {pct(joins, 99) * 1000:.0f} ms; {len(connect_errors)} connect attempt(s) retried"
    )
    print(
        f"fan-out (chat)  : {len(fanout)} deliveries; p50 {pct(fanout, 50) * 1000:.0f} ms, "
        f"p99 {pct(fanout, 99) * 1000:.0f} ms"
    )
    print(
        f"orders          : {len(acks)} answered in {storm_s:.3f} s = {orders_per_s:.0f} orders/s "
        f"({len(ok)} placed, {placed_per_s:.0f} placed/s; refused {dict(refused)})"
    )
    print(
        f"ack latency     : p50 {pct(ack_lat, 50) * 1000:.0f} ms, p99 {pct(ack_lat, 99) * 1000:.0f} ms, "
        f"max {max(ack_lat, default=float('nan')) * 1000:.0f} ms"
        + (f"  ({args.viewers - len(acks)} never answered)" if len(acks) < args.viewers else "")
        + "  (from each order's frame written to its ack)"
    )
    print(
        f"  from the storm: p50 {pct(ack_from_fire, 50) * 1000:.0f} ms, p99 {pct(ack_from_fire, 99) * 1000:.0f} ms "
        f"(from the common instant; the load generator wrote the orders over {pct(writes, 50) * 1000:.0f} ms "
        f"p50, {max(writes, default=float('nan')) * 1000:.0f} ms max)"
    )
    for phase in ("warm", "storm"):
        print(
            f"msgs/viewer/s   : {phase:<5} "
            + ", ".join(f"{k} {v:.2f}" for k, v in rates[phase].items())
            + f"  (total {sum(rates[phase].values()):.2f})"
        )
    for name, use in (("join", join_use), ("warm", warm_use), ("storm", storm_use)):
        print(
            f"server {name:<5}    : CPU {use['cpu_pct']:.0f}% of one core over {use['wall']:.1f} s, "
            f"RSS {use['rss_mb']:.0f} MB (all workers); load generator CPU {use['bench_cpu_pct']:.0f}%; "
            f"rest of the machine {use['rest_cpu_s']:.2f} CPU-s (PostgreSQL, Redis, anything else)"
        )
    if idle_use:
        print(
            f"server idle     : CPU {idle_use['cpu_pct']:.0f}% of one core over {idle_use['wall']:.1f} s with every "
            f"viewer joined and silent"
        )
    print(f"memory/socket   : {kb_per_socket:.0f} kB (server RSS after the join minus before, per viewer)")
    print(
        f"oversell        : {oversell}  (offer sold {sold} of {quantity}; order lines {ordered}; "
        f"success acks {len(ok)})"
    )
    if db_tps:
        print(
            f"database limit  : {db_tps:.0f} orders/s (pgbench, one transaction per order on one hot row, "
            f"{clients} clients)"
        )
        print(
            f"ratio           : live {orders_per_s:.0f} orders/s ÷ database {db_tps:.0f} = "
            f"{orders_per_s / db_tps:.2f}  (placed/s ÷ database = {placed_per_s / db_tps:.2f})"
        )
    else:
        print("database limit  : not measured (pgbench missing or failed, see above)")
    answered_ok = "yes" if db_tps and orders_per_s >= db_tps else "NO"
    placed_ok = "yes" if db_tps and placed_per_s >= db_tps else "NO"
    print(
        f"goal            : orders/s ≥ database limit: answered {answered_ok}, placed {placed_ok}; "
        f"ack p99 < 250 ms: {'yes' if pct(ack_lat, 99) < 0.25 else 'NO'}; "
        f"zero oversell: {'yes' if oversell == 0 else 'NO'}"
    )


def print_comparison(one: dict, many: dict) -> None:
    """Two set-ups of the same run side by side: what the Redis queue costs per message, and what a second
    process gains in viewers held."""

    def per_msg(r):
        return r["warm_cpu_s"] / r["warm_msgs"] * 1e6 if r["warm_msgs"] else float("nan")

    def per_order(r):
        return r["storm_cpu_s"] / r["orders"] * 1000 if r["orders"] else float("nan")

    def held(r):  # viewers the set-up would hold with every process at 100% of a core, at the warm activity
        return r["viewers"] * r["workers"] / (r["warm_cpu_pct"] / 100) if r["warm_cpu_pct"] else float("nan")

    n = many["workers"]
    print()
    print(f"== One process (no Redis) vs {n} processes behind the Redis queue, same run ==")
    rows = [
        (
            "server CPU per delivered message (warm)",
            f"{per_msg(one):.1f} µs",
            f"{per_msg(many):.1f} µs",
            per_msg(many) / per_msg(one),
        ),
        (
            "server CPU per order (storm)",
            f"{per_order(one):.2f} ms",
            f"{per_order(many):.2f} ms",
            per_order(many) / per_order(one),
        ),
        (
            "server CPU, warm phase",
            f"{one['warm_cpu_pct']:.0f}%",
            f"{many['warm_cpu_pct']:.0f}%",
            many["warm_cpu_pct"] / one["warm_cpu_pct"] if one["warm_cpu_pct"] else float("nan"),
        ),
        (
            "viewers held (projected, 100% of a core each)",
            f"{held(one):.0f}",
            f"{held(many):.0f}",
            held(many) / held(one),
        ),
        ("join, all viewers", f"{one['join_s']:.1f} s", f"{many['join_s']:.1f} s", many["join_s"] / one["join_s"]),
        (
            "fan-out p50 / p99",
            f"{one['fanout_p50'] * 1000:.0f} / {one['fanout_p99'] * 1000:.0f} ms",
            f"{many['fanout_p50'] * 1000:.0f} / {many['fanout_p99'] * 1000:.0f} ms",
            many["fanout_p50"] / one["fanout_p50"] if one["fanout_p50"] else float("nan"),
        ),
        (
            "orders/s answered",
            f"{one['orders_per_s']:.0f}",
            f"{many['orders_per_s']:.0f}",
            many["orders_per_s"] / one["orders_per_s"] if one["orders_per_s"] else float("nan"),
        ),
        (
            "ack p50 / p99",
            f"{one['ack_p50'] * 1000:.0f} / {one['ack_p99'] * 1000:.0f} ms",
            f"{many['ack_p50'] * 1000:.0f} / {many['ack_p99'] * 1000:.0f} ms",
            many["ack_p99"] / one["ack_p99"] if one["ack_p99"] else float("nan"),
        ),
        ("dropped sockets", str(one["dropped"]), str(many["dropped"]), float("nan")),
        ("oversell", str(one["oversell"]), str(many["oversell"]), float("nan")),
    ]
    print(f"{'':48} {'1 process':>16} {str(n) + ' + Redis':>16} {'ratio':>7}")
    for name, a, b, ratio in rows:
        print(f"{name:48} {a:>16} {b:>16} {ratio:>7.2f}" if ratio == ratio else f"{name:48} {a:>16} {b:>16}")
    print(
        f"Redis queue's cost per message: ×{per_msg(many) / per_msg(one):.2f} server CPU per delivered message; "
        f"gain in viewers held: ×{held(many) / held(one):.2f}"
    )


def print_baseline(project: dict, node: dict) -> None:
    """Each figure of the project beside Node's in the same run, as a ratio (project ÷ Node; < 1 is better for
    times, CPU and memory, > 1 better for orders/s)."""

    def ms(v):
        return f"{v * 1000:.0f} ms"

    def cpu_s(r):
        return r["join_cpu_s"] + r["warm_cpu_s"] + r["storm_cpu_s"]

    def per_join(r):  # connect + join, ms
        return r["join_cpu_s"] / r["joined"] * 1000 if r["joined"] else float("nan")

    def per_msg(r):  # all in: hearts and chat received, every delivery, over the messages delivered, µs
        return r["warm_cpu_s"] / r["warm_msgs"] * 1e6 if r["warm_msgs"] else float("nan")

    def per_order(r):  # all in: the order, its ack and the storm's fan-out, ms
        return r["storm_cpu_s"] / r["orders"] * 1000 if r["orders"] else float("nan")

    rows = [
        ("all joined", f"{project['join_s']:.2f} s", f"{node['join_s']:.2f} s", project["join_s"], node["join_s"]),
        ("join p99", ms(project["join_p99"]), ms(node["join_p99"]), project["join_p99"], node["join_p99"]),
        ("order ack p50", ms(project["ack_p50"]), ms(node["ack_p50"]), project["ack_p50"], node["ack_p50"]),
        ("order ack p99", ms(project["ack_p99"]), ms(node["ack_p99"]), project["ack_p99"], node["ack_p99"]),
        ("fan-out p50", ms(project["fanout_p50"]), ms(node["fanout_p50"]), project["fanout_p50"], node["fanout_p50"]),
        ("fan-out p99", ms(project["fanout_p99"]), ms(node["fanout_p99"]), project["fanout_p99"], node["fanout_p99"]),
        (
            "orders answered/s",
            f"{project['orders_per_s']:.0f}",
            f"{node['orders_per_s']:.0f}",
            project["orders_per_s"],
            node["orders_per_s"],
        ),
        (
            "orders placed/s",
            f"{project['placed_per_s']:.0f}",
            f"{node['placed_per_s']:.0f}",
            project["placed_per_s"],
            node["placed_per_s"],
        ),
        (
            "server CPU, join + warm + storm",
            f"{cpu_s(project):.1f} CPU-s",
            f"{cpu_s(node):.1f} CPU-s",
            cpu_s(project),
            cpu_s(node),
        ),
        (
            "server CPU per join",
            f"{per_join(project):.2f} ms",
            f"{per_join(node):.2f} ms",
            per_join(project),
            per_join(node),
        ),
        (
            "server CPU per message, warm",
            f"{per_msg(project):.0f} µs",
            f"{per_msg(node):.0f} µs",
            per_msg(project),
            per_msg(node),
        ),
        (
            "server CPU per order, storm",
            f"{per_order(project):.2f} ms",
            f"{per_order(node):.2f} ms",
            per_order(project),
            per_order(node),
        ),
        (
            "server CPU, idle viewers",
            f"{project['idle_cpu_pct']:.0f}% core",
            f"{node['idle_cpu_pct']:.0f}% core",
            project["idle_cpu_pct"],
            node["idle_cpu_pct"],
        ),
        (
            "memory per socket",
            f"{project['kb_per_socket']:.0f} kB",
            f"{node['kb_per_socket']:.0f} kB",
            project["kb_per_socket"],
            node["kb_per_socket"],
        ),
        (
            "dropped sockets / oversell",
            f"{project['dropped']} / {project['oversell']}",
            f"{node['dropped']} / {node['oversell']}",
            float("nan"),
            float("nan"),
        ),
    ]
    print()
    print(f"== {project['viewers']} viewers: {project['label']} vs Node socket.io, same run, same load ==")
    print(f"{'':34} {'project':>16} {'Node':>16} {'ratio':>7}")
    for name, a, b, x, y in rows:
        ratio = x / y if y and y == y and x == x else float("nan")
        print(f"{name:34} {a:>16} {b:>16} {ratio:>7.2f}" if ratio == ratio else f"{name:34} {a:>16} {b:>16}")
    goal = [
        ("all joined", project["join_s"] <= 2 * node["join_s"]),
        ("ack p99", project["ack_p99"] <= 2 * node["ack_p99"]),
        ("fan-out p99", project["fanout_p99"] <= 2 * node["fanout_p99"]),
        ("≤ 100 kB/socket", project["kb_per_socket"] <= 100),
    ]
    print("goal (≤ 2× Node): " + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in goal))


if __name__ == "__main__":
    main()

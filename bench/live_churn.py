"""A hostile crowd: waves that come and go, sockets that never join, bad tokens, viewers that read nothing —
does the room stay up, memory stay bounded and the others' latency hold?

    .venv/bin/python bench/live_churn.py --steady 2000 --waves 500 --never-join 2000

For the project (gunicorn -k gevent, one process, PostgreSQL, no Redis) and then for the Node socket.io baseline
(bench/live_node.js) in the same run, the same phases:

1. **steady**: ``--steady`` viewers join and stay silent (they answer pings), ``--chatters`` of them write a
   300-character message every 2.1 s (within the chat limit), and ``--probes`` sockets re-join every 2.5 s:
   the join's ack time is the probes' latency, what every other viewer's answers wait behind;
2. **churn** (``--churn`` s): on top of it, a wave of ``--waves`` viewers every 2 s that connect, join and
   leave a second later (half close the websocket, half drop the TCP connection), ``--never-join`` sockets
   that connect to the namespace, answer pings and never join, connections with bad tokens at
   ``--bad-per-s`` a second, and ``--slow`` viewers that join and then read nothing (4 kB receive buffer);
3. **after**: the churn stopped (the never-join sockets closed, the slow viewers kept), 10 s later;
   then churn and after again (``--rounds``): memory that is bounded comes back to the same level each round.

Prints per phase the probes' join-ack p50/p99 and failures, the server's RSS (after the steady join, the
churn's peak, after) and CPU, what the churn did (joins, leaves, refusals), and the viewers count a fresh join
reports against the sockets still in the room. Every socket here is a bare websocket speaking Engine.IO /
Socket.IO frames (asyncio streams), so the generator stays light.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_idle import set_up, stop  # noqa: E402 - the benchmarks next door hold the set-up
from live_storm import (  # noqa: E402
    ROOT,
    SESSION_ID,
    NodeTarget,
    cpu_seconds,
    free_port,
    log,
    pct,
    raise_open_files,
    rss_mb,
    start_gunicorn,
)

NS = "/live"


class Refused(Exception):
    """The namespace refused the connection (``44/live,…``): a bad token."""


class Raw:
    """One bare websocket client: the handshake, masked text frames out, unmasked frames in."""

    def __init__(self, port: int, rcvbuf: int | None = None):
        self.port, self.rcvbuf = port, rcvbuf
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        sock = socket.socket()
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.port))
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=2**20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"no upgrade: {head[:80]!r}")

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        n = len(payload)
        head = bytes((0x81, 0x80 | n)) if n < 126 else struct.pack("!BBH", 0x81, 0xFE, n)
        masked = (int.from_bytes(payload, "little") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "little")).to_bytes(
            n, "little"
        )
        self.writer.write(head + mask + masked)

    async def recv(self) -> str | None:
        """The next text message (pings answered on the way); None when the server closed."""
        while True:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
            data = await self.reader.readexactly(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                return None
            if opcode != 0x1:
                continue
            text = data.decode()
            if text == "2":
                self.send("3")
                continue
            return text

    async def connect(self, token: str | None) -> None:
        """Engine.IO open, then the /live namespace with ``token``; raises Refused on a refusal."""
        await self.open()
        await self.recv()  # the open packet
        self.send(f"40{NS}," + json.dumps({"token": token} if token else {}))
        while True:
            text = await self.recv()
            if text is None or text.startswith(f"44{NS},"):
                raise Refused(text)
            if text.startswith(f"40{NS},"):
                return

    async def join(self, ack_id: int = 1) -> dict:
        self.send(f"42{NS},{ack_id}" + json.dumps(["join", {"session_id": SESSION_ID, "frames": True}]))
        prefix = f"43{NS},{ack_id}"
        while True:
            text = await self.recv()
            if text is None:
                raise ConnectionError("closed while joining")
            if text.startswith(prefix):
                return json.loads(text[len(prefix) :])[0]

    async def drain(self, stop: asyncio.Event | None = None) -> None:
        """Read and drop everything (pings answered) until closed or ``stop``."""
        while stop is None or not stop.is_set():
            if await self.recv() is None:
                return

    async def close(self, abrupt: bool = False) -> None:
        if self.writer is None:
            return
        if abrupt:
            self.writer.transport.abort()
            return
        try:
            mask = os.urandom(4)
            self.writer.write(bytes((0x88, 0x80)) + mask)
            await self.writer.drain()
        except OSError:
            pass
        self.writer.close()


async def quietly(coro) -> object:
    try:
        return await coro
    except (OSError, asyncio.IncompleteReadError, ConnectionError, Refused, RuntimeError) as exc:
        return exc


class Target:
    def __init__(self, port: int, pid: int, tokens: list[str], args):
        self.port, self.pid, self.tokens, self.args = port, pid, tokens, args
        self.stats = {
            "wave_joined": 0,
            "wave_failed": 0,
            "bad_refused": 0,
            "bad_let_in": 0,
            "never_join": 0,
            "slow": 0,
        }
        self.rss_samples: list[float] = []

    async def steady_viewer(self, token: str, ready: list, chat: bool, gate: asyncio.Semaphore) -> None:
        raw = Raw(self.port)
        async with gate:
            await raw.connect(token)
            await raw.join()
        ready.append(raw)
        reader = asyncio.create_task(quietly(raw.drain()))
        n = 10
        while chat and not reader.done():
            await asyncio.sleep(2.1)
            n += 1
            raw.send(f"42{NS},{n}" + json.dumps(["chat", {"text": "bán sầu riêng " + "x" * 280}]))
        await reader

    async def probe(self, token: str, phase: dict, sockets: list) -> None:
        """Re-join every 2.5 s and time the ack (the join's rate limit allows 30 a minute per socket)."""
        raw = Raw(self.port)
        await raw.connect(token)
        await raw.join()
        sockets.append(raw)
        n = 100
        await asyncio.sleep(2.5 * random.random())
        while True:
            await asyncio.sleep(2.5)
            n += 1
            name, t0 = phase["name"], time.monotonic()
            try:
                ack = await asyncio.wait_for(raw.join(n), 10)
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                phase["fail"][name] = phase["fail"].get(name, 0) + 1
                return
            if name:
                phase["lat"].setdefault(name, []).append(time.monotonic() - t0)
                if not ack.get("ok"):
                    phase["fail"][name] = phase["fail"].get(name, 0) + 1

    async def wave_viewer(self, token: str, abrupt: bool, gate: asyncio.Semaphore) -> None:
        raw = Raw(self.port)
        async with gate:
            result = await quietly(self._wave(raw, token))
        if isinstance(result, Exception):
            self.stats["wave_failed"] += 1
        else:
            self.stats["wave_joined"] += 1
        await asyncio.sleep(1.0)
        await quietly(raw.close(abrupt))

    @staticmethod
    async def _wave(raw: Raw, token: str) -> None:
        await raw.connect(token)
        await raw.join()

    async def never_joiner(self, token: str, stop: asyncio.Event, held: list, gate: asyncio.Semaphore) -> None:
        raw = Raw(self.port)
        async with gate:
            if isinstance(await quietly(raw.connect(token)), Exception):
                return
        held.append(raw)
        self.stats["never_join"] += 1
        await quietly(raw.drain(stop))
        await quietly(raw.close())

    async def bad_token(self) -> None:
        raw = Raw(self.port)
        result = await quietly(raw.connect("not-a-token-" + os.urandom(6).hex()))
        if isinstance(result, Refused):
            self.stats["bad_refused"] += 1
        elif result is None:
            self.stats["bad_let_in"] += 1
        await quietly(raw.close())

    async def slow_viewer(self, token: str, kept: list) -> None:
        raw = Raw(self.port, rcvbuf=4096)
        if isinstance(await quietly(raw.connect(token)), Exception):
            return
        if isinstance(await quietly(raw.join()), Exception):
            return
        kept.append(raw)  # and never read again
        self.stats["slow"] += 1

    async def sample_rss(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rss_samples.append(rss_mb(self.pid))
            await asyncio.sleep(0.5)

    async def run(self) -> dict:
        a = self.args
        tokens = iter(self.tokens)
        gate = asyncio.Semaphore(200)  # connections being opened at once
        steady: list[Raw] = []
        await asyncio.sleep(1.0)
        rss0 = rss_mb(self.pid)
        steady_tasks = [
            asyncio.create_task(self.steady_viewer(next(tokens), steady, i < a.chatters, gate)) for i in range(a.steady)
        ]
        while len(steady) < a.steady:
            failed = [t for t in steady_tasks if t.done() and t.exception() is not None]
            if failed:
                raise SystemExit(f"a steady viewer failed: {failed[0].exception()!r}")
            await asyncio.sleep(0.1)
        phase: dict = {"name": None, "lat": {}, "fail": {}}
        probe_sockets: list[Raw] = []
        probes = [asyncio.create_task(self.probe(next(tokens), phase, probe_sockets)) for _ in range(a.probes)]
        await asyncio.sleep(3.0)
        rss_steady = rss_mb(self.pid)

        log("  steady …")
        phase["name"] = "steady"
        cpu0 = cpu_seconds(self.pid)
        await asyncio.sleep(a.phase)
        cpu_steady = (cpu_seconds(self.pid) - cpu0) / a.phase

        cpu = {"steady": cpu_steady}
        rss_after: list[float] = []
        kept: list[Raw] = []
        wave_tokens = [next(tokens) for _ in range(a.waves)]
        side_tokens = [next(tokens) for _ in range(a.never_join)]
        slow_tokens = [next(tokens) for _ in range(a.slow)]
        waves = 0
        for n in range(1, a.rounds + 1):
            churn, after = ("churn", "after") if n == 1 else (f"churn {n}", f"after {n}")
            log(f"  {churn} …")
            phase["name"] = churn
            stop_churn = asyncio.Event()
            sampler = asyncio.create_task(self.sample_rss(stop_churn))
            held: list[Raw] = []
            side = [asyncio.create_task(self.never_joiner(t, stop_churn, held, gate)) for t in side_tokens]
            if n == 1:  # the viewers that read nothing stay from the first round on
                side += [asyncio.create_task(self.slow_viewer(t, kept)) for t in slow_tokens]
            cpu0, t0 = cpu_seconds(self.pid), time.monotonic()
            bad_every = 1 / a.bad_per_s if a.bad_per_s else None
            while time.monotonic() - t0 < a.churn:
                waves += 1
                cycle = time.monotonic()
                side += [asyncio.create_task(self.wave_viewer(t, i % 2 == 1, gate)) for i, t in enumerate(wave_tokens)]
                while time.monotonic() - cycle < 2.0:
                    if bad_every:
                        side.append(asyncio.create_task(self.bad_token()))
                    await asyncio.sleep(bad_every or 2.0)
            stop_churn.set()
            for raw in held:
                await quietly(raw.close(abrupt=True))
            await asyncio.gather(*side, return_exceptions=True)
            cpu[churn] = (cpu_seconds(self.pid) - cpu0) / (time.monotonic() - t0)  # until the last wave was in
            sampler.cancel()

            log(f"  {after} …")
            phase["name"] = None
            await asyncio.sleep(10.0)
            phase["name"] = after
            cpu0 = cpu_seconds(self.pid)
            await asyncio.sleep(a.phase)
            cpu[after] = (cpu_seconds(self.pid) - cpu0) / a.phase
            rss_after.append(rss_mb(self.pid))
        counter = Raw(self.port)
        await counter.connect(next(tokens))
        snap = (await counter.join()).get("snapshot", {})
        alive = sum(1 for p in probes if not p.done())
        for task in [*probes, *steady_tasks]:
            task.cancel()
        for raw in [counter, *kept, *steady, *probe_sockets]:
            await quietly(raw.close(abrupt=True))
        await asyncio.gather(*probes, *steady_tasks, return_exceptions=True)
        return {
            **self.stats,
            "waves": waves,
            "lat": phase["lat"],
            "fail": phase["fail"],
            "rss0": rss0,
            "rss_steady": rss_steady,
            "rss_peak": max(self.rss_samples or [rss_steady]),
            "rss_after": rss_after,
            "cpu": cpu,
            "viewers_reported": snap.get("viewers"),
            "viewers_expected": a.steady + alive + 1,  # the slow viewers too, while the server keeps them
            "slow_kept": len(kept),
        }


def report(label: str, r: dict, args) -> None:
    print(f"\n== {label} ==")
    for name in r["cpu"]:
        lat = r["lat"].get(name, [])
        print(
            f"probe join ack, {name:6}: p50 {pct(lat, 50) * 1000:6.0f} ms, p99 {pct(lat, 99) * 1000:6.0f} ms "
            f"({len(lat)} acks, {r['fail'].get(name, 0)} failed); server CPU {100 * r['cpu'][name]:.0f}% of a core"
        )
    print(
        f"churn          : {r['waves']} waves of {args.waves}: {r['wave_joined']} joined and left "
        f"({r['wave_failed']} failed); {r['never_join']} never joined; bad tokens {r['bad_refused']} refused, "
        f"{r['bad_let_in']} let in; {r['slow']} joined and read nothing"
    )
    print(
        f"server RSS     : {r['rss0']:.0f} MB empty, {r['rss_steady']:.0f} MB steady, "
        f"{r['rss_peak']:.0f} MB churns' peak, after each round: "
        + ", ".join(f"{mb:.0f} MB ({mb - r['rss_steady']:+.0f})" for mb in r["rss_after"])
    )
    print(
        f"viewers        : a fresh join reports {r['viewers_reported']}; in the room: {r['viewers_expected']} steady, "
        f"probes and the counter, plus up to {r['slow_kept']} viewers that read nothing (while the server keeps them)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steady", type=int, default=2000, help="viewers joined throughout")
    ap.add_argument("--chatters", type=int, default=20, help="steady viewers writing every 2.1 s")
    ap.add_argument("--probes", type=int, default=10, help="sockets re-joining every 2.5 s (the latency)")
    ap.add_argument("--waves", type=int, default=500, help="viewers per wave (one wave every 2 s)")
    ap.add_argument("--never-join", type=int, default=2000, help="sockets that connect and never join")
    ap.add_argument("--bad-per-s", type=int, default=20, help="connections with a bad token per second")
    ap.add_argument("--slow", type=int, default=20, help="viewers that join and then read nothing")
    ap.add_argument("--phase", type=float, default=15.0, help="seconds of the steady and after phases")
    ap.add_argument("--churn", type=float, default=30.0, help="seconds of churn")
    ap.add_argument("--rounds", type=int, default=2, help="churn and after, this many times (is memory bounded?)")
    ap.add_argument("--skip-node", action="store_true", help="the project only")
    ap.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/chophien_bench"),
    )
    args = ap.parse_args()
    need = args.steady + args.probes + args.waves + args.never_join + args.slow + 10
    raise_open_files(need * 3 + 1000)
    work, env, tokens_file, tokens = set_up(args.database_url, need, "live-churn-")
    load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    log(f"load average {load}; {args.steady} steady, {args.waves} a wave, {args.never_join} never joining")

    port = free_port()
    server = start_gunicorn(env, port, 1, work / "server.log", None)
    try:
        log("project …")
        project = asyncio.run(Target(port, server.pid, tokens, args).run())
    finally:
        stop(server)
    report("project: gunicorn -k gevent -w 1, PostgreSQL, no Redis", project, args)
    if args.skip_node:
        return

    port = free_port()
    node = subprocess.Popen(  # noqa: SIM115
        ["node", str(ROOT / "bench" / "live_node.js"), "--port", str(port), "--tokens", str(tokens_file)]
        + ["--host-token", NodeTarget.HOST_TOKEN],
        cwd=ROOT,
        stdout=open(work / "node.log", "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(1.5)
        log("Node …")
        baseline = asyncio.run(Target(port, node.pid, tokens, args).run())
    finally:
        stop(node)
    report("baseline: Node socket.io 4 (bench/live_node.js), one process", baseline, args)
    print("\nratios (project ÷ Node), probe join ack p99:")
    for name in project["cpu"]:
        p, n = pct(project["lat"].get(name, []), 99), pct(baseline["lat"].get(name, []), 99)
        print(f"  {name:6}: {p * 1000:.0f} ÷ {n * 1000:.0f} ms = {p / n:.2f}")


if __name__ == "__main__":
    main()

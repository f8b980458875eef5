"""Idle crowd: N viewers connect, join and then only answer Engine.IO's pings — what holding them costs.

    .venv/bin/python bench/live_idle.py --viewers 5000

Prints, for the project (gunicorn -k gevent, one process, PostgreSQL, no Redis) and for the Node socket.io
baseline (bench/live_node.js) in the same run, with the ratio: time for all to join, join p50/p99, server
memory per socket (RSS after the join minus before, per viewer) and server CPU while every viewer sits
joined and silent. The viewers are bare websockets speaking Engine.IO/Socket.IO frames from one asyncio
process (aiohttp), far lighter than python-socketio clients: a 5 000-viewer crowd fits beside the servers
on a small machine, which ``live_storm.py``'s full clients do not. Same set-up and flags as live_storm.py.
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_storm import (  # noqa: E402 - the benchmark next door holds the set-up
    ROOT,
    SESSION_ID,
    NodeTarget,
    cpu_seconds,
    flask,
    free_port,
    log,
    pct,
    raise_open_files,
    recreate_database,
    rss_mb,
    start_gunicorn,
)


async def viewer(http, url: str, token: str, joined: list, stop: asyncio.Event, gate: asyncio.Semaphore):
    async with gate:
        t0 = time.monotonic()
        ws = await http.ws_connect(
            url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            max_msg_size=0,
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
        )
        await ws.receive()  # the open packet
        await ws.send_str("40/live," + json.dumps({"token": token}))
        while not (await ws.receive()).data.startswith("40/live,"):
            pass
        await ws.send_str('42/live,1["join",{"session_id":%d}]' % SESSION_ID)
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"closed while joining: {msg}")
            if msg.data == "2":
                await ws.send_str("3")
            elif msg.data.startswith("43/live,1"):
                break
        joined.append(time.monotonic() - t0)
    while not stop.is_set():  # silent: only the pings are answered
        msg = await ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            return
        if msg.data == "2":
            await ws.send_str("3")
    await ws.close()


async def crowd(url: str, tokens: list[str], pid: int, idle: float, concurrency: int) -> dict:
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    joined: list[float] = []
    stop = asyncio.Event()
    gate = asyncio.Semaphore(concurrency)
    await asyncio.sleep(1.0)
    rss0, cpu0, t0 = rss_mb(pid), cpu_seconds(pid), time.monotonic()
    tasks = [asyncio.create_task(viewer(http, url, t, joined, stop, gate)) for t in tokens]
    while len(joined) < len(tokens):
        done = [t for t in tasks if t.done() and t.exception() is not None]
        if done:
            raise SystemExit(f"a viewer failed: {done[0].exception()!r}")
        await asyncio.sleep(0.1)
    all_joined, join_cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    await asyncio.sleep(2.0)
    rss1 = rss_mb(pid)
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(idle)
    idle_pct = 100 * (cpu_seconds(pid) - cpu1) / (time.monotonic() - t1)
    stop.set()
    for t in tasks:
        t.cancel()
    await http.close()
    return {
        "all_joined": all_joined,
        "join_p50": pct(joined, 50),
        "join_p99": pct(joined, 99),
        "join_cpu_ms": 1000 * join_cpu / len(tokens),
        "kb_per_socket": (rss1 - rss0) * 1024 / len(tokens),
        "idle_pct": idle_pct,
        "rss_mb": rss1,
    }


def set_up(database_url: str, buyers: int, prefix: str) -> tuple[Path, dict, Path, list[str]]:
    """A fresh database with the demo and ``buyers`` bench accounts: (work folder, the server's environment, the
    tokens' file, the tokens). One process, no Redis."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "MARKET_INSTANCE_PATH": str(work / "instance"),
        "MEDIA_DIR": str(work / "media"),
        "FLASK_APP": str(ROOT / "wsgi.py"),
        "LOG_LEVEL": "WARNING",
        "RATELIMIT_ENABLED": "true",
    }
    env.pop("REDIS_URL", None)
    recreate_database(database_url)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    tokens_file = work / "tokens.txt"
    flask(env, "bench-buyers", str(buyers), "--tokens-file", str(tokens_file))
    return work, env, tokens_file, tokens_file.read_text().split()


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", type=int, default=5000)
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of silence measured")
    ap.add_argument("--concurrency", type=int, default=200, help="viewers connecting at once")
    ap.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/chophien_bench"),
    )
    args = ap.parse_args()
    raise_open_files(args.viewers * 3 + 1000)
    work, env, tokens_file, tokens = set_up(args.database_url, args.viewers, "live-idle-")
    results = {}

    port = free_port()
    server = start_gunicorn(env, port, 1, work / "server.log", None)
    try:
        log(f"project: {len(tokens)} viewers joining, then {args.idle:.0f} s silent …")
        results["project"] = asyncio.run(
            crowd(f"http://127.0.0.1:{port}", tokens, server.pid, args.idle, args.concurrency)
        )
    finally:
        stop(server)

    port = free_port()
    node = subprocess.Popen(
        [
            "node",
            str(ROOT / "bench" / "live_node.js"),
            "--port",
            str(port),
            "--tokens",
            str(tokens_file),
            "--host-token",
            NodeTarget.HOST_TOKEN,
        ],
        cwd=ROOT,
        stdout=open(work / "node.log", "w"),
        stderr=subprocess.STDOUT,
    )  # noqa: SIM115
    try:
        time.sleep(1.5)
        log(f"Node: {len(tokens)} viewers joining, then {args.idle:.0f} s silent …")
        results["node"] = asyncio.run(crowd(f"http://127.0.0.1:{port}", tokens, node.pid, args.idle, args.concurrency))
    finally:
        stop(node)

    p, n = results["project"], results["node"]
    load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"\n== {len(tokens)} idle viewers (join, then silence), one process each; load average now {load} ==")
    print(f"{'':32} {'project':>12} {'Node':>12} {'ratio':>7}")
    rows = [
        ("all joined", f"{p['all_joined']:.1f} s", f"{n['all_joined']:.1f} s", p["all_joined"] / n["all_joined"]),
        ("join p50", f"{p['join_p50'] * 1000:.0f} ms", f"{n['join_p50'] * 1000:.0f} ms", p["join_p50"] / n["join_p50"]),
        ("join p99", f"{p['join_p99'] * 1000:.0f} ms", f"{n['join_p99'] * 1000:.0f} ms", p["join_p99"] / n["join_p99"]),
        (
            "server CPU per join",
            f"{p['join_cpu_ms']:.2f} ms",
            f"{n['join_cpu_ms']:.2f} ms",
            p["join_cpu_ms"] / n["join_cpu_ms"],
        ),
        (
            "memory per socket",
            f"{p['kb_per_socket']:.0f} kB",
            f"{n['kb_per_socket']:.0f} kB",
            p["kb_per_socket"] / n["kb_per_socket"],
        ),
        (
            "server CPU, all silent",
            f"{p['idle_pct']:.1f}% core",
            f"{n['idle_pct']:.1f}% core",
            p["idle_pct"] / n["idle_pct"] if n["idle_pct"] else float("nan"),
        ),
        ("server RSS", f"{p['rss_mb']:.0f} MB", f"{n['rss_mb']:.0f} MB", p["rss_mb"] / n["rss_mb"]),
    ]
    for name, a, b, ratio in rows:
        print(f"{name:32} {a:>12} {b:>12} {ratio:>7.2f}")
    print(
        f"goals: memory ≤ 100 kB per idle viewer: {'yes' if p['kb_per_socket'] <= 100 else 'NO'}; "
        f"{len(tokens)} idle viewers ≤ 0.3 core: {'yes' if p['idle_pct'] <= 30 else 'NO'}; "
        f"all joined ≤ 2× Node: {'yes' if p['all_joined'] <= 2 * n['all_joined'] else 'NO'}"
    )


if __name__ == "__main__":
    main()

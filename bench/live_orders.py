"""The live order path in one process, piece by piece: what one order costs the server in CPU, without the
network or a load generator in the way. Not a test; a profiling aid beside bench/live_storm.py.

    .venv/bin/python bench/live_orders.py [--orders 500] [--rounds 5] [--pg URL] [--redis URL] [--profile]

On a fresh PostgreSQL database (migrated, demo seeded, ``--orders`` buyers) it times, per order:
- ``packet``: decoding the Socket.IO ``order`` packet and encoding its ack (what python-socketio does);
- ``rate``: the per-user order rate limit against Redis, one ``ratelimit.hit`` per order; ``rate-batch``: the
  same counters for the whole batch in one pipeline (``ratelimit.hit_many``, what merging does);
- ``settle``: a whole merged batch of ``--orders`` orders settled and committed (``ordering.settle``);
- ``handler``: the raw ``order`` handler end to end (rate limit, merging, ack), ``--orders`` at once, as
  greenlets under gevent, the way a storm arrives at a worker.
``--profile`` writes a pyinstrument HTML profile of each piece next to this file's output directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(env: dict, orders: int) -> None:
    import psycopg

    url = env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    for args in (
        ["db", "upgrade"],
        ["seed-demo"],
        ["bench-buyers", str(orders), "--tokens-file", str(Path(env["MEDIA_DIR"]).parent / "tokens.txt")],
    ):
        subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/chophien_bench_orders")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="live-orders-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.pg,
        "REDIS_URL": args.redis,
        "FLASK_APP": str(ROOT / "wsgi.py"),
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "MARKET_INSTANCE_PATH": str(work / "instance"),
        "MEDIA_DIR": str(work / "media"),
        "LOG_LEVEL": "WARNING",
        "LIVE_REDIS_PREFIX": f"bench-orders-{os.getpid()}",
        "SOCKETIO_CHANNEL": f"bench-orders-{os.getpid()}",
    }
    prepare(env, args.orders)
    os.environ.update(env)

    from gevent import monkey

    monkey.patch_all()
    import gevent
    import sqlalchemy as sa

    from market import create_app, ratelimit
    from market.accounts.models import User
    from market.extensions import db, socketio
    from market.live import events, ordering
    from market.live.models import LiveSession
    from market.live.offers import pin_offer

    app = create_app({"LIVE_BACKGROUND_TASKS": False})
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")

    with app.app_context():
        live = db.session.get(LiveSession, 1)
        host = live.seller.user
        from market.catalog.models import Product

        product = db.session.scalars(sa.select(Product).where(Product.title == "Sầu riêng Monthong")).one()
        product.stock += args.orders * (args.rounds + 2) * 2
        db.session.flush()
        offer = pin_offer(live, host, product.id, 99_000, args.orders * (args.rounds + 2) * 2, 1000)
        db.session.commit()
        offer_id = offer.id
        buyers = [
            (u.id, u.auth_version)
            for u in db.session.execute(
                sa.select(User.id, User.auth_version).where(User.phone.like("+8499%")).order_by(User.id)
            ).all()
        ]
        db.session.remove()

    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float, n: int) -> None:
        results.setdefault(name, []).append(seconds / n * 1e6)

    def profiled(name, fn):
        if profiler is None or name in profiled.done:
            return fn()
        profiled.done.add(name)
        profiler.start()
        try:
            return fn()
        finally:
            profiler.stop()
            path = work / f"profile-{name}.html"
            path.write_text(profiler.output_html())
            (work / f"profile-{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
            print(f"  profile of {name}: {path}")
            profiler.reset()

    profiled.done = set()

    # packet: decode an order event, encode its ack (python-socketio's own packet class and JSON module)
    from socketio import packet as sio_packet

    from market.orders.bulk import order_brief

    raw = '2/live,17["order",{"offer_id":12,"qty":1,"key":"storm-000123-89abcdef"}]'
    ack = {"ok": True, "order": order_brief(123456, "CPABCDEFGH", "pending", 1, 99000), "remaining": 312}
    for _r in range(args.rounds):
        t0 = time.perf_counter()

        def packets():
            for _i in range(args.orders):
                pkt = sio_packet.Packet(encoded_packet=raw)
                sio_packet.Packet(sio_packet.ACK, namespace="/live", data=[ack], id=pkt.id).encode()

        profiled("packet", packets)
        record("packet", time.perf_counter() - t0, args.orders)

    # rate: one order per user against the shared storage
    with app.app_context():
        for _r in range(args.rounds):
            ratelimit.reset()
            t0 = time.perf_counter()

            def rates():
                for uid, _v in buyers[: args.orders]:
                    ratelimit.hit(ordering.RATE_ORDER, "live-order", str(uid))

            profiled("rate", rates)
            record("rate", time.perf_counter() - t0, args.orders)
            ratelimit.reset()
            t0 = time.perf_counter()
            profiled(
                "rate-batch",
                lambda: ratelimit.hit_many(
                    ordering.RATE_ORDER, [("live-order", str(uid)) for uid, _v in buyers[: args.orders]]
                ),
            )
            record("rate-batch", time.perf_counter() - t0, args.orders)

    # settle: one merged batch
    for r in range(args.rounds):
        reqs = [
            ordering.OrderRequest(
                user_id=uid, auth_version=v, session_id=1, offer_id=offer_id, qty=1, key=f"b-{r}-{uid}-{os.getpid()}"
            )
            for uid, v in buyers[: args.orders]
        ]
        t0 = time.perf_counter()
        outcomes = profiled("settle", lambda reqs=reqs: ordering.settle(app, reqs))
        record("settle", time.perf_counter() - t0, args.orders)
        bad = [o.code for o in outcomes if not o.ok]
        if bad:
            raise SystemExit(f"settle refused orders: {bad[:5]}")

    # handler: the raw handler, every order at once, as greenlets
    for r in range(args.rounds):
        with app.app_context():
            ratelimit.reset()
        conns = events.connection_data.__globals__["_connections"]
        for uid, v in buyers[: args.orders]:
            conns[f"sid-{uid}"] = {"user_id": uid, "auth_version": v, "session_id": 1, "locale": "vi"}
        t0 = time.perf_counter()

        def handlers(r=r):
            jobs = [
                gevent.spawn(
                    events.on_order,
                    app,
                    f"sid-{uid}",
                    {"offer_id": offer_id, "qty": 1, "key": f"h-{r}-{uid}-{os.getpid()}"},
                )
                for uid, _v in buyers[: args.orders]
            ]
            gevent.joinall(jobs)
            return [j.value for j in jobs]

        acks = profiled("handler", handlers)
        record("handler", time.perf_counter() - t0, args.orders)
        bad = [a for a in acks if not a.get("ok")]
        if bad:
            raise SystemExit(f"handler refused orders: {bad[:3]}")
    del socketio

    load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{args.orders} orders per round, {args.rounds} rounds; load average {load}")
    for name, values in results.items():
        print(
            f"{name:<8} µs/order: median {statistics.median(values):7.0f}  min {min(values):7.0f}  "
            f"(all: {', '.join(f'{v:.0f}' for v in values)})"
        )


if __name__ == "__main__":
    main()

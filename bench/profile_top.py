"""Read py-spy's collapsed stacks (``live_storm.py --profile DIR``): the share of samples per frame, inclusive
(a frame anywhere in the stack) and by area (the first project or library frame that decides where time goes).

    .venv/bin/python bench/profile_top.py DIR/project-w1-storm-*.txt [--top 40] [--match order]
"""

import argparse
import re
from collections import Counter
from pathlib import Path

AREAS = [  # first match from the leaf up names the area
    ("psycopg", "database (psycopg)"),
    ("sqlalchemy", "database (SQLAlchemy)"),
    ("redis", "redis client"),
    ("wsproto", "transport: wsproto"),
    ("simple_websocket", "transport: simple-websocket"),
    ("geventwebsocket", "transport: gevent-websocket"),
    ("market/live/websocket", "transport: websocket (market/live/websocket.py)"),
    ("market/live/wire", "transport: direct writes (market/live/wire.py)"),
    ("engineio", "transport: engine.io"),
    ("socketio", "socket.io (packets, rooms)"),
    ("json", "json"),
    ("market/", "project code"),
    ("flask", "flask"),
    ("gevent", "gevent (hub, switches, sockets)"),
    ("gunicorn", "gunicorn"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--match", default=None, help="only stacks with a frame matching this regular expression")
    args = ap.parse_args()
    inclusive, leaf_area, total = Counter(), Counter(), 0
    for f in args.files:
        for line in Path(f).read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            if args.match and not re.search(args.match, stack):
                continue
            n = int(n)
            total += n
            frames = stack.split(";")
            for fr in set(frames):
                inclusive[fr] += n
            area = "other"
            for fr in reversed(frames):
                hit = next((name for key, name in AREAS if key in fr), None)
                if hit:
                    area = hit
                    break
            if "idle" in frames[-1] or "wait (gevent" in frames[-1] or "_wait" in frames[-1]:
                pass
            leaf_area[area] += n
    print(f"{total} samples")
    print("by area (the innermost known frame):")
    for area, n in leaf_area.most_common():
        print(f"  {100 * n / total:5.1f}%  {area}")
    print("inclusive (a frame anywhere in the stack):")
    for fr, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {fr[:150]}")


if __name__ == "__main__":
    main()

"""How long the replay job takes (docs/performance.md, "Live video"): janus-pp-rec + ffmpeg on the .mjr files
of an N-minute publish, against the baseline of copying the same bytes.

    .venv/bin/python bench/video_replay.py [--minutes 1] [--speed 1]

The .mjr files are made as in the tests (ffmpeg → RTP → pcap → Janus's pcap2mjr; tests/video/media.py), from a
640×360 VP8 test picture at 30 fps and 800 kb/s and an Opus tone, sent at ``--speed`` × real time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--speed", type=float, default=1.0, help="× real time (1: live-paced, as a host publishes)")
    args = parser.parse_args()

    from market import create_app
    from market.video import recording
    from tests.video.media import make_recording

    work = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-0123456789",
            "SOCKETIO_ASYNC_MODE": "threading",
            "REDIS_URL": None,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "VIDEO_DIR": str(work),
        }
    )
    try:
        files = make_recording(
            work / "rec", seconds=args.minutes * 60, speed=args.speed, size="640x360", rate=30, video_kbps=800
        )
        size = sum(f.stat().st_size for f in files)
        t0 = time.perf_counter()
        for f in files:
            shutil.copy(f, work / (f.name + ".copy"))
        copy_s = time.perf_counter() - t0
        with app.app_context():
            t0 = time.perf_counter()
            made = recording.build_replay(work / "rec", work / "replay")
            job_s = time.perf_counter() - t0
        print(f"recording: {args.minutes:g} min, {size / 1e6:.1f} MB of .mjr")
        print(f"baseline (copy the bytes): {copy_s:.2f} s")
        print(
            f"replay job (janus-pp-rec ×2, mux, probe): {job_s:.2f} s → {made.path.stat().st_size / 1e6:.1f} MB, "
            f"{made.duration_ms / 1000:.1f} s long; {job_s / (args.minutes * 60) * 3600:.0f} s per hour of live"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark (not a test): how long a failed password login takes, with the production Argon2 profile, for the
three kinds of failure — an unknown number, a normal account, an account without a password (staff or a phone
order opened it) — beside the baseline of the same run: one bare Argon2 verification.

Before issue 14 the account without a password answered at once (its ``!…`` hash failed to parse), which told
anyone timing the login which numbers staff had registered. ``tests/accounts/test_login_timing.py`` holds the
promise (medians within 20 %); this prints the real figures.

    .venv/bin/python bench/login_timing.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from market import create_app
    from market.accounts.models import User
    from market.accounts.passwords import _current, hash_password
    from market.accounts.service import authenticate
    from market.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-secret-key-0123456789",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "MEDIA_DIR": tmp,
                "PASSWORD_HASH_COST": "normal",
                "REDIS_URL": None,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            db.create_all()
            db.session.add_all(
                [
                    User(phone="+84912000101", display_name="A", password_hash=hash_password("dung-mat-khau")),
                    User(phone="+84912000102", display_name="B", password_hash="!assisted:0123456789abcdef"),
                ]
            )
            db.session.commit()
            stored = hash_password("another")
            cases = {
                "unknown number": "0912000109",
                "normal account": "0912000101",
                "no password (staff-made)": "0912000102",
            }
            for phone in cases.values():
                authenticate(phone, "warm-up")
            times: dict[str, list[float]] = {kind: [] for kind in ("baseline: one Argon2 verify", *cases)}
            for _ in range(args.runs):
                start = time.perf_counter()
                try:
                    _current().verify(stored, "sai-mat-khau")
                except Exception:  # noqa: BLE001, S110 - a mismatch is what is timed
                    pass
                times["baseline: one Argon2 verify"].append(time.perf_counter() - start)
                for kind, phone in cases.items():
                    start = time.perf_counter()
                    authenticate(phone, "sai-mat-khau")
                    times[kind].append(time.perf_counter() - start)
    for kind, values in times.items():
        print(
            f"{kind:28s} median {statistics.median(values) * 1000:7.1f} ms   "
            f"min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
        )


if __name__ == "__main__":
    main()

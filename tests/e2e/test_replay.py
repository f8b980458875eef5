"""The replay of a session made here, in a real browser at 360×740: the player and a chapter per pinned offer
under it, each with its product's link; tapping a chapter's time seeks the player there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, shot, wait_until

# Run with the server's environment (its database and VIDEO_DIR): an ended session of the demo's honey KOL with
# two pins and a 20 s replay already made (the recording job itself is tested in tests/video). The session was
# never on air here, so no other journey's live session of hers is in the way.
MAKE = r"""
import json, subprocess, sys
from datetime import timedelta
from pathlib import Path
import sqlalchemy as sa
from market import create_app
from market.accounts.models import User
from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db
from market.live.models import LiveOffer, LiveSession
from market.video.models import Recording

app = create_app()
with app.app_context():
    host = db.session.scalar(sa.select(User).where(User.phone == "+84905000002"))
    honey = db.session.scalar(sa.select(Product).where(Product.seller_id == host.seller_profile.id))
    start = utcnow() - timedelta(hours=1)
    session = LiveSession(seller_id=host.seller_profile.id, commune_id=host.seller_profile.commune_id,
                          title="Mật ong hồ Lắk — xem lại", description="", status="ended",
                          stream_url="https://www.tiktok.com/@chophien.namka/live", scheduled_at=start,
                          started_at=start, ended_at=start + timedelta(minutes=1))
    db.session.add(session)
    db.session.flush()
    for n, seconds in enumerate((3, 12), start=1):
        db.session.add(LiveOffer(session_id=session.id, product_id=honey.id, price_vnd=150_000, quantity=1,
                                 per_buyer_limit=1, sold=0, status="closed", number=n,
                                 created_at=start + timedelta(seconds=seconds)))
    name = f"replay/{session.id}/replay-0a1b2c3d.webm"
    target = Path(app.config["VIDEO_DIR"]) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=320x240:rate=10", "-t", "20", "-c:v", "libvpx", "-deadline", "realtime",
                    "-cpu-used", "8", "-b:v", "200k", str(target)], check=True, timeout=120)
    db.session.add(Recording(session_id=session.id, status="ready", attempts=1, file=name,
                             bytes=target.stat().st_size, duration_ms=20_000,
                             parts=[[int(start.timestamp() * 1000), 20_000]]))
    db.session.commit()
    print(json.dumps({"id": session.id, "honey": honey.title}))
"""


def _make_ended_session(server) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MAKE],
        cwd=Path(__file__).resolve().parents[2],
        env=server.db.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_replay_chapters_seek_the_player_at_360px(server, phone_page):
    made = _make_ended_session(server)
    phone_page.goto(f"/live/{made['id']}")

    player = phone_page.locator("video[data-replay-player]")
    expect(player).to_be_visible()
    chapters = phone_page.locator("[data-chapters] .chapter")
    expect(chapters).to_have_count(1)  # the honey pinned twice in a row: one chapter, at the first pin
    expect(chapters.first.locator(".chapter-title")).to_have_text(made["honey"])
    link = chapters.first.locator("a.chapter-title")
    expect(link).to_be_visible()
    button = chapters.first.locator("button[data-seek]")
    expect(button).to_have_text("0:03")
    assert_fits_phone(phone_page)
    shot(phone_page, "live-replay-chapters-360")

    wait_until(phone_page, "() => document.querySelector('video[data-replay-player]').readyState >= 1")
    button.click()
    wait_until(phone_page, "() => Math.abs(document.querySelector('video[data-replay-player]').currentTime - 3) < 1")
    link.click()
    expect(phone_page).to_have_url(re.compile(r"/p/\d+"))

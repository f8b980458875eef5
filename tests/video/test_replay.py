"""Recording → replay → chapters: real janus-pp-rec and ffmpeg on .mjr files made by Janus's own pcap2mjr."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.live.models import LiveOffer
from market.video import chapters, recording
from market.video.models import Recording, RecordingStatus

needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("ffmpeg", "ffprobe", "janus-pp-rec", "pcap2mjr")),
    reason="ffmpeg and janus-tools (Debian packages) are needed",
)


@pytest.fixture(scope="module")
def mjr_pair(tmp_path_factory):
    """One publish as the VideoRoom records it (2 s of VP8 and Opus), made once for the module."""
    from tests.video.media import make_recording

    if not all(shutil.which(t) for t in ("ffmpeg", "pcap2mjr")):
        pytest.skip("ffmpeg and janus-tools are needed")
    folder = tmp_path_factory.mktemp("mjr")
    return make_recording(folder, seconds=2.0)


def _pin_at(offer, at: datetime) -> None:
    db.session.execute(sa.update(LiveOffer).where(LiveOffer.id == offer.id).values(created_at=at))
    db.session.expire_all()


# ---- chapters (unit) -----------------------------------------------------------------------------------


def test_clock_reads_like_a_player():
    assert chapters.clock(0) == "0:00"
    assert chapters.clock(760) == "12:40"
    assert chapters.clock(3725) == "1:02:05"


def test_position_maps_wall_clock_into_a_file_joined_from_publishes():
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    ms = int(t0.timestamp() * 1000)
    parts = [[ms, 60_000], [ms + 120_000, 30_000]]  # a 60 s publish, a minute lost, then 30 s more
    assert chapters.position_ms(parts, t0 + timedelta(seconds=10)) == 10_000
    assert chapters.position_ms(parts, t0 + timedelta(seconds=90)) == 60_000  # in the gap: the next publish
    assert chapters.position_ms(parts, t0 + timedelta(seconds=125)) == 65_000
    assert chapters.position_ms(parts, t0 + timedelta(seconds=200)) is None  # after the recording


def test_chapters_come_from_pins_in_time_order(make_session, make_offer, make_product):
    session = make_session()
    host = session.seller.user
    durian = make_product(seller=host, title="Sầu riêng Ri6", stock=200)
    coffee = make_product(seller=host, title="Cà phê Robusta", stock=200)
    start = session.started_at
    first = make_offer(session=session, product=durian)
    second = make_offer(session=session, product=coffee)
    _pin_at(first, start + timedelta(minutes=12, seconds=40))
    _pin_at(second, start + timedelta(minutes=3, seconds=5))

    listed = chapters.for_session(session)

    assert [(c.product.title, c.time, c.seek) for c in listed] == [
        ("Cà phê Robusta", "3:05", None),
        ("Sầu riêng Ri6", "12:40", None),
    ]
    assert all(c.public for c in listed)


def test_a_product_pinned_again_right_after_is_one_chapter(make_session, make_offer, make_product):
    from market.live import offers

    session = make_session()
    host = session.seller.user
    durian = make_product(seller=host, title="Sầu riêng Ri6", stock=200)
    first = make_offer(session=session, product=durian)
    offers.close_offer(session, host, first.id)
    again = make_offer(session=session, product=durian, price_vnd=69_000)
    _pin_at(first, session.started_at + timedelta(minutes=1))
    _pin_at(again, session.started_at + timedelta(minutes=2))

    assert [c.time for c in chapters.for_session(session)] == ["1:00"]


def test_no_chapters_before_the_session_started(make_session):
    assert chapters.for_session(make_session(status="scheduled")) == []


# ---- the replay job (real tools) -------------------------------------------------------------------------


@needs_tools
def test_ending_a_session_makes_its_replay_from_the_recording(app, client, make_session, make_offer, mjr_pair):
    from market.live import sessions

    session = make_session()
    folder = recording.rec_dir(session.id)
    folder.mkdir(parents=True, exist_ok=True)
    for path in mjr_pair:
        shutil.copy(path, folder / path.name)
    offer = make_offer(session=session)
    header_start = datetime.fromtimestamp(int(recording._header(folder / mjr_pair[0].name)["u"]) / 1e6, UTC)
    _pin_at(offer, header_start + timedelta(seconds=1))

    sessions.end_session(session, session.seller.user)
    db.session.commit()  # live_ended → the job (inline in tests)

    made = db.session.scalar(sa.select(Recording).where(Recording.session_id == session.id))
    assert made.status == RecordingStatus.READY, made.error
    assert 1800 <= made.duration_ms <= 2600
    assert len(made.parts) == 1
    path = recording.replay_path(made)
    assert path is not None and path.stat().st_size == made.bytes
    assert not folder.exists()  # the raw recording went once the replay was made

    page = client.get(f"/live/{session.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'src="/live/{session.id}/replay/{path.name}"' in html
    assert 'data-seek="1"' in html  # the pin one second into the recording
    assert "js/replay.js" in html

    whole = client.get(f"/live/{session.id}/replay/{path.name}")
    assert whole.status_code == 200 and whole.mimetype == "video/webm"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert "immutable" in whole.headers["Cache-Control"]
    whole.close()
    part = client.get(f"/live/{session.id}/replay/{path.name}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert part.data[:4] == b"\x1a\x45\xdf\xa3"  # an EBML (WebM) header
    part.close()
    assert client.get(f"/live/{session.id}/replay/replay-00000000.webm").status_code == 404


@needs_tools
def test_two_publishes_are_joined_in_time_order(app, make_session, mjr_pair, tmp_path):
    """A host who reconnected: two pairs of files; the replay plays both, and parts say where each starts."""
    from tests.video.media import make_recording

    session = make_session(status="ended")
    folder = recording.rec_dir(session.id)
    folder.mkdir(parents=True, exist_ok=True)
    for path in mjr_pair:
        shutil.copy(path, folder / path.name)
    make_recording(folder, seconds=1.0, name="videoroom-1-user-7-2")
    db.session.commit()

    made = recording.make_replay(session.id)

    assert made.status == RecordingStatus.READY, made.error
    assert len(made.parts) == 2 and made.parts[0][0] < made.parts[1][0]
    assert made.duration_ms >= sum(length for _start, length in made.parts) - 200


@needs_tools
def test_an_unreadable_recording_fails_and_keeps_the_link(app, client, make_session):
    session = make_session(status="ended", replay_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    folder = recording.rec_dir(session.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "videoroom-1-user-7-3-video-1.mjr").write_bytes(b"MJR00002 this is not a recording")
    db.session.commit()

    made = recording.make_replay(session.id)

    assert made.status in (RecordingStatus.EMPTY, RecordingStatus.FAILED)
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html
    assert "<video" not in html


def test_no_recording_leaves_the_page_as_before(app, client, make_session):
    session = make_session(status="ended")
    db.session.commit()

    assert recording.make_replay(session.id).status == RecordingStatus.EMPTY
    html = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert "<video" not in html
    assert recording.pending_sessions() == []


def test_a_claimed_job_is_not_run_twice(app, make_session):
    session = make_session(status="ended")
    made = Recording(session_id=session.id, status=RecordingStatus.PENDING, attempts=0, parts=[])
    db.session.add(made)
    db.session.commit()

    assert recording._claim(made) is True
    assert recording._claim(made) is False  # a second process finds it taken
    assert made.status == RecordingStatus.PROCESSING and made.attempts == 1


def test_room_options_point_janus_at_the_sessions_folder(app):
    options = recording.room_options(41)
    assert options["record"] is True
    assert options["rec_dir"].endswith("/rec/41")
    app.config["VIDEO_RECORD"] = False
    try:
        assert recording.room_options(41) == {}
    finally:
        app.config["VIDEO_RECORD"] = True


# ---- the page at 360 px ----------------------------------------------------------------------------------


def test_ended_page_lists_chapters_with_product_links_for_a_tiktok_session(
    app, client, make_session, make_offer, make_product
):
    from market.catalog.helpers import product_url
    from market.live import sessions

    session = make_session()
    host = session.seller.user
    durian = make_product(seller=host, title="Sầu riêng Ri6", stock=200)
    offer = make_offer(session=session, product=durian)
    _pin_at(offer, session.started_at + timedelta(minutes=12, seconds=40))
    sessions.end_session(session, host)
    db.session.commit()

    html = client.get(f"/live/{session.id}").get_data(as_text=True)

    assert "12:40" in html
    with app.test_request_context():
        assert f'href="{product_url(durian)}"' in html
    assert "data-seek" not in html  # no replay of ours: times, no seek
    assert "<video" not in html


def test_the_page_says_the_replay_is_being_prepared(app, client, make_session):
    session = make_session(status="ended")
    db.session.add(Recording(session_id=session.id, status=RecordingStatus.PROCESSING, attempts=1, parts=[]))
    db.session.commit()

    html = client.get(f"/live/{session.id}").get_data(as_text=True)

    assert "data-replay-pending" in html
    assert "<video" not in html


@needs_tools
def test_flask_video_replays_makes_what_was_left_undone(app, runner, make_session, mjr_pair):
    """A process died before the job ran: the command finds the ended session with a recording and makes it."""
    session = make_session(status="ended")
    folder = recording.rec_dir(session.id)
    folder.mkdir(parents=True, exist_ok=True)
    for path in mjr_pair:
        shutil.copy(path, folder / path.name)
    db.session.commit()
    assert recording.pending_sessions() == [session.id]

    result = runner.invoke(args=["video-replays"])

    assert result.exit_code == 0, result.output
    assert f"session {session.id}: ready" in result.output
    assert recording.pending_sessions() == []

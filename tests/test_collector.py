"""The serving entry point's cycle collector (market/collector.py); its effect is measured by bench/live_storm.py."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from market.collector import THRESHOLDS, Burst

ROOT = Path(__file__).resolve().parent.parent


def test_the_serving_entry_point_freezes_what_start_up_built_and_collects_in_larger_passes(tmp_path):
    """And gevent captures no spawning stack per greenlet."""
    probe = (
        "import gc, gevent, wsgi; print(gevent.config.track_greenlet_tree, gc.get_threshold(), gc.get_freeze_count())"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    tree, rest = out.stdout.strip().split(" ", 1)
    thresholds, frozen = rest.rsplit(" ", 1)
    assert tree == "False"  # no spawning stack captured per greenlet
    assert thresholds == str(THRESHOLDS) and THRESHOLDS[0] > gc.get_threshold()[0]
    assert int(frozen) > 50_000  # the modules and the app: never walked again


@pytest.fixture
def collecting():
    """Each test starts with the automatic collector on, and leaves it on."""
    gc.enable()
    yield
    gc.enable()


def test_a_burst_holds_the_collector_until_the_last_holder_lets_go(collecting):
    burst = Burst()
    burst.hold()
    burst.hold()  # a second offer's orders
    assert not gc.isenabled()
    burst.release()
    assert not gc.isenabled()
    burst.release()
    assert gc.isenabled()


def test_a_burst_lets_the_collector_run_again_after_its_longest_hold(collecting, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("market.collector.time.monotonic", lambda: clock[0])
    burst = Burst(most_s=2.0)
    burst.hold()
    clock[0] += 1.0
    burst.due()
    assert not gc.isenabled()
    clock[0] += 1.5  # orders kept coming for 2.5 s: the collector runs again, holders or not
    burst.due()
    assert gc.isenabled()
    burst.release()
    assert gc.isenabled()
    burst.hold()  # the next burst holds it again
    assert not gc.isenabled()
    burst.release()


def test_a_collector_turned_off_elsewhere_stays_off(collecting):
    gc.disable()
    burst = Burst()
    burst.hold()
    burst.release()
    assert not gc.isenabled()

"""The serving entry point's cycle collector (market/collector.py); its effect is measured by bench/live_storm.py."""

import gc
import subprocess
import sys
from pathlib import Path

from market.collector import THRESHOLDS

ROOT = Path(__file__).resolve().parent.parent


def test_the_serving_entry_point_freezes_what_start_up_built_and_collects_in_larger_passes(tmp_path):
    probe = "import gc, wsgi; print(gc.get_threshold(), gc.get_freeze_count())"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    thresholds, frozen = out.stdout.strip().rsplit(" ", 1)
    assert thresholds == str(THRESHOLDS) and THRESHOLDS[0] > gc.get_threshold()[0]
    assert int(frozen) > 50_000  # the modules and the app: never walked again

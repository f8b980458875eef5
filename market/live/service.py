"""Transitional: the live service moved to ``sessions.py``; the next commit splits it."""

from market.live.sessions import *  # noqa: F403
from market.live.sessions import _close  # noqa: F401 - tests/live/test_flash.py

"""The accounts area's signals, for the areas above it.

``logged_out`` (sender: the user id), sent after the commit that ended every session of that person: the areas
holding sockets close theirs (live, notifications), in every server process.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

logged_out = _signals.signal("accounts-logged-out")

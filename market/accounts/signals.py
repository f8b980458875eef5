"""The accounts area's signals, for the areas above it.

``logged_out`` (sender: the user id), sent after the commit that ended every session of that person: the areas
holding sockets close theirs (live, notifications), in every server process.

``account_claimed`` (sender: the user), sent *inside* the transaction when a person first signs in with a code to
an account somebody else opened for her (staff in assisted mode, a phone order): moderation audits it there.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

logged_out = _signals.signal("accounts-logged-out")
account_claimed = _signals.signal("accounts-account-claimed")

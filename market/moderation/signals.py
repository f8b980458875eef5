"""Telling people the outcome of a staff decision.

``tell(user, kind, …)`` is the one place a decision reaches the person it is about: today they read it on
their own pages (the shop status page, "My reports"); a notifications area (SMS, in-app) subscribes to
``outcome`` and needs no change here. Sent after commit, so nobody hears of a decision that was rolled back.
"""

from __future__ import annotations

from blinker import Namespace

from market.database import on_commit

_signals = Namespace()

# sender: the user id told; kwargs: kind ("seller.approve", "report.resolve", "user.ban" …), text, object_id
outcome = _signals.signal("moderation-outcome")


def tell(user_id: int, kind: str, text: str = "", object_id: int | None = None) -> None:
    on_commit(lambda: outcome.send(user_id, kind=kind, text=text, object_id=object_id))

"""Telling people the outcome of a staff decision.

``tell(user, kind, …)`` is the one place a decision reaches the person it is about: they read it on their own
pages (the shop status page, "My reports"), get an in-app notification and an SMS (``moderation/notify.py``,
written in the decision's transaction, pushed and sent after commit), and ``outcome`` is sent after commit for
any other listener. Nobody hears of a decision that was rolled back.
"""

from __future__ import annotations

from blinker import Namespace

from market.database import on_commit

_signals = Namespace()

# sender: the user id told; kwargs: kind ("seller.approve", "report.resolve", "user.ban" …), text, object_id
outcome = _signals.signal("moderation-outcome")


def tell(user_id: int, kind: str, text: str = "", object_id: int | None = None) -> None:
    from market.moderation.notify import tell_now

    tell_now(user_id, kind, text, object_id)
    on_commit(lambda: outcome.send(user_id, kind=kind, text=text, object_id=object_id))

"""How the orders area names (and checks) the live session an order came from, without importing the live area.

The live area registers a lookup (ids → titles); until it does, sessions are shown by number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import gettext as _

_lookup: Callable[[Iterable[int]], dict[int, str]] = lambda ids: {}  # noqa: E731


def register_session_titles(lookup: Callable[[Iterable[int]], dict[int, str]]) -> None:
    global _lookup
    _lookup = lookup


def session_titles(ids: Iterable[int]) -> dict[int, str]:
    ids = [i for i in ids if i]
    titles = _lookup(ids) if ids else {}
    return {i: titles.get(i) or _("Live #%(id)d", id=i) for i in ids}


def session_exists(session_id: int) -> bool:
    """Whether the live area knows this session (a seller's packing list of a missing one is a 404)."""
    return session_id in _lookup([session_id])


def session_title(session_id: int | None) -> str:
    return session_titles([session_id]).get(session_id, "") if session_id else ""

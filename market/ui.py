"""Shared page furniture that every area can add to without editing another area's templates.

- ``nav_item``: an entry of the bottom navigation (phones) / top menu.
- ``slot``: a named place in a shared page (``home.top``, ``commune.main`` …) where an area includes one of
  its own templates, with the context its provider function returns. Slots and the keywords their pages pass
  are declared in market/hooks.py: an undeclared name or keyword is refused.
Areas register from their ``init_app`` (never when a module is imported); registration is idempotent (by key),
so a second ``create_app`` in one process changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for
from flask_login import current_user

from market.hooks import slot_spec


@dataclass(frozen=True)
class NavItem:
    key: str
    endpoint: str
    label: Callable[[], str]  # called per request, so the label is in the user's language
    icon: str
    order: int = 50
    visible: Callable[[Any], bool] = lambda user: True  # given current_user: a User or the anonymous one
    active_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Slot:
    key: str
    template: str
    provider: Callable[..., dict[str, Any] | None] = field(default=lambda **kw: {})
    order: int = 50


_nav: dict[str, NavItem] = {}
_slots: dict[str, dict[str, Slot]] = {}


def nav_item(
    key: str,
    endpoint: str,
    label: Callable[[], str],
    icon: str,
    order: int = 50,
    visible: Callable[[Any], bool] | None = None,
    active_prefixes: tuple[str, ...] = (),
) -> None:
    _nav[key] = NavItem(key, endpoint, label, icon, order, visible or (lambda user: True), active_prefixes)


def slot(
    name: str, key: str, template: str, provider: Callable[..., dict[str, Any] | None] | None = None, order: int = 50
) -> None:
    slot_spec(name)
    _slots.setdefault(name, {})[key] = Slot(key, template, provider or (lambda **kw: {}), order)


def nav_entries() -> list[dict[str, Any]]:
    endpoint = request.endpoint or ""
    entries = []
    for item in sorted(_nav.values(), key=lambda i: i.order):
        if not item.visible(current_user):
            continue
        prefixes = item.active_prefixes or (item.endpoint,)
        entries.append(
            {
                "href": url_for(item.endpoint),
                "label": item.label(),
                "icon": item.icon,
                "active": any(endpoint.startswith(p) for p in prefixes),
            }
        )
    return entries


def slot_entries(name: str, **context: Any) -> list[dict[str, Any]]:
    """The templates registered for slot ``name``, each with the context its provider returns."""
    undeclared = set(context) - slot_spec(name).kwargs
    if undeclared:
        raise TypeError(f"slot {name!r} does not take {sorted(undeclared)} (market/hooks.py SLOTS)")
    out = []
    for s in sorted(_slots.get(name, {}).values(), key=lambda s: s.order):
        data = s.provider(**context)
        if data is not None:
            out.append({"template": s.template, "context": data})
    return out

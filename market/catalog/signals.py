"""The catalog's blinker signals: higher areas hear a listing change without the catalog importing them.

``listing_changed`` is sent by ``lifecycle.py`` after a listing changes state (sender: the Product; kwargs
``action``, ``from_status``, ``by``): live closes the open offers of a listing archived or rejected, moderation
and others may listen.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Sent after a listing changes state: sender is the Product; kwargs action, from_status, by.
listing_changed = signals.signal("catalog.listing-changed")

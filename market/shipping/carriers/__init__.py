"""Carrier adapters behind one interface (``base.Carrier``): name → adapter. A third carrier is one more
module here and one more entry in ``CARRIERS``."""

from __future__ import annotations

from market.shipping.carriers.base import Carrier
from market.shipping.carriers.ghn import GHN
from market.shipping.carriers.ghtk import GHTK

CARRIERS: dict[str, Carrier] = {c.name: c for c in (GHN(), GHTK())}


def get_carrier(name: str | None) -> Carrier | None:
    return CARRIERS.get(name or "")

"""GHN's codes for an address: its fee and create calls want ``to_district_id`` and ``to_ward_code`` (GHN's
own ids, from its master-data API), not names. Our addresses carry a ward or commune and a province as people
type them (Vietnam has had two levels, province → ward/commune, since 2025-07-01): no district.

1. The province is found by name among GHN's provinces (``ProvinceName`` or any of its ``NameExtension``),
   folded as the zone table folds them (no accents, no case, "Tỉnh"/"TP." dropped, TP.HCM → Hồ Chí Minh).
2. The ward or commune is looked for in every district of that province (``master-data/district`` then
   ``master-data/ward`` per district), by ``WardName`` or an extension; a locked one (``Status`` 2) is skipped.
   Its district is the district id GHN wants.
3. The same ward name in two districts (the old "Phường 1" of Quận 3 and of Quận 10): the district the street
   line names ("Quận 3", "Q3", "Krông Pắc") decides; with none, the address is refused as ambiguous.
4. A name that does not resolve is refused (``CarrierError`` code ``address``) with a sentence the seller
   reads beside the order: which name GHN does not know, and to check it with the buyer or ship another way.
   Nothing is guessed: a parcel sent to the wrong ward comes back.
5. Master data barely changes: each list is kept in this process for ``MASTER_TTL`` (per GHN address, so the
   test stand-ins never share), so a province costs 2 + (its districts) calls the first time and none after.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from market.shipping.carriers.base import CarrierError, Place
from market.shipping.zones import place_key
from market.text import fold

MASTER_TTL = 12 * 3600  # seconds a province, district or ward list is reused
MAX_LISTS = 2000  # more distinct lists than Vietnam has districts: the cache starts again (a bound, not a policy)
BASE = "/shiip/public-api/master-data"
LOCKED = 2  # GHN's Status: 1 unlocked, 2 locked

Post = Callable[[str, dict[str, Any]], object]  # (path, JSON body) → GHN's ``data``; raises CarrierError

_lists: dict[tuple[str, str, int], tuple[float, list[dict[str, Any]]]] = {}
_lock = threading.Lock()
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DISTRICT_PREFIX = re.compile(r"^(quan|huyen|thi xa|thanh pho|tp|tx|q|h)\s+")


@dataclass(frozen=True)
class Codes:
    district_id: int
    ward_code: str


def _words(text: str | None) -> str:
    return _NOT_WORD.sub(" ", fold(text or "")).strip()


def _names(row: dict[str, Any], field: str) -> list[str]:
    extensions = row.get("NameExtension")
    names = [row.get(field)] + (extensions if isinstance(extensions, list) else [])
    return [n for n in names if isinstance(n, str) and n.strip()]


def _list(post: Post, base: str, kind: str, parent: int, body: dict[str, Any]) -> list[dict[str, Any]]:
    key, now = (base, kind, parent), time.monotonic()
    with _lock:
        kept = _lists.get(key)
    if kept and kept[0] > now:
        return kept[1]
    data = post(f"{BASE}/{kind}", body)
    if data is None:
        data = []
    if not isinstance(data, list):
        raise CarrierError(f"GHN {kind} list is not a list", code="bad_answer")
    rows = [r for r in data if isinstance(r, dict) and r.get("Status", 1) != LOCKED]
    with _lock:
        if len(_lists) >= MAX_LISTS:
            _lists.clear()
        _lists[key] = (now + MASTER_TTL, rows)
    return rows


def forget() -> None:
    """Drop every kept list (GHN changed its master data; tests)."""
    with _lock:
        _lists.clear()


def _named_in_street(district: dict[str, Any], street: str) -> bool:
    """Whether the street line names this district ("12 Lê Lợi, Quận 3", "…, Q.3", "…, Krông Pắc")."""
    for name in _names(district, "DistrictName"):
        words = _words(name)
        candidates = {words, _DISTRICT_PREFIX.sub("", words)}
        for candidate in candidates:
            if len(candidate) < 2 or candidate.isdigit():
                continue  # "3" alone would match any house number
            if re.search(rf"(?<![a-z0-9]){re.escape(candidate)}(?![a-z0-9])", street):
                return True
    return False


def resolve(post: Post, base: str, place: Place) -> Codes:
    """GHN's district id and ward code for ``place``; ``CarrierError("…", code="address")`` when it has none."""
    commune, province = place_key(place.commune), place_key(place.province)
    if not commune:
        raise CarrierError(
            _(
                "The buyer's address has no ward or commune, which GHN needs: ask the buyer for it, "
                "or ship this parcel another way."
            ),
            code="address",
        )
    provinces = [
        p
        for p in _list(post, base, "province", 0, {})
        if province and province in {place_key(n) for n in _names(p, "ProvinceName")}
    ]
    province_ids = {pid for p in provinces if isinstance(pid := p.get("ProvinceID"), int)}
    if len(province_ids) != 1:
        raise CarrierError(
            _(
                "GHN does not know the province “%(province)s” of the buyer's address: check it "
                "with the buyer, or ship this parcel another way.",
                province=place.province,
            ),
            code="address",
        )
    province_id = province_ids.pop()
    districts = [
        d
        for d in _list(post, base, "district", province_id, {"province_id": province_id})
        if isinstance(d.get("DistrictID"), int)
    ]
    street = _words(place.street)
    named = [d for d in districts if _named_in_street(d, street)]
    ordered = named + [d for d in districts if d not in named]  # the district the street names is asked first
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for district in ordered:
        wards = _list(post, base, "ward", district["DistrictID"], {"district_id": district["DistrictID"]})
        found += [
            (district, w)
            for w in wards
            if isinstance(w.get("WardCode"), (str, int))
            and str(w["WardCode"])
            and commune in {place_key(n) for n in _names(w, "WardName")}
        ]
        if found and district in named:
            break  # the street said which district: no need to ask about the others
    if len(found) > 1:
        in_named = [(d, w) for d, w in found if d in named]
        found = in_named if len(in_named) == 1 else found
    if not found:
        raise CarrierError(
            _(
                "GHN has no ward or commune “%(commune)s” in %(province)s (the buyer's address): "
                "check it with the buyer, or ship this parcel another way.",
                commune=place.commune,
                province=place.province,
            ),
            code="address",
        )
    if len(found) > 1:
        raise CarrierError(
            _(
                "GHN has several wards “%(commune)s” in %(province)s and the buyer's street line "
                "names no district (quận/huyện): ask the buyer which one, or ship this parcel "
                "another way.",
                commune=place.commune,
                province=place.province,
            ),
            code="address",
        )
    district, ward = found[0]
    return Codes(district["DistrictID"], str(ward["WardCode"]))

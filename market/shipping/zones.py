"""Which zone an address is in, seen from a shop: its own commune, its province, or elsewhere.

People type place names their own way ("Đắk Lắk", "dak lak", "Tỉnh Đắk Lắk", "TP.HCM", "Sài Gòn"): names are
folded (no accents, no case), administrative prefixes dropped and a few common aliases mapped, then compared.
"""

from __future__ import annotations

import enum
import re

from market.text import fold


class Zone(enum.StrEnum):
    COMMUNE = "commune"
    PROVINCE = "province"
    ELSEWHERE = "elsewhere"


_PREFIX = re.compile(r"^(tinh|thanh pho|tp|xa|phuong|thi tran|tt|p|x)\b\.?\s*")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_ALIASES = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "sai gon": "ho chi minh",
    "saigon": "ho chi minh",
    "hn": "ha noi",
    "hanoi": "ha noi",
    "daklak": "dak lak",
    "daclac": "dak lak",
    "dac lac": "dak lak",
    "hue": "thua thien hue",
    "tt hue": "thua thien hue",
}


def place_key(name: str | None) -> str:
    """ "Tỉnh Đắk Lắk" → "dak lak"; "TP. Hồ Chí Minh" → "ho chi minh"; "" for nothing."""
    text = _NOT_WORD.sub(" ", fold(name or "").replace(".", ". ")).strip()
    for _ in range(2):  # "Thành phố" then a second prefix is rare; twice is enough
        text = _PREFIX.sub("", text).strip()
    return _ALIASES.get(text, text)


def zone_of(shop_commune: str, shop_province: str, commune: str | None, province: str | None) -> Zone:
    """The zone of a destination for a shop in (shop_commune, shop_province)."""
    if place_key(province) != place_key(shop_province) or not place_key(province):
        return Zone.ELSEWHERE
    if commune and place_key(commune) == place_key(shop_commune):
        return Zone.COMMUNE
    return Zone.PROVINCE

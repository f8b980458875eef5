"""The demo shops' fee tables, so the cart and the checkout of ``make run`` show shipping and a grand total.

No carrier account is seeded: connecting GHN or GHTK takes the shop's own token (docs/shipping.md).
"""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.extensions import db
from market.shipping.service import save_settings, settings_for

_TABLE = {
    "extra_commune_vnd": 2_000,
    "extra_province_vnd": 4_000,
    "extra_elsewhere_vnd": 6_000,
    "base_weight_g": 2000,
    "item_weight_g": 1000,
    "free_above_vnd": None,
    "pickup_enabled": False,
    "pickup_note": "",
    "transfer_after_refusals": None,
}

# seller phone → what differs from _TABLE. The durian farm has none: its live-session prices include delivery
# in the province (a shop that never saved a table ships "included in the price").
FEE_TABLES = {
    # the coffee roaster: the whole country, free from 500.000 ₫; buyers who refused 2 parcels pay by transfer
    "0903000002": {
        "fee_commune_vnd": 15_000,
        "fee_province_vnd": 25_000,
        "fee_elsewhere_vnd": 35_000,
        "free_above_vnd": 500_000,
        "transfer_after_refusals": 2,
    },
    # the weavers: light scarves (300 g), free from 200.000 ₫
    "0903000003": {
        "fee_commune_vnd": 12_000,
        "fee_province_vnd": 20_000,
        "fee_elsewhere_vnd": 30_000,
        "item_weight_g": 300,
        "free_above_vnd": 200_000,
    },
}


def seed() -> list[tuple[str, str, str]]:
    for phone, table in FEE_TABLES.items():
        seller = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))
        if seller is None or seller.seller_profile is None or settings_for(seller.seller_profile.id) is not None:
            continue  # only fill in what nobody has set yet
        save_settings(seller.seller_profile.id, {**_TABLE, **table})
    db.session.flush()
    return []

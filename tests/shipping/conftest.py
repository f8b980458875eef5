import pytest

from market.extensions import db
from tests.orders.fixtures import buyer, fruit_shop, make_shop, place, shop  # noqa: F401
from tests.payments.conftest import stripe_api  # noqa: F401


@pytest.fixture
def fee_table():
    """``fee_table(profile, **overrides)``: a shop's fee table (15k/25k/35k, +2k/4k/6k a kg over 2 kg)."""
    from market.shipping.models import ShopShipping

    def factory(profile, **overrides):
        values = dict(fee_commune_vnd=15_000, fee_province_vnd=25_000, fee_elsewhere_vnd=35_000,
                      extra_commune_vnd=2_000, extra_province_vnd=4_000, extra_elsewhere_vnd=6_000,
                      base_weight_g=2000, item_weight_g=1000, free_above_vnd=None, pickup_enabled=False,
                      pickup_note="")
        values.update(overrides)
        row = ShopShipping(seller_id=profile.id, **values)
        db.session.add(row)
        db.session.flush()
        return row

    return factory

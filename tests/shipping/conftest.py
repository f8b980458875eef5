import pytest

from market.extensions import db
from tests.orders.fixtures import buyer, fruit_shop, make_shop, place, shop  # noqa: F401
from tests.payments.conftest import stripe_api  # noqa: F401


@pytest.fixture
def fee_table():
    """``fee_table(profile, **overrides)``: a shop's fee table (15k/25k/35k, +2k/4k/6k a kg over 2 kg)."""
    from market.shipping.models import ShopShipping

    def factory(profile, **overrides):
        values = dict(
            fee_commune_vnd=15_000,
            fee_province_vnd=25_000,
            fee_elsewhere_vnd=35_000,
            extra_commune_vnd=2_000,
            extra_province_vnd=4_000,
            extra_elsewhere_vnd=6_000,
            base_weight_g=2000,
            item_weight_g=1000,
            free_above_vnd=None,
            pickup_enabled=False,
            pickup_note="",
        )
        values.update(overrides)
        row = ShopShipping(seller_id=profile.id, **values)
        db.session.add(row)
        db.session.flush()
        return row

    return factory


CARRIER_KEYS = ("SHIPPING_CARRIERS", "GHN_API_BASE", "GHTK_API_BASE", "CARRIER_TIMEOUT")


@pytest.fixture
def carriers(_app):
    """GHN and GHTK switched on for this test, their APIs served by local stand-ins on 127.0.0.1."""
    from market.shipping.carriers import ghn_address
    from tests.shipping.standin import GHNStandIn, GHTKStandIn

    ghn_address.forget()  # a new stand-in may get an old one's port: no master data kept from another test
    ghn, ghtk = GHNStandIn().start(), GHTKStandIn().start()
    saved = {k: _app.config.get(k) for k in CARRIER_KEYS}
    _app.config.update(
        SHIPPING_CARRIERS=("ghn", "ghtk"), GHN_API_BASE=ghn.url, GHTK_API_BASE=ghtk.url, CARRIER_TIMEOUT=2
    )
    try:
        yield {"ghn": ghn, "ghtk": ghtk}
    finally:
        _app.config.update(saved)
        ghn.stop()
        ghtk.stop()


@pytest.fixture
def connect_carrier(carriers):
    """``connect_carrier(profile, "ghtk")``: the shop's account at that stand-in, as the connect page saves it."""
    from market.shipping.shipments import connect
    from tests.shipping.standin import GHNStandIn, GHTKStandIn

    def factory(profile, carrier: str = "ghtk"):
        token, account = (
            (GHNStandIn.TOKEN, GHNStandIn.SHOP) if carrier == "ghn" else (GHTKStandIn.TOKEN, GHTKStandIn.PARTNER)
        )
        return connect(profile.id, carrier, token, account, "Thôn 4, đường Hùng Vương")

    return factory

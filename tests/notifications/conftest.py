import pytest

from tests.orders.fixtures import buyer, make_shop, place, shop  # noqa: F401

ZALO_KEYS = (
    "ZALO_APP_ID",
    "ZALO_APP_SECRET",
    "ZALO_OA_REFRESH_TOKEN",
    "ZALO_OA_ACCESS_TOKEN",
    "ZALO_ZNS_TEMPLATES",
    "ZALO_API_BASE",
    "ZALO_OAUTH_BASE",
    "ZALO_TIMEOUT",
)


@pytest.fixture
def zalo(_app):
    """Zalo ZNS switched on for this test (templates for order.shipped and order.delivered), its APIs served by a
    local stand-in; a test may change ``ZALO_ZNS_TEMPLATES``, it is put back after."""
    from tests.notifications.standin import ZaloStandIn

    stand = ZaloStandIn().start()
    saved = {k: _app.config.get(k) for k in ZALO_KEYS}
    _app.config.update(
        ZALO_APP_ID=ZaloStandIn.APP_ID,
        ZALO_APP_SECRET=ZaloStandIn.APP_SECRET,
        ZALO_OA_REFRESH_TOKEN="refresh-1",
        ZALO_OA_ACCESS_TOKEN="access-1",
        ZALO_ZNS_TEMPLATES={"order.shipped": "412345", "order.delivered": "412346"},
        ZALO_API_BASE=stand.url,
        ZALO_OAUTH_BASE=stand.url,
        ZALO_TIMEOUT=2,
    )
    try:
        yield stand
    finally:
        _app.config.update(saved)
        stand.stop()

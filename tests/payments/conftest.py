import pytest

from tests.orders.fixtures import buyer, fruit_shop, make_shop, place, shop  # noqa: F401
from tests.payments.standin import StripeStandIn

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_MAX_NETWORK_RETRIES",
               "STRIPE_TIMEOUT")


@pytest.fixture
def stripe_api(_app):
    """Stripe switched on for this test, its API served by a local stand-in on 127.0.0.1."""
    standin = StripeStandIn().start()
    saved = {k: _app.config.get(k) for k in STRIPE_KEYS}
    _app.config.update(STRIPE_SECRET_KEY="sk_test_standin", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                       STRIPE_API_BASE=standin.url, STRIPE_MAX_NETWORK_RETRIES=0, STRIPE_TIMEOUT=5)
    try:
        yield standin
    finally:
        _app.config.update(saved)
        _app.extensions.pop("stripe_client", None)
        standin.stop()

import ipaddress
import socket

import pytest

from tests.orders.fixtures import buyer, fruit_shop, make_shop, place, shop  # noqa: F401
from tests.payments.standin import StripeStandIn

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
STRIPE_KEYS = (
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_MAX_NETWORK_RETRIES",
    "STRIPE_TIMEOUT",
)


@pytest.fixture
def stripe_api(_app):
    """Stripe switched on for this test, its API served by a local stand-in on 127.0.0.1."""
    standin = StripeStandIn().start()
    saved = {k: _app.config.get(k) for k in STRIPE_KEYS}
    _app.config.update(
        STRIPE_SECRET_KEY="sk_test_standin",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=standin.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        STRIPE_TIMEOUT=5,
    )
    try:
        yield standin
    finally:
        _app.config.update(saved)
        _app.extensions.pop("stripe_client", None)
        standin.stop()


class NetworkBlocked(OSError):
    pass


@pytest.fixture(autouse=True)
def no_network_but_loopback(monkeypatch):
    """Property 9: the payment suite runs with every connection refused but to 127.0.0.1 (the stand-ins,
    PostgreSQL, Redis): a call that reached the real Stripe would fail the test instead of passing by luck."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise NetworkBlocked(f"network blocked in the payment tests: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

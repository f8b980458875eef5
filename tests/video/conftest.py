"""The video area's tests use the live area's factories (a KOL host, sessions, pinned offers)."""

from tests.live.conftest import _fresh_hub, make_host, make_offer, make_session  # noqa: F401

"""Live area factories: a KOL host, sessions, pinned offers; the hub forgotten between tests."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest

from market.database import utcnow
from market.extensions import db

_keys = itertools.count(1)


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys):010d}"


def masked(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, mask: bytes | None = None) -> bytes:
    """A client frame: masked, with the shortest length encoding."""
    mask = os.urandom(4) if mask is None else mask
    n = len(payload)
    first = (0x80 if fin else 0) | rsv | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.fixture(autouse=True)
def _fresh_hub():
    from market.live import taps
    from market.live.hub import hub

    hub.reset()
    taps.reset()
    yield
    hub.reset()
    taps.reset()


@pytest.fixture
def make_host(make_seller):
    """A seller verified as her commune's KOL."""

    def factory(**kw):
        kw.setdefault("is_kol", True)
        kw.setdefault("shop_name", "Vườn sầu riêng Ea Knuếc")
        return make_seller(**kw)

    return factory


@pytest.fixture
def make_session(app, make_host):
    """``make_session(host=None, status="live", **fields)`` → a LiveSession."""
    from market.live.models import LiveSession

    def factory(host=None, status: str = "live", **kw):
        host = host or make_host()
        now = utcnow()
        session = LiveSession(
            seller_id=host.seller_profile.id,
            commune_id=host.seller_profile.commune_id,
            title=kw.pop("title", "Phiên sầu riêng Ea Knuếc"),
            stream_url=kw.pop("stream_url", "https://www.tiktok.com/@hhanie/live"),
            scheduled_at=kw.pop("scheduled_at", now + timedelta(minutes=5)),
            status=status,
            started_at=now if status != "scheduled" else None,
            ended_at=now if status == "ended" else None,
            description="",
            **kw,
        )
        db.session.add(session)
        db.session.flush()
        return session

    return factory


@pytest.fixture
def make_offer(app, make_session, make_product):
    """``make_offer(session=None, quantity=50, per_buyer_limit=None, price_vnd=79000, stock_left=100)``:
    pins a product through the real service (taking the allotment from its stock)."""
    from market.live import offers

    def factory(
        session=None,
        quantity: int = 50,
        per_buyer_limit=None,
        price_vnd: int = 79_000,
        stock_left: int = 100,
        product=None,
    ):
        session = session or make_session()
        host = session.seller.user
        product = product or make_product(seller=host, stock=quantity + stock_left, price_vnd=99_000)
        return offers.pin_offer(session, host, product.id, price_vnd, quantity, per_buyer_limit)

    return factory

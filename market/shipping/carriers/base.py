"""One small interface every carrier adapter implements, so a third carrier (Viettel Post, Ninja Van) is one
more file in this package and one line in ``CARRIERS`` — nothing elsewhere changes.

1. ``create`` sends the parcel with the cash to collect (``cod_vnd``) and returns the carrier's tracking code.
2. ``label`` returns what to print (a PDF, or a page on the carrier's site to open); ``labels`` prints several
   shipments at once where the carrier can (``prints_many``), else it takes exactly one.
3. ``cancel`` cancels a shipment the carrier has not picked up.
4. ``parse_webhook`` turns a carrier's call into a neutral ``Tracking`` (or raises ``BadWebhook``: 400).
5. ``status`` asks the carrier where a parcel is (GHN's webhooks are believed only after this call).
6. ``quote`` asks the carrier's fee for a parcel: the buyer's fee at checkout when the shop chose "Báo phí theo
   hãng vận chuyển" (``timeout``: the short checkout wait, ``CARRIER_QUOTE_TIMEOUT``).
Adapters never touch the database: they take plain values and return plain values, so the calls happen
outside any transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class Stage(enum.StrEnum):
    """Where a parcel is, in words every carrier's statuses map onto; ordered by ``RANK``."""

    CREATED = "created"  # the carrier has the order; nobody has picked the parcel up
    PICKED_UP = "picked_up"  # in the carrier's hands (picked up, sorting, on the way, out for delivery)
    DELIVERED = "delivered"  # the buyer has it (and the carrier collected the cash on delivery)
    RETURNING = "returning"  # refused or undeliverable: on its way back to the shop
    RETURNED = "returned"  # back at the shop
    CANCELLED = "cancelled"  # cancelled before pickup
    PROBLEM = "problem"  # lost, damaged, an exception: the seller must talk to the carrier


# A parcel only moves forward: an event of a lower rank than the shipment's stage is old news.
RANK = {
    Stage.CREATED: 0,
    Stage.PICKED_UP: 1,
    Stage.RETURNING: 2,
    Stage.DELIVERED: 3,
    Stage.RETURNED: 3,
    Stage.CANCELLED: 3,
    Stage.PROBLEM: 1,
}
TERMINAL = frozenset({Stage.DELIVERED, Stage.RETURNED, Stage.CANCELLED})


MAX_AMOUNT = 10**12  # đồng: beyond any parcel's cash or fee, and well within a bigint column


def amount(raw: object) -> int | None:
    """A sum of đồng as a carrier reports it (a number or its digits), or None for one no parcel carries: a word,
    a fraction, a negative, more than ``MAX_AMOUNT`` (stored as is, it would not fit the column: a 500)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip().isdecimal() and len(raw.strip()) <= 13:
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_AMOUNT else None


class CarrierError(Exception):
    """The carrier refused, answered something unreadable, or did not answer in time."""

    def __init__(self, message: str, *, code: str = "error", timeout: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.timeout = timeout


class BadWebhook(Exception):
    """A webhook body that is not what the carrier sends (400, nothing changes)."""


@dataclass(frozen=True)
class Credentials:
    token: str
    account: str  # GHN: ShopId; GHTK: partner code (X-Client-Source)


@dataclass(frozen=True)
class Place:
    name: str
    phone: str  # national format, 0xxxxxxxxx: what carriers expect
    street: str
    commune: str
    province: str


@dataclass(frozen=True)
class Item:
    name: str
    qty: int
    grams: int


@dataclass(frozen=True)
class ParcelRequest:
    client_code: str  # our order's public code: the carrier's "client order code" / "partner id"
    sender: Place
    receiver: Place
    grams: int
    cod_vnd: int  # cash the carrier collects from the buyer (0: nothing to collect)
    value_vnd: int  # declared value (insurance)
    items: list[Item] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Created:
    tracking_code: str
    fee_vnd: int | None


@dataclass(frozen=True)
class Label:
    content_type: str  # "application/pdf" (bytes in ``body``) or "text/uri-list" (``url`` to open)
    body: bytes = b""
    url: str = ""


@dataclass(frozen=True)
class Tracking:
    tracking_code: str
    stage: Stage
    carrier_status: str  # the carrier's own word or number, kept for the seller and the log
    event_id: str  # unique per event, for the processed-events log (duplicates change nothing)
    at: datetime | None = None
    cod_vnd: int | None = None  # the cash collected (delivered) as the carrier reports it
    cod_remitted: bool = False  # the carrier has paid the collected cash to the shop
    reason: str = ""
    account: str = ""  # the shop's account at the carrier, when the call says it (GHN's ShopID)


class Carrier(Protocol):
    name: str  # "ghn", "ghtk"
    label_text: str  # "GHN (Giao Hàng Nhanh)"
    account_label: str  # what the seller types beside the token: "Shop ID" / "Partner code"
    prints_many: bool  # ``labels`` accepts several tracking codes (one print for a batch)

    def quote(self, creds: Credentials, req: ParcelRequest, timeout: float | None = None) -> int: ...

    def create(self, creds: Credentials, req: ParcelRequest) -> Created: ...

    def label(self, creds: Credentials, tracking_code: str) -> Label: ...

    def labels(self, creds: Credentials, tracking_codes: list[str]) -> Label: ...

    def cancel(self, creds: Credentials, tracking_code: str) -> None: ...

    def status(self, creds: Credentials, tracking_code: str) -> Tracking: ...

    def parse_webhook(self, body: bytes, content_type: str) -> Tracking: ...

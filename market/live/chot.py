""" "chốt 2" in the live chat: Vietnamese live buyers claim by writing "chốt" (close the deal).

1. A chat message is a claim when its first word, folded (no diacritics, any case), is ``chot``: "chốt 2",
   "chot 2", "CHỐT 2". The message is posted to the chat as usual; only the writer hears the answer.
2. After the word: a quantity (a whole number; none means 1) and, when several offers are open, the offer's
   number "#3", in either order. Anything else (words, "0", "-1", "10^9", "2.5") is refused with how to write it.
3. The claim orders exactly as the "Order now" button would: ``ordering.submit_order`` with the key
   ``live-chot-<message id>`` (the merged path; the same message can never order twice); then the sheet opens
   for her to give the address and the way to pay.
4. The host can turn claims off per session (``LiveSession.chot_enabled``); a claim then gets a hint instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.live.models import LiveOffer, LiveSession, OfferStatus
from market.orders.service import check_qty
from market.text import fold

_CLAIM = re.compile(r"^\s*chot(?![a-z0-9])(.*)$", re.S)
_TOKEN = re.compile(r"#\s*\d+|[+\-−]?\d+|\S+")
_NUMBER = re.compile(r"^#\s*(\d{1,9})$")
_QTY = re.compile(r"^[+\-−]?\d+$")


@dataclass(frozen=True)
class Claim:
    qty: int
    number: int | None  # the offer's number in the session ("#3"), or None when left out


def _how() -> str:
    return _(
        "Write the quantity as a number, e.g. “chốt 2” (and the offer's number when several are open: “chốt 2 #3”)."
    )


def parse(text: str) -> Claim | None:
    """The claim in a chat message, None if it is not one; a malformed claim is a DomainError saying how."""
    m = _CLAIM.match(fold(text))
    if m is None:
        return None
    qty: int | None = None
    number: int | None = None
    for token in _TOKEN.findall(m.group(1)):
        hashed = _NUMBER.match(token)
        if hashed and number is None:
            number = int(hashed.group(1))
        elif _QTY.match(token) and qty is None:
            if len(token.lstrip("+-−")) > 9:
                raise DomainError(ErrorCode.INVALID, _("The quantity is too large."), field="qty")
            qty = check_qty(int(token.replace("−", "-")))
        else:
            raise DomainError(ErrorCode.INVALID, _how(), field="text")
    return Claim(qty if qty is not None else 1, number)


def resolve(session: LiveSession, claim: Claim) -> LiveOffer:
    """The open offer a claim is for."""
    if not session.chot_enabled:
        raise DomainError(
            ErrorCode.INVALID, _("Ordering by chat is off in this session: tap “Order now” on the product.")
        )
    if claim.number is not None:
        offer = db.session.scalar(
            sa.select(LiveOffer).where(LiveOffer.session_id == session.id, LiveOffer.number == claim.number)
        )
        if offer is None:
            raise DomainError(
                ErrorCode.INVALID, _("There is no offer #%(n)d in this live.", n=claim.number), field="number"
            )
        if offer.status != OfferStatus.OPEN:
            raise DomainError(ErrorCode.OFFER_CLOSED, _("Offer #%(n)d has closed.", n=claim.number), field="number")
        return offer
    offers = db.session.scalars(
        sa.select(LiveOffer)
        .where(LiveOffer.session_id == session.id, LiveOffer.status == OfferStatus.OPEN)
        .order_by(LiveOffer.number)
    ).all()
    if not offers:
        raise DomainError(
            ErrorCode.OFFER_CLOSED, _("Nothing is on sale right now. Wait for the host to pin a product.")
        )
    if len(offers) > 1:
        numbers = ", ".join(f"#{o.number}" for o in offers)
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "Several products are on sale (%(numbers)s): add the number, e.g. “chốt %(qty)d #%(n)d”.",
                numbers=numbers,
                qty=claim.qty,
                n=offers[0].number,
            ),
            field="number",
        )
    return offers[0]

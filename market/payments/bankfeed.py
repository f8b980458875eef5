"""Incoming bank transfers: a provider-neutral core and one adapter per bank-feed provider.

A provider (SePay, Casso …) watches the seller's account and POSTs each incoming transfer to
``/webhooks/bank/<provider>``. The adapter checks the provider's signature and turns the body into an
``IncomingTransfer``; the core (``apply_transfer``) finds the order by the memo (its random code), checks the
amount and the account, and confirms the order — or leaves it unpaid and flags it. Each transfer is handled
once (the processed-event log, keyed by the provider's transaction id).

SePay (https://developer.sepay.vn/en/sepay-webhooks): JSON body ``{id, gateway, transactionDate, accountNumber,
code, content, transferType: "in"|"out", transferAmount, accumulated, subAccount, referenceCode, description}``;
HMAC-SHA256 authentication sends ``X-SePay-Timestamp`` (Unix seconds) and ``X-SePay-Signature: sha256=<hex>``
computed over ``"<timestamp>.<raw body>"`` with the webhook's secret; requests more than 5 minutes off are
refused (replays). SePay wants ``{"success": true}`` back, else it retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Request, current_app
from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.orders.models import Order
from market.orders.states import Actor, OrderStatus, PaymentFlag
from market.payments.models import Outcome, PaymentStatus, ProcessedEvent

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
# An order code inside free text: CP + 8 of the code alphabet (no 0, O, 1, I).
_CODE = re.compile(r"CP[A-HJ-NP-Z2-9]{8}")


class BadSignature(DomainError):
    status = 401

    def __init__(self, message: str = "bad signature"):
        super().__init__("forbidden", message, status=401)


@dataclass(frozen=True)
class IncomingTransfer:
    provider: str
    transaction_id: str
    amount_vnd: int
    content: str  # the memo as the bank passed it on (often with the sender's name and bank prefixes added)
    accounts: tuple[str, ...] = ()  # the account (and virtual account) that received it, as the provider says
    incoming: bool = True


def order_codes_in(text: str) -> list[str]:
    """Order codes found in a transfer's text, tolerant of the spaces and dashes banks insert."""
    upper = (text or "").upper()
    squeezed = re.sub(r"[^A-Z0-9]", "", upper)
    found = []
    for source in (upper, squeezed):
        for code in _CODE.findall(source):
            if code not in found:
                found.append(code)
    return found


def apply_transfer(transfer: IncomingTransfer, row: ProcessedEvent | None = None) -> str:
    """Match one incoming transfer to an order and record it. Returns the outcome (stored in the event log)."""
    from market.payments.service import (
        lock_order,
        new_attempt,
        open_attempt,
        record_paid,
        refund_due_by_hand,
        settings_for,
    )

    if not transfer.incoming:
        return Outcome.OUTGOING
    if row is not None:
        row.detail = f"{transfer.amount_vnd} VND: {transfer.content}"[:500]
    order = None
    for code in order_codes_in(transfer.content):
        order = db.session.scalar(sa.select(Order).where(Order.code == code))
        if order is not None:
            if row is not None:
                row.ref = code
            break
    if order is None:
        log.info("bank transfer %s/%s matches no order", transfer.provider, transfer.transaction_id)
        return Outcome.UNMATCHED
    order = lock_order(order.id)
    settings = settings_for(order.seller_id)
    received_by = {_account_key(a) for a in transfer.accounts if a}
    if received_by and settings.account_number and _account_key(settings.account_number) not in received_by:
        order.payment_flag = order.payment_flag or PaymentFlag.WRONG_ACCOUNT
        return Outcome.WRONG_ACCOUNT
    if order.paid_at is not None or order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED):
        payment = new_attempt(order, "vietqr", provider_ref=f"{transfer.provider}:{transfer.transaction_id}")
        payment.status = PaymentStatus.SUCCEEDED
        payment.received_vnd = transfer.amount_vnd
        flag = PaymentFlag.DOUBLE_PAYMENT if order.paid_at else PaymentFlag.PAID_AFTER_CLOSE
        refund_due_by_hand(order, payment, flag)
        db.session.flush()
        return Outcome.REFUND_DUE
    if transfer.amount_vnd != order.total_vnd or order.awaits_weighing:  # not weighed: no amount was asked yet
        payment = new_attempt(order, "vietqr", provider_ref=f"{transfer.provider}:{transfer.transaction_id}")
        payment.status = PaymentStatus.MISMATCH
        payment.received_vnd = transfer.amount_vnd
        payment.note = _("Received %(got)s đồng, expected %(want)s.", got=transfer.amount_vnd, want=order.total_vnd)
        order.payment_flag = PaymentFlag.AMOUNT_MISMATCH
        db.session.flush()
        return Outcome.WRONG_AMOUNT
    payment = open_attempt(order, "vietqr")
    payment.provider_ref = f"{transfer.provider}:{transfer.transaction_id}"
    record_paid(
        order,
        payment,
        actor=None,
        role=Actor.SYSTEM,
        reason=_("Bank transfer received"),
        received_vnd=transfer.amount_vnd,
    )
    return Outcome.PAID


def _account_key(account: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(account).upper())


# ---- adapters ----------------------------------------------------------------------------------------------


class BankFeedAdapter:
    name = ""

    def secret(self) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, request: Request) -> IncomingTransfer:  # pragma: no cover - interface
        """Verify the provider's signature (BadSignature) and read the transfer (DomainError "invalid")."""
        raise NotImplementedError

    def ok(self, outcome: str) -> tuple[dict[str, Any], int]:
        return {"success": True, "outcome": outcome}, 200


def sign_sepay(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SePay(BankFeedAdapter):
    name = "sepay"

    def secret(self) -> str | None:
        return current_app.config.get("SEPAY_WEBHOOK_SECRET")

    def parse(self, request: Request) -> IncomingTransfer:
        secret = self.secret()
        body = request.get_data(cache=True)
        timestamp = request.headers.get("X-SePay-Timestamp", "")
        signature = request.headers.get("X-SePay-Signature", "")
        if not secret or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12 or not signature:
            raise BadSignature("missing signature")
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            raise BadSignature("stale timestamp")
        if not hmac.compare_digest(
            sign_sepay(secret, timestamp, body).encode(), signature.strip().encode("utf-8", "replace")
        ):
            raise BadSignature("signature does not match")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise DomainError(ErrorCode.INVALID, "body is not JSON") from None
        if not isinstance(data, dict):
            raise DomainError(ErrorCode.INVALID, "body is not a JSON object")
        txn, amount = data.get("id"), data.get("transferAmount")
        if isinstance(amount, float) and amount.is_integer():
            amount = int(amount)
        if isinstance(txn, bool) or not isinstance(txn, int | str) or not str(txn).strip() or len(str(txn)) > 100:
            raise DomainError(ErrorCode.INVALID, "id is missing")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise DomainError(ErrorCode.INVALID, "transferAmount must be a whole number of đồng")
        content = " ".join(str(data.get(k) or "") for k in ("code", "content", "description"))[:1000]
        accounts = tuple(str(data[k])[:40] for k in ("accountNumber", "subAccount") if data.get(k))
        return IncomingTransfer(
            provider=self.name,
            transaction_id=str(txn).strip(),
            amount_vnd=amount,
            content=content,
            accounts=accounts,
            incoming=data.get("transferType", "in") == "in",
        )


ADAPTERS: dict[str, type[BankFeedAdapter]] = {SePay.name: SePay}

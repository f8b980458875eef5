"""A local stand-in for Stripe's API (tests/standin.py's plumbing) answering in Stripe's shapes, which the
official ``stripe`` library talks to; and the events and signatures Stripe's webhooks send."""

from __future__ import annotations

import itertools
import time
from urllib.parse import parse_qsl

from tests.standin import Seen, StandIn


def decode_form(body: str) -> dict:
    """Stripe's form encoding (``a[b][0][c]=1``) back into nested dicts and lists."""
    out: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                idx = int(part)
                while len(node) <= idx:
                    node.append({} if not nxt_is_index else [])
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt_is_index else {})
    return out


class StripeStandIn(StandIn):
    """Enough of Stripe's API for Checkout: sessions (create, retrieve, expire), refunds, and the payment intents
    of card holds (``capture_method=manual``: retrieve, capture with ``amount_to_capture``, cancel), with
    idempotency as Stripe keeps it: the same key and parameters again answer the first result; the same key with
    other parameters, or while the first request is still running, is an ``idempotency_error``.
    ``slow_next`` holds delays (seconds) for the next requests: Stripe slower than the client's timeout."""

    read_form = staticmethod(decode_form)

    def __init__(self):
        super().__init__()
        self.slow_next: list[float] = []
        self.in_flight: set[tuple[str, str]] = set()
        self.body_by_key: dict[tuple[str, str], str] = {}
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.by_key: dict[tuple[str, str], dict] = {}
        self._ids = itertools.count(1)

    def _error(self, status: int, message: str) -> tuple[int, dict]:
        return status, {"error": {"type": "invalid_request_error", "message": message}}

    def route(self, rec: Seen) -> tuple[int, dict]:
        if not rec.headers.get("authorization", "").startswith("Bearer sk_"):
            return self._error(401, "no key")
        key = rec.headers.get("idempotency-key")
        slot = (rec.path, key) if rec.method == "POST" and key else None
        with self.lock:
            delay = self.slow_next.pop(0) if self.slow_next else 0
            if slot in self.in_flight:
                return 409, {
                    "error": {
                        "type": "idempotency_error",
                        "message": "There is currently another in-progress request using this key",
                    }
                }
            if slot in self.by_key:
                if self.body_by_key[slot] != rec.body:
                    return 400, {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests "
                            "can only be used with the same parameters they were first used with",
                        }
                    }
                return 200, self.by_key[slot]
            if slot:
                self.in_flight.add(slot)
        try:
            time.sleep(delay)
            status, payload = self._route(rec)
            if slot and status == 200:
                self.by_key[slot] = payload
                self.body_by_key[slot] = rec.body
            return status, payload
        finally:
            self.in_flight.discard(slot)

    def _route(self, rec: Seen) -> tuple[int, dict]:
        if rec.method == "POST" and rec.path == "/v1/checkout/sessions":
            return 200, self._create_session(rec.form)
        if rec.path.startswith("/v1/checkout/sessions/"):
            rest = rec.path[len("/v1/checkout/sessions/") :]
            sid, _, action = rest.partition("/")
            session = self.sessions.get(sid)
            if session is None:
                return self._error(404, "no such session")
            if rec.method == "GET" and not action:
                return 200, session
            if rec.method == "POST" and action == "expire":
                if session["status"] != "open":
                    return self._error(400, "session is not open")
                session["status"] = "expired"
                return 200, session
        if rec.path.startswith("/v1/payment_intents/"):
            return self._intent(rec, rec.path[len("/v1/payment_intents/") :])
        if rec.method == "POST" and rec.path == "/v1/refunds":
            intent = rec.form.get("payment_intent")
            if not intent:
                return self._error(400, "payment_intent required")
            n = next(self._ids)
            refund = {
                "id": f"re_test_{n}",
                "object": "refund",
                "status": "succeeded",
                "amount": int(rec.form.get("amount") or 0),
                "currency": "vnd",
                "payment_intent": intent,
                "metadata": rec.form.get("metadata", {}),
            }
            self.refunds[refund["id"]] = refund
            return 200, refund
        return self._error(404, f"unknown {rec.method} {rec.path}")

    def _intent(self, rec: Seen, rest: str) -> tuple[int, dict]:
        pid, _, action = rest.partition("/")
        intent = self.intents.get(pid)
        if intent is None:
            return self._error(404, "no such payment_intent")
        if rec.method == "GET" and not action:
            return 200, intent
        if rec.method == "POST" and action == "capture":
            if intent["status"] != "requires_capture":
                return self._error(400, f"this PaymentIntent is {intent['status']}: it cannot be captured")
            amount = int(rec.form.get("amount_to_capture") or intent["amount_capturable"])
            if amount > intent["amount_capturable"] or amount <= 0:
                return self._error(400, "amount_to_capture is more than the amount capturable")
            intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
            return 200, intent
        if rec.method == "POST" and action == "cancel":
            if intent["status"] not in ("requires_capture", "requires_payment_method", "requires_action"):
                return self._error(400, f"this PaymentIntent is {intent['status']}: it cannot be canceled")
            intent.update(
                status="canceled", amount_capturable=0, cancellation_reason=rec.form.get("cancellation_reason")
            )
            return 200, intent
        return self._error(404, f"unknown {rec.method} payment_intents/{rest}")

    def _create_session(self, form: dict) -> dict:
        n = next(self._ids)
        lines = form.get("line_items", [])
        amount = sum(int(li["price_data"]["unit_amount"]) * int(li["quantity"]) for li in lines)
        currency = {li["price_data"]["currency"] for li in lines}
        sid = f"cs_test_{n:04d}"
        session = {
            "id": sid,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "url": f"https://checkout.stripe.com/c/pay/{sid}",
            "amount_total": amount,
            "currency": currency.pop() if len(currency) == 1 else "mixed",
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "metadata": form.get("metadata", {}),
            "client_reference_id": form.get("client_reference_id"),
            "expires_at": int(form.get("expires_at") or 0),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "line_items_sent": lines,
            "payment_intent_data": form.get("payment_intent_data", {}),
        }
        self.sessions[sid] = session
        return session

    # ---- what Stripe would do when the buyer pays -------------------------------------------------------
    def pay(self, session_id: str, amount: int | None = None, currency: str | None = None) -> dict:
        """The buyer pays on Stripe's page. A manual-capture session completes "unpaid" with its payment intent
        holding the amount (``requires_capture``), as Stripe does."""
        session = self.sessions[session_id]
        manual = (session.get("payment_intent_data") or {}).get("capture_method") == "manual"
        session["status"] = "complete"
        session["payment_status"] = "unpaid" if manual else "paid"
        session["payment_intent"] = session["payment_intent"] or f"pi_test_{session_id[-4:]}"
        if amount is not None:
            session["amount_total"] = amount
        if currency is not None:
            session["currency"] = currency
        self.intents[session["payment_intent"]] = {
            "id": session["payment_intent"],
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": session["amount_total"] if manual else 0,
            "amount_received": 0 if manual else session["amount_total"],
            "currency": session["currency"],
            "capture_method": "manual" if manual else "automatic",
            "status": "requires_capture" if manual else "succeeded",
            "metadata": (session.get("payment_intent_data") or {}).get("metadata", {}),
        }
        return dict(session)

    def intent_for(self, session_id: str) -> dict:
        return dict(self.intents[self.sessions[session_id]["payment_intent"]])

    def charge_for(self, session_id: str, refunded: int | None = None, with_metadata: bool = True) -> dict:
        session = self.sessions[session_id]
        amount = session["amount_total"]
        meta = (session.get("payment_intent_data") or {}).get("metadata", {}) if with_metadata else {}
        return {
            "id": f"ch_test_{session_id[-4:]}",
            "object": "charge",
            "amount": amount,
            "amount_refunded": amount if refunded is None else refunded,
            "refunded": refunded is None or refunded >= amount,
            "currency": "vnd",
            "payment_intent": session["payment_intent"] or f"pi_test_{session_id[-4:]}",
            "metadata": meta,
        }


def stripe_event(event_type: str, obj: dict, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or f"evt_{event_type.replace('.', '_')}_{obj.get('id')}",
        "object": "event",
        "type": event_type,
        "api_version": "2025-01-01",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None},
    }


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)

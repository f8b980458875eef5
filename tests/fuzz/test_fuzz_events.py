"""Hypothesis fuzzes every Socket.IO event the server handles (every namespace, enumerated from the server's
own handler table, so events added later are fuzzed too), as every role, joined to a live session or not:
the answer is always a well-formed ack ``{ok: true, …}`` or ``{ok: false, error, message}`` with a known error
word, the socket stays usable, and nothing is logged as an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.accounts.tokens import issue_token
from tests.fuzz.conftest import EVENT_EXAMPLES, deep, fresh_limits, fuzz_settings, hostile_json, hostile_text
from tests.world import ROLES

ERROR_WORDS = {
    "not_logged_in",
    "forbidden",
    "invalid",
    "sold_out",
    "limit_exceeded",
    "offer_closed",
    "session_not_live",
    "muted",
    "rate_limited",
    "unavailable",
    "not_found",
}
KEYS = [
    "session_id",
    "offer_id",
    "qty",
    "key",
    "text",
    "product_id",
    "price_vnd",
    "quantity",
    "per_buyer_limit",
    "message_id",
    "user_id",
    "minutes",
    "phone",
    "name",
]
NO_ACK = {"heart"}  # fire-and-forget by the protocol


def events() -> dict[str, list[str]]:
    from market.extensions import socketio

    out = {}
    for namespace, handlers in socketio.server.handlers.items():
        names = sorted(e for e in handlers if e not in ("connect", "disconnect", "*"))
        if names:
            out[namespace] = names
    return out


def payloads(world):
    ids = world.ids
    real = st.sampled_from([ids["live_a"], ids["live_b"], ids["offer_a"], ids["product_a"], ids["buyer_a_id"]])
    value = st.one_of(real, hostile_json(6), st.integers(min_value=-(2**64), max_value=2**64))
    shaped = st.dictionaries(st.sampled_from(KEYS), value, max_size=6)
    return st.one_of(
        shaped,
        hostile_json(),
        st.sampled_from(
            [
                None,
                [],
                "",
                0,
                deep(200),
                {"text": "x" * 100_000},
                {"text": "\x00"},
                {"text": "\ud800 hỏng"},
                {"key": "k" * 10_000, "qty": 1, "offer_id": 1},
            ]
        ),
        st.dictionaries(hostile_text(20), value, max_size=4),
    )


def test_every_socket_event_with_hostile_payloads(app, world, socket_client, log_watch):
    table = events()
    assert {"join", "order", "chat", "heart", "pin", "close_offer", "end", "remove_chat", "mute"} <= set(
        table.get("/live", [])
    )
    sockets: dict[tuple, object] = {}

    def socket_for(role, namespace):
        if (role, namespace) not in sockets:
            user = world.user(role)
            if namespace == "/notify" and user is None:
                return None  # anonymous sockets are refused there by design
            sockets[(role, namespace)] = socket_client(
                namespace=namespace, auth={"token": issue_token(user)} if user else None
            )
        return sockets[(role, namespace)]

    for namespace, names in table.items():
        for event in names:

            @fuzz_settings(EVENT_EXAMPLES)
            @given(
                role=st.sampled_from(ROLES),
                joined=st.booleans(),
                payload=payloads(world),
                extra=st.lists(hostile_json(3), max_size=2),
            )
            def example(role, joined, payload, extra):
                sock = socket_for(role, namespace)
                if sock is None:
                    return
                with fresh_limits():
                    if namespace == "/live" and joined:
                        sock.call("join", {"session_id": world.ids["live_a"]})
                    if event in NO_ACK:
                        sock.emit(event, payload, *extra)
                        ack = None
                    else:
                        ack = sock.emit(event, payload, *extra, callback=True)
                what = f"{role} {namespace} {event} {str(payload)[:200]!r}"
                assert not log_watch.bad, f"{what}: logged {log_watch.bad[:3]}"
                if event in NO_ACK:
                    return
                assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (what, ack)
                if not ack["ok"]:
                    assert ack.get("error") in ERROR_WORDS, (what, ack)
                    assert isinstance(ack.get("message"), str) and ack["message"], (what, ack)
                assert sock.is_connected(), what
                sock.received()  # drain what the room sent meanwhile

            example()


# Every id a /live event reads, a real one of its kind (world.ids), who sends it, and what else the event needs to
# reach the id's check.
ID_FIELDS = [
    ("join", "session_id", "live_a", "buyer_a", {}),
    ("order", "offer_id", "offer_a", "buyer_a", {"qty": 1, "key": "fuzz-bad-id"}),
    ("pin", "product_id", "product_a", "seller_a", {"price_vnd": 79_000, "quantity": 1}),
    ("close_offer", "offer_id", "offer_a", "seller_a", {}),
    ("remove_chat", "message_id", "chat_a", "seller_a", {}),
    ("mute", "user_id", "buyer_b_id", "seller_a", {"minutes": 5}),
    (
        "phone_order",
        "offer_id",
        "offer_a",
        "seller_a",
        {
            "phone": "0912 345 678",
            "name": "Chị Lan",
            "street": "Thôn 3",
            "commune": "Ea Knuếc",
            "province": "Đắk Lắk",
            "qty": 1,
            "method": "cod",
            "key": "fuzz-bad-id",
        },
    ),
]
# Not ids: a bool (an int in Python), 0, negatives, past a 32-bit column (an overflow on PostgreSQL), a float or
# its text, digits int() refuses ("²") or that are not ASCII, text at all (the protocol's ids are JSON numbers),
# containers.
BAD_IDS = [True, False, 0, -1, 2**31, 2**63, 10**40, 1.0, "1.0", "²", "١٢", " 1", "", "-1", None, [1], {"id": 1}]


@pytest.mark.parametrize(
    ("event", "name", "real", "role", "rest"), ID_FIELDS, ids=[f"{f[0]}.{f[1]}" for f in ID_FIELDS]
)
def test_every_id_a_socket_event_reads_is_refused_alike(world, socket_client, log_watch, event, name, real, role, rest):
    """``domain.parse_id`` is the one reading of an id, on sockets as in forms and the JSON API (here with
    ``text=False``): whatever it refuses is the same ``invalid`` ack for every event (never a database error,
    never a crash)."""
    sock = socket_client(auth={"token": issue_token(world.user(role))})
    for bad in [*BAD_IDS, str(world.ids[real])]:  # a real id written as text too
        with fresh_limits():
            if event != "join":
                assert sock.call("join", {"session_id": world.ids["live_a"]})["ok"]
            ack = sock.call(event, {**rest, name: bad})
        assert ack["ok"] is False and ack["error"] == "invalid", (bad, ack)
        assert ack.get("field", name) == name, (bad, ack)  # refused for the id, not for something else
        assert isinstance(ack["message"], str) and ack["message"], (bad, ack)
        assert not log_watch.bad, (bad, log_watch.bad[:3])

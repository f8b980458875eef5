"""The join snapshot's JSON encoded once per room change and spliced into every joiner's ack (``encoded.py``,
``snapshot.Shared``): the ack's text must stay byte for byte what encoding the whole dict gives, each joiner
must get its own ``you`` and viewers count, and a change between two joins must reach the second."""

import json

import pytest
from socketio import packet

from market.accounts.tokens import issue_token
from market.extensions import db
from market.live import chat
from market.live.encoded import _MARK as MARK
from market.live.encoded import Encoded, Packet


def plain(data) -> str:
    """What python-socketio's own packet makes of ``data`` (an ack to the /live namespace)."""
    return packet.Packet(packet.ACK, namespace="/live", id=7, data=data).encode()


def spliced(data) -> str:
    return Packet(packet.ACK, namespace="/live", id=7, data=data).encode()


def test_encoded_values_are_spliced_as_they_stand():
    inner = {"chat": [{"text": 'Còn "hàng" không? \\ \u2028 ' + MARK, "at": None}], "n": [1, 2.5, True]}
    other = ["Ea Knuếc", {"a": None}]
    data = [{"ok": True, "snapshot": Encoded(json.dumps(inner, separators=(",", ":"))), "x": MARK}]
    data[0]["more"] = Encoded(json.dumps(other, separators=(",", ":")))
    assert spliced(data) == plain([{"ok": True, "snapshot": inner, "x": MARK, "more": other}])
    assert spliced([{"ok": False, "error": "invalid"}]) == plain([{"ok": False, "error": "invalid"}])
    with pytest.raises(TypeError):
        spliced([{"x": object()}])


@pytest.fixture
def acks(monkeypatch):
    """The text of every ack the server encodes from now on, as it goes on the wire."""
    texts: list[str] = []
    real = Packet.encode

    def spy(pkt):
        text = real(pkt)
        if pkt.packet_type == packet.ACK:
            texts.append(text)
        return text

    monkeypatch.setattr(Packet, "encode", spy)
    return texts


def data_of(ack_text: str) -> str:
    """An ack packet's data (after its type, namespace and id)."""
    return ack_text[ack_text.index("[") :]


def snapshot_of(ack_text: str) -> dict:
    return json.loads(data_of(ack_text))[0]["snapshot"]


def test_joiners_share_the_snapshot_and_get_their_own_you(socket_client, make_offer, make_user, acks):
    offer = make_offer(quantity=50)
    session = offer.session
    writer = make_user(name="Hoàng Thị Hoa")
    chat.post_chat(session, writer, "Còn hàng không chị? \u2028 ok")
    db.session.commit()
    buyer = make_user(name="Lan")
    anonymous = socket_client()
    logged_in = socket_client(auth={"token": issue_token(buyer)})
    host = socket_client(auth={"token": issue_token(session.seller.user)})
    del acks[:]  # the connects' own
    first = anonymous.call("join", {"session_id": session.id})
    second = logged_in.call("join", {"session_id": session.id})
    third = host.call("join", {"session_id": session.id})
    assert len(acks) == 3
    for text, ack in zip(acks, (first, second, third), strict=True):  # byte for byte python-socketio's encoding
        assert data_of(text) == data_of(plain([ack])) and ack["ok"] is True
    snaps = [snapshot_of(text) for text in acks]
    assert [s["viewers"] for s in snaps] == [1, 2, 3]
    assert snaps[0]["you"] == {"user_id": None, "logged_in": False, "is_host": False, "can_moderate": False}
    assert snaps[1]["you"] == {"user_id": buyer.id, "logged_in": True, "is_host": False, "can_moderate": False}
    assert snaps[2]["you"]["user_id"] == session.seller.user_id and snaps[2]["you"]["is_host"] is True
    heads = {text[: text.index('"viewers":')] for text in acks}
    assert len(heads) == 1  # everything before the per-joiner keys is the same text
    assert [c["text"] for c in snaps[0]["chat"]] == ["Còn hàng không chị? \u2028 ok"]
    assert list(snaps[0]) == ["session", "offers", "chat", "viewers", "hearts", "you"]


def test_a_change_between_two_joins_reaches_the_second(socket_client, make_offer, make_user, acks):
    offer = make_offer(quantity=50)
    session = offer.session
    writer = make_user(name="Lan")
    early, late = socket_client(), socket_client()
    talker = socket_client(auth={"token": issue_token(writer)})
    assert early.call("join", {"session_id": session.id})["snapshot"]["chat"] == []
    assert talker.call("join", {"session_id": session.id})["ok"]
    assert talker.call("chat", {"text": "Chốt đơn nha"})["ok"]
    snap = late.call("join", {"session_id": session.id})["snapshot"]
    assert [c["text"] for c in snap["chat"]] == ["Chốt đơn nha"]
    assert snap["viewers"] == 3
    assert data_of(acks[-1]) == data_of(plain([{"ok": True, "snapshot": snap}]))

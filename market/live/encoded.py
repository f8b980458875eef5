"""JSON encoded once and spliced into the packets of many sockets: the join snapshot.

A crowd joining one room gets the same snapshot (the session, its offers, the last 50 chat messages: ~12 kB of
JSON) in every join's ack. python-socketio walks an ack's data once to look for binary parts and json-encodes
it once per packet, so each joiner cost a walk and an encoding of the whole snapshot (~190 µs here, measured in
docs/performance.md, "The join path"). ``Encoded`` carries text already encoded: the walk does not enter it
(it is not a list, dict or bytes), and the server's packets (``install``) write its text where it stands in
place of encoding it again. The packet's text is byte for byte what encoding the equivalent dict gives.
"""

from __future__ import annotations

import functools
import json
import secrets
from typing import Any

from engineio import json as eio_json
from socketio import packet as sio_packet

# What an ``Encoded`` is encoded as before its text replaces it: unguessable; should a string of the data be
# this very mark (the split finds more marks than values), the data is encoded again with a fresh one.
_MARK = f"\x00encoded-{secrets.token_hex(8)}"


class Encoded:
    """A JSON value encoded already (``text``), as it will stand in a packet."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` that writes each ``Encoded`` as its text (python-socketio passes ``separators``)."""
    mark = _MARK
    while True:
        parts: list[str] = []
        text = json.dumps(obj, default=functools.partial(_stand_in, parts, mark), **kwargs)
        if not parts:
            return text
        pieces = text.split(json.dumps(mark))
        if len(pieces) == len(parts) + 1:
            out = [pieces[0]]
            for part, piece in zip(parts, pieces[1:], strict=True):
                out += (part, piece)
            return "".join(out)
        mark = f"\x00encoded-{secrets.token_hex(8)}"


def _stand_in(parts: list[str], mark: str, value: object) -> str:
    """(``json.dumps``'s ``default``) the mark in place of an ``Encoded``, whose text is kept in ``parts``."""
    if isinstance(value, Encoded):
        parts.append(value.text)
        return mark
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


class _Json:
    """The json "module" of this server's packets: ``dumps`` above, python-engineio's ``loads``."""

    dumps = staticmethod(dumps)
    loads = staticmethod(eio_json.loads)


class Packet(sio_packet.Packet):  # type: ignore[misc]  # python-socketio has no types
    json = _Json


def install(server: Any) -> None:
    """This python-socketio ``server``'s packets encode ``Encoded`` values (its own packet class: other servers
    and clients in the process keep python-socketio's)."""
    server.packet_class = Packet

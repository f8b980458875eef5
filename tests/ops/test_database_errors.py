"""A database failure in a socket handler is an answer (``unavailable``), never a logged exception."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        PoolTimeout("QueuePool limit of size 10 overflow 30 reached"),
    ],
)
def test_live_connect_when_the_database_fails(app, socket_client, monkeypatch, caplog, error):
    from market.live import events

    def down(_auth):
        raise error

    monkeypatch.setattr(events, "authenticate_connection", down)
    caplog.set_level(logging.WARNING)
    sock = socket_client()
    assert not sock.is_connected()  # refused for now ("unavailable"): the page connects again shortly
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("database unavailable" in r.getMessage() for r in caplog.records)

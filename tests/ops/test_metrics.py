"""/metrics reports what the issue lists: sockets connected per process, and the broadcast lag of live rooms."""

from __future__ import annotations

import re

from market.accounts.tokens import issue_token


def _value(body: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$", body, re.M)
    return float(match.group(1)) if match else 0.0


def test_sockets_connected_go_up_and_down(client, socket_client, make_user):
    gauge = "chophien_sockets_connected"
    before = {
        ns: _value(client.get("/metrics").get_data(as_text=True), gauge, f'{{namespace="{ns}"}}')
        for ns in ("/live", "/notify")
    }
    live = socket_client()
    notify = socket_client(namespace="/notify", auth={"token": issue_token(make_user())})
    body = client.get("/metrics").get_data(as_text=True)
    assert _value(body, gauge, '{namespace="/live"}') == before["/live"] + 1
    assert _value(body, gauge, '{namespace="/notify"}') == before["/notify"] + 1
    live.disconnect()
    notify.disconnect()
    body = client.get("/metrics").get_data(as_text=True)
    assert _value(body, gauge, '{namespace="/live"}') == before["/live"]
    assert _value(body, gauge, '{namespace="/notify"}') == before["/notify"]


def test_broadcast_lag_is_observed(app, client, socket_client, make_live_session, make_seller):
    from market.live.hub import hub
    from market.live.tasks import tick

    hub.reset()
    session = make_live_session(make_seller(is_kol=True))
    viewer = socket_client()
    assert viewer.call("join", {"session_id": session.id})["ok"]
    count = "chophien_broadcast_lag_seconds_count"
    before = _value(client.get("/metrics").get_data(as_text=True), count)
    hub.mark_dirty(session.id)
    tick(app)
    assert _value(client.get("/metrics").get_data(as_text=True), count) == before + 1
    hub.reset()

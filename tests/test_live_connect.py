"""The /live namespace accepts the browser cookie or an API token (the live issue builds the rest)."""

import pytest

from market.accounts.tokens import issue_token
from market.live import connection
from tests.conftest import login_as


def test_anonymous_viewer_may_connect(socket_client):
    sc = socket_client()
    assert sc.is_connected()
    assert connection.connections()[sc.sid]["user_id"] is None
    sid = sc.sid
    sc.disconnect()
    assert sid not in connection.connections()


def test_token_connects(socket_client, make_user):
    user = make_user()
    sc = socket_client(auth={"token": issue_token(user)})
    assert sc.is_connected()
    assert connection.connections()[sc.sid]["user_id"] == user.id


@pytest.mark.parametrize("token", ["garbage", 123, "x" * 5000])
def test_bad_token_is_refused(socket_client, token):
    assert not socket_client(auth={"token": token}).is_connected()


def test_cookie_user_is_known(client, socket_client, make_user):
    user = make_user()
    login_as(client, user)
    sc = socket_client(client)
    assert connection.connections()[sc.sid]["user_id"] == user.id

"""Socket.IO "/live" namespace. Each handler's docstring says who sends the event."""

from __future__ import annotations

from market.extensions import socketio
from market.live.connection import NAMESPACE, authenticate_connection, forget_connection


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    """Any browser or client opening the live namespace; anonymous viewers may watch."""
    authenticate_connection(auth)
    return True


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_args):
    """Sent by Socket.IO when a socket closes, whoever it was."""
    forget_connection()

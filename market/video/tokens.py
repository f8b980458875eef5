"""Signed tokens of the live video: the host's publish token, and the resources (``Location``) of a publish and a
viewer's subscription.

1. A publish token is ``{s: session id, u: host's user id, v: auth_version}`` signed with SECRET_KEY (salt of its
   own), good for ``VIDEO_PUBLISH_TOKEN_MINUTES`` (10). Issued only to the session's host for a session that is
   scheduled or live; checked again in full when used (``service.check_publish_token``): logging out, a ban or a
   password change (auth_version) kills it, and so does the session ending.
2. A resource is the capability to keep alive, change or end ONE publish or subscription; it names the session,
   the media server's ids and (for a publish) its generation. It is signed, so nobody forges another viewer's
   or the host's. It carries Janus ids, not secrets: the API secret never leaves the app.
3. Reading never touches the database and never raises: a bad, expired or foreign token reads as ``None`` (or
   the reason, for the publish token, so the host is told what to do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

if TYPE_CHECKING:
    from market.accounts.models import User

PUBLISH_SALT = "chophien-video-publish-v1"
RESOURCE_SALT = "chophien-video-resource-v1"
MAX_TOKEN = 600  # characters; a real one is about 120
RESOURCE_MAX_AGE = 24 * 3600  # a stream outlives the publish token; nobody streams a day


@dataclass(frozen=True)
class PublishClaim:
    session_id: int
    user_id: int
    auth_version: object


class BadToken(Exception):
    """A publish token that cannot be used: ``reason`` is ``expired`` or ``invalid``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def issue_publish_token(session_id: int, user: User) -> str:
    return _serializer(PUBLISH_SALT).dumps({"s": session_id, "u": user.id, "v": user.auth_version})


def publish_token_max_age() -> int:
    return int(current_app.config.get("VIDEO_PUBLISH_TOKEN_MINUTES") or 10) * 60


def read_publish_token(token: object) -> PublishClaim:
    """The claim of a well-signed, unexpired token; ``BadToken`` otherwise (the caller checks the claim)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise BadToken("invalid")
    try:
        data = _serializer(PUBLISH_SALT).loads(token, max_age=publish_token_max_age())
    except SignatureExpired:
        raise BadToken("expired") from None
    except BadSignature:
        raise BadToken("invalid") from None
    if not isinstance(data, dict) or not _is_id(data.get("s")) or not _is_id(data.get("u")):
        raise BadToken("invalid")
    return PublishClaim(session_id=data["s"], user_id=data["u"], auth_version=data.get("v"))


def bearer(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip() or None


def make_resource(kind: str, **fields: int) -> str:
    """``kind`` is ``pub`` or ``sub``; fields are small integers (session, Janus session, handle, generation …)."""
    return _serializer(RESOURCE_SALT).dumps({"k": kind, **fields})


def read_resource(token: object, kind: str, session_id: int) -> dict[str, Any] | None:
    """The fields of a resource of ``kind`` for ``session_id``; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    try:
        data = _serializer(RESOURCE_SALT).loads(token, max_age=RESOURCE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") != kind or data.get("s") != session_id:
        return None
    if not all(
        _is_id(v) or (isinstance(v, int) and not isinstance(v, bool) and v == 0) for k, v in data.items() if k != "k"
    ):
        return None
    return data

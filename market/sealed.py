"""Secrets kept in the database (a shop's carrier token, the Zalo OA tokens), sealed: Fernet (AES-128-CBC +
HMAC-SHA256, from ``cryptography``) with a key derived from the app's SECRET_KEY by HKDF-SHA256, so the
database alone (a dump, a backup) gives none of them away. Changing SECRET_KEY makes old ones unreadable
(``unseal`` → None): the shop connects its carrier again, the Zalo tokens are taken from the environment."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_SALT = b"chophien/sealed-secrets"


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"fernet v1").derive(
        secret.encode() if isinstance(secret, str) else secret
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str) -> str | None:
    """The text, or None when it was sealed under another SECRET_KEY (or tampered with)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None

"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@cache
def _hasher(cost: str) -> PasswordHasher:
    if cost == "fast":  # tests and bulk demo accounts only
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # RFC 9106 low-memory profile


def _current() -> PasswordHasher:
    return _hasher(current_app.config.get("PASSWORD_HASH_COST", "normal"))


def hash_password(password: str) -> str:
    return _current().hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    try:
        return _current().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the phone is unknown, so that "no such user" costs as long as "wrong password".
def dummy_check(password: str) -> None:
    check_password(_dummy_hash(current_app.config.get("PASSWORD_HASH_COST", "normal")), password)


@cache
def _dummy_hash(cost: str) -> str:
    return _hasher(cost).hash("not-a-real-password")

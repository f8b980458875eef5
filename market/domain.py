"""The one exception type that services raise for a refused action.

A ``DomainError`` carries a stable code (``invalid``, ``forbidden``, ``sold_out`` …: the words clients branch on,
in the JSON API and the /live acks), a message already translated for the current user, and optionally the form
field it is about. Views turn it into a form error or a 4xx page; socket handlers into ``{ok: false, error, message}``.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field
        if status is not None:
            self.status = status

    def as_ack(self) -> dict:
        return {"ok": False, "error": self.code, "message": self.message}


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str):
        super().__init__("not_found", message, status=404)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str):
        super().__init__("forbidden", message, status=403)

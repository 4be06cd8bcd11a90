"""Domain errors: one type that views and the API both turn into a clear 4xx."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message, fields: dict | None = None, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The action is not allowed in the current state."""

    status = 409
    code = "conflict"

"""The server's own errors; the API turns each into a JSON response with its status."""

from __future__ import annotations


class ServerError(Exception):
    status = 400
    error = "bad request"

    def __init__(self, message: str | None = None, detail=None):
        super().__init__(message or self.error)
        self.message = message or self.error
        self.detail = detail


class NotFound(ServerError):
    """No such record in the caller's area (records of other areas are 'not found' too)."""
    status = 404
    error = "not found"


class Invalid(ServerError):
    """A value breaks a rule; detail names the field."""
    status = 422
    error = "invalid input"


class Conflict(ServerError):
    """The request contradicts what is stored (duplicate document, card already live...)."""
    status = 409
    error = "conflict"


class Unauthorized(ServerError):
    status = 401
    error = "not authenticated"


class Forbidden(ServerError):
    """The caller's role may not do this at all (never used to hide another area's records)."""
    status = 403
    error = "not allowed"

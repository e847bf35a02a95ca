"""The errors every domain raises, and the one map from them to HTTP answers.

A domain's service raises one of these (never ``HTTPException``); the API answers it with
its ``status_code`` and the one error body, ``{"detail": MESSAGE}`` or, when the error
names a field, ``{"detail": {"field": FIELD, "message": MESSAGE}}`` (FastAPI's own 422
answer keeps its list of issues under the same key). The web app shows the same error as
a GOV.UK error page. Messages are safe to show: they name the rule or the field, never
data the caller may not see.

    raise NotFound("no such person, or not one you may see")
    raise BadRequest("give a surname or a PNC ID", field="surname")
"""

from __future__ import annotations

from typing import Any


class LedsError(Exception):
    """Base of every error a caller is told about; ``status_code`` is its HTTP status."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        if self.field:
            return {"detail": {"field": self.field, "message": self.message}}
        return {"detail": self.message}


class BadRequest(LedsError, ValueError):
    """A request that cannot be answered as asked (400)."""

    status_code = 400


class Unauthenticated(LedsError):
    """No caller, or an unknown, expired or revoked credential (401)."""

    status_code = 401


class Forbidden(LedsError, PermissionError):
    """The caller may not do this (403); the message names the rule."""

    status_code = 403


class NotFound(LedsError, LookupError):
    """No such thing, *or* not one the caller may see: the same answer for both (404)."""

    status_code = 404


class Conflict(LedsError):
    """The request contradicts the current state (409)."""

    status_code = 409


class TooLarge(LedsError):
    """A body or value over its limit (413)."""

    status_code = 413


class Unavailable(LedsError):
    """A dependency of the answer is not ready yet, e.g. no matching model (503)."""

    status_code = 503

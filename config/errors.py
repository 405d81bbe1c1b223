"""The one error type that services raise for a refused operation.

Each error carries a machine-readable ``code`` (stable: clients and tests match on it), a message a
person can act on, optional ``extra`` details (for example the allowed transitions), and a ``kind``
that says what sort of refusal it is. Edges map it to their medium: the API turns the kind into an
HTTP status, the admin shows the message.
"""

from __future__ import annotations

from typing import Any


class ErrorKind:
    INVALID = "invalid"  # the request itself is wrong (400)
    FORBIDDEN = "forbidden"  # the user's role does not allow it (403)
    NOT_FOUND = "not_found"  # (404)
    CONFLICT = "conflict"  # the current state does not allow it (409)
    PRECONDITION_FAILED = "precondition_failed"  # the client's copy is stale (412)


class ApplicationError(Exception):
    code: str = "error"
    kind: str = ErrorKind.INVALID

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message


def refusal_message(error: Exception) -> str:
    """A service's refusal as one sentence for a person (the admin shows it), with the rules it
    gave as reasons when it gave them. A ``ValidationError``'s messages are joined."""
    from django.core.exceptions import ValidationError

    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    reasons = getattr(error, "reasons", None)
    if reasons:
        return f"{error} " + " ".join(reason.message for reason in reasons)
    return str(error)

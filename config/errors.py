"""The one error type that services raise for a refused operation.

Each error carries a machine-readable ``code`` (stable: clients and tests match on it), a message a
person can act on, and optional ``extra`` details (for example the allowed transitions). Edges map
it to their medium: the API to an HTTP status, the admin to a message.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message

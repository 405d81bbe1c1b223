"""Refusals of the review comments' services (``config.errors.ApplicationError``: the API maps the
kind to a status, the admin shows the message)."""

from __future__ import annotations

from config.errors import ApplicationError, ErrorKind


class CommentNotAllowed(ApplicationError):
    code = "comment_not_allowed"
    kind = ErrorKind.FORBIDDEN


class CommentNotFound(ApplicationError):
    code = "comment_not_found"
    kind = ErrorKind.NOT_FOUND


class CommentStateConflict(ApplicationError):
    """Resolving a resolved comment, reopening an open one, or citing a resolved one."""

    code = "comment_state_conflict"
    kind = ErrorKind.CONFLICT

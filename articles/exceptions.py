"""Errors the articles app raises for refused operations (see config.errors.ApplicationError)."""

from __future__ import annotations

from config.errors import ApplicationError, ErrorKind


class ImmutableVersionError(ApplicationError):
    code = "version_immutable"
    kind = ErrorKind.CONFLICT


class ArticleLocked(ApplicationError):
    """The article's text cannot change in its current status."""

    code = "article_locked"
    kind = ErrorKind.CONFLICT


class StaleArticle(ApplicationError):
    """The client changed an article based on an out-of-date copy (a stale ``If-Match``)."""

    code = "precondition_failed"
    kind = ErrorKind.PRECONDITION_FAILED


class ReviewInProgress(ApplicationError):
    """A change that the version in review depends on (the article's classification)."""

    code = "review_in_progress"
    kind = ErrorKind.CONFLICT

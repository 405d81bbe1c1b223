"""Errors the articles app raises for refused operations (see config.errors.ApplicationError)."""

from __future__ import annotations

from config.errors import ApplicationError


class ImmutableVersionError(ApplicationError):
    code = "version_immutable"


class ArticleLocked(ApplicationError):
    """The article's text cannot change in its current status."""

    code = "article_locked"

"""Articles and their immutable versions.

An article is the page (its slug, specialty, risk and review status); what it says lives in
``ArticleVersion`` rows, numbered 1, 2, 3... and never changed once written, so that an approval
always names exactly the text it approved. The article (its status and transitions) is in
``article``; its versions and references in ``versions``.
"""

from articles.models.article import (
    APPROVAL_LAPSED,
    IN_REVIEW,
    Article,
    ArticleQuerySet,
    ArticleStatus,
    RiskLevel,
    S,
    current_version_not_yet_decided,
    has_a_version,
    refuse_reserved_slug,
)
from articles.models.versions import (
    ArticleVersion,
    ImmutableModel,
    ImmutableQuerySet,
    Reference,
)

__all__ = [
    "APPROVAL_LAPSED",
    "IN_REVIEW",
    "Article",
    "ArticleQuerySet",
    "ArticleStatus",
    "ArticleVersion",
    "ImmutableModel",
    "ImmutableQuerySet",
    "Reference",
    "RiskLevel",
    "S",
    "current_version_not_yet_decided",
    "has_a_version",
    "refuse_reserved_slug",
]

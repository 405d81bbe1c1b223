"""Writing articles and their versions.

Every function validates everything before it writes, writes in one transaction, and records the
acting user and the reason on every history row it produces. One module per concern: ``versions``
(a version's content and adding it), ``metadata`` (creating an article, changing its metadata),
``locks`` (the article's row lock and the If-Match check under it), ``schedule`` (review dates that
follow a specialty's interval).
"""

from articles.services.locks import expect_unchanged, lock_article
from articles.services.metadata import (
    ARTICLE_METADATA_FIELDS,
    CLASSIFICATION_FIELDS,
    create_article,
    update_article,
)
from articles.services.schedule import reschedule_reviews
from articles.services.versions import (
    HUMAN_WRITTEN,
    MAX_REFERENCES,
    REFERENCE_FIELDS,
    ReferenceInput,
    append_version,
    create_version,
    reference_values,
)

__all__ = [
    "ARTICLE_METADATA_FIELDS",
    "CLASSIFICATION_FIELDS",
    "HUMAN_WRITTEN",
    "MAX_REFERENCES",
    "REFERENCE_FIELDS",
    "ReferenceInput",
    "append_version",
    "create_article",
    "create_version",
    "expect_unchanged",
    "lock_article",
    "reference_values",
    "reschedule_reviews",
    "update_article",
]

"""What can be known of a line without the database: its shape, its reason, its values as a new
article and as a version (normalised, checked as the services check them, with the content hash).

A batch is prepared before its transaction (by ``writer.import_articles`` in a worker thread while
the previous batch is being written, since this is pure Python and the writing mostly waits on the
database); what depends on the database (whether the slug exists, the article's status and
classification, its current version's number and hash) is decided in the transaction by
``writer``. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from articles.content import normalise_text
from articles.imports.checks import build_version, check_new_article
from articles.imports.lines import LineInput, read_line
from config.audit import clean_reason


@dataclass
class PreparedLine:
    line: LineInput
    reason: str  # cleaned; the import's reason when the line's own is refused
    reason_errors: dict[str, list[str]]
    article: dict[str, Any]  # its values as a new article (without specialty and creator)
    article_errors: dict[str, list[str]]
    version: dict[str, Any] | None  # as version 1, with its content hash; None when refused
    references: list[dict[str, Any]]
    version_errors: dict[str, list[str]]


@dataclass
class ShapeRefused:
    number: int
    slug: str
    errors: dict[str, list[str]]


def slug_of(raw: Any) -> str:
    slug = raw.get("slug") if isinstance(raw, Mapping) else None
    return slug if isinstance(slug, str) else ""


def prepare_batch(
    batch: list[tuple[int, Any]], *, author_id: int, reason: str
) -> list[PreparedLine | ShapeRefused]:
    prepared: list[PreparedLine | ShapeRefused] = []
    for number, raw in batch:
        line = read_line(number, raw, default_reason=reason)
        if isinstance(line, dict):
            prepared.append(ShapeRefused(number=number, slug=slug_of(raw), errors=line))
        else:
            prepared.append(prepare_line(line, author_id=author_id, default_reason=reason))
    return prepared


def prepare_line(line: LineInput, *, author_id: int, default_reason: str) -> PreparedLine:
    reason_errors: dict[str, list[str]] = {}
    try:
        line_reason = clean_reason(line.reason)
    except ValidationError as error:
        reason_errors = error.message_dict
        line_reason = default_reason
    article = {"slug": line.slug, "title": normalise_text(line.title), "risk_level": line.risk_level}
    article_errors = check_new_article(article)
    version: dict[str, Any] | None = None
    references: list[dict[str, Any]] = []
    version_errors: dict[str, list[str]] = {}
    try:
        version, references = build_version(
            number=1,
            author_id=author_id,
            title=line.title,
            body=line.body,
            change_summary=line.change_summary,
            references=line.references,
            provenance=line.provenance,
        )
    except ValidationError as error:
        version_errors = error.message_dict
    return PreparedLine(
        line=line,
        reason=line_reason,
        reason_errors=reason_errors,
        article=article,
        article_errors=article_errors,
        version=version,
        references=references,
        version_errors=version_errors,
    )

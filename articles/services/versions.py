"""Versions: building one from its content (validated, hashed as it will be stored) and adding it
to an article under the article's row lock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from articles.content import ReferenceContent, VersionContent, normalise_text
from articles.exceptions import ArticleLocked
from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion, Reference
from articles.provenance import VersionProvenance
from articles.services.locks import lock_article
from config.audit import audit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


MAX_REFERENCES = 100

ReferenceInput = ReferenceContent | Mapping[str, Any]


# Python callers (the demo, tests, scripts) that write as a person need not say so; the API asks
# every caller to declare it.
HUMAN_WRITTEN = VersionProvenance()

REFERENCE_FIELDS = ("citation", "source", "year", "url", "doi", "pmid")


def reference_values(references: Iterable[ReferenceInput]) -> list[dict[str, Any]]:
    """Each reference's field values, normalised and numbered from 1, not yet validated; a
    ValidationError when there are too many or one names an unknown field."""
    items = list(references)
    if len(items) > MAX_REFERENCES:
        raise ValidationError(
            {"references": f"A version can cite at most {MAX_REFERENCES} references."},
            code="too_many_references",
        )
    rows = []
    for position, item in enumerate(items, start=1):
        fields = vars(item) if isinstance(item, ReferenceContent) else dict(item)
        unknown = set(fields) - set(REFERENCE_FIELDS)
        if unknown:
            raise ValidationError(
                {"references": f"Reference {position} has unknown fields: {', '.join(sorted(unknown))}."},
                code="invalid_reference",
            )
        year = fields.get("year")
        rows.append(
            {
                "position": position,
                "citation": normalise_text(str(fields.get("citation") or "")),
                "source": normalise_text(str(fields.get("source") or "")),
                "year": None if year in (None, "") else year,
                "url": str(fields.get("url") or "").strip(),
                "doi": str(fields.get("doi") or "").strip(),
                "pmid": str(fields.get("pmid") or "").strip(),
            }
        )
    return rows


def _reference_rows(references: Iterable[ReferenceInput]) -> list[Reference]:
    return [Reference(**values) for values in reference_values(references)]


def _build_version(
    *,
    article: Article,
    number: int,
    author: AbstractBaseUser,
    title: str,
    body: str,
    change_summary: str,
    references: Iterable[ReferenceInput],
    provenance: VersionProvenance,
) -> tuple[ArticleVersion, list[Reference]]:
    """Validate the content and return the unsaved version and reference rows, with the version's
    content hash computed from the cleaned values (exactly what will be stored)."""
    version = ArticleVersion(
        article=article,
        number=number,
        title=normalise_text(title),
        body=normalise_text(body),
        change_summary=normalise_text(change_summary),
        author=author,
    )
    errors: dict[str, list[str]] = {}
    try:
        cleaned = provenance.cleaned()
    except ValidationError as error:
        errors.update(error.message_dict)
    else:
        version.provenance = cleaned.kind
        version.generator = cleaned.generator
        version.model_version = cleaned.model_version
        version.source_reference = cleaned.source_reference
    reference_rows = _reference_rows(references)
    try:
        version.full_clean(
            # The article and author are the caller's own objects; checking they exist costs a query.
            exclude=["article", "author", "content_hash"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    for reference in reference_rows:
        try:
            # full_clean also converts each value to its Python type (a year given as "2019"
            # becomes 2019), so the hash below sees what the database will hold.
            reference.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault("references", []).extend(
                    f"Reference {reference.position}, {field}: {message}" for message in messages
                )
    if errors:
        raise ValidationError(errors)
    version.content_hash = VersionContent(
        title=version.title,
        body=version.body,
        references=tuple(reference.content() for reference in reference_rows),
    ).sha256()
    return version, reference_rows


def _save_version(
    *, version: ArticleVersion, references: list[Reference], actor: AbstractBaseUser, reason: str
) -> ArticleVersion:
    version.save()
    for reference in references:
        reference.version = version
    if references:
        bulk_create_with_history(references, Reference, default_user=actor, default_change_reason=reason)
    return version


@transaction.atomic
def create_version(
    *,
    actor: AbstractBaseUser,
    article: Article,
    title: str,
    body: str,
    reason: str,
    change_summary: str = "",
    references: Iterable[ReferenceInput] = (),
    provenance: VersionProvenance = HUMAN_WRITTEN,
) -> ArticleVersion:
    """Add the next version of ``article`` and make it the current one.

    The article row is locked for the duration, so two versions created at once get consecutive
    numbers instead of the same one. Editors' edges call ``editorial.services.add_version``,
    which first closes a review round that is open on the article; this function refuses to
    change the text under an open review.
    """
    locked = lock_article(article.pk)
    return append_version(
        actor=actor,
        locked_article=locked,
        title=title,
        body=body,
        reason=reason,
        change_summary=change_summary,
        references=references,
        provenance=provenance,
    )


def append_version(
    *,
    actor: AbstractBaseUser,
    locked_article: Article,
    title: str,
    body: str,
    reason: str,
    change_summary: str = "",
    references: Iterable[ReferenceInput] = (),
    provenance: VersionProvenance = HUMAN_WRITTEN,
) -> ArticleVersion:
    """``create_version`` for a caller that already holds the article's row lock
    (``select_for_update`` in its own, still open, transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_version() needs the caller's transaction and its lock on the article.")
    with audit(actor=actor, reason=reason) as context:
        if locked_article.status in IN_REVIEW:
            raise ArticleLocked(
                "The article is in review; a new version must close the open review round first "
                "(editorial.services.add_version does)."
            )
        if locked_article.status == ArticleStatus.RETIRED:
            raise ArticleLocked("The article is retired; restore it before writing a new version.")
        # The current version is always the newest: versions are added only here and by the bulk
        # import, which keeps it so.
        current = locked_article.current_version
        version, reference_rows = _build_version(
            article=locked_article,
            number=(current.number if current else 0) + 1,
            author=actor,
            title=title,
            body=body,
            change_summary=change_summary,
            references=references,
            provenance=provenance,
        )
        _save_version(version=version, references=reference_rows, actor=actor, reason=context.reason)
        locked_article.current_version = version
        locked_article.save(update_fields=["current_version", "updated_at"])
    return version

"""Writing articles and their versions.

Both functions validate everything before they write, write in one transaction, and record the
acting user and the reason on every history row they produce.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from articles.content import ReferenceContent, VersionContent, normalise_text
from articles.exceptions import ArticleLocked, ReviewInProgress, StaleArticle
from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion, Reference, RiskLevel
from articles.provenance import VersionProvenance
from articles.signals import article_reclassified
from config.audit import audit, current_audit
from reviewers.models import Specialty

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
def create_article(
    *,
    actor: AbstractBaseUser,
    slug: str,
    title: str,
    specialty: Specialty,
    body: str,
    reason: str,
    risk_level: str = RiskLevel.STANDARD,
    change_summary: str = "",
    references: Iterable[ReferenceInput] = (),
    review_interval_days: int | None = None,
    provenance: VersionProvenance = HUMAN_WRITTEN,
) -> Article:
    """Create an article in draft with its first version (numbered 1) and that version's
    references. The article's working title and the version's title start out the same."""
    with audit(actor=actor, reason=reason) as context:
        article = Article(
            slug=slug,
            title=normalise_text(title),
            specialty=specialty,
            risk_level=risk_level,
            review_interval_days=review_interval_days,
            created_by=actor,
        )
        errors: dict[str, list[str]] = {}
        try:
            article.full_clean(exclude=["status"])  # the workflow owns the status
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            version, reference_rows = _build_version(
                article=article,
                number=1,
                author=actor,
                title=title,
                body=body,
                change_summary=change_summary,
                references=references,
                provenance=provenance,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)

        try:
            with transaction.atomic():
                article.save()
        except IntegrityError:
            # Another request took the slug between our check and our insert.
            raise ValidationError(
                {"slug": f"An article with the slug “{slug}” already exists."}, code="unique"
            ) from None
        version.article = article
        _save_version(version=version, references=reference_rows, actor=actor, reason=context.reason)
        article.current_version = version
        article.save(update_fields=["current_version", "updated_at"])
    return article


def lock_article(pk: int) -> Article:
    """The article, its row locked until the caller's transaction ends: every change to an
    article or its review takes this lock first."""
    # No joins here: when this statement has to wait for the lock, PostgreSQL re-reads the article
    # row once it is free, but a joined row would still come from before the wait. Related rows
    # are read by later statements, which see everything committed by then.
    return Article.objects.select_for_update().get(pk=pk)


@contextmanager
def expect_unchanged(article: Article, expected_etags: Sequence[str] | None) -> Iterator[Article]:
    """Run the block in a transaction holding the article's row lock, provided the article still
    has one of ``expected_etags`` (from an HTTP ``If-Match``; ``"*"`` matches any, None means the
    client set no condition); else raise ``StaleArticle`` (412) before the block runs.

    Yields the locked article. The check and the change it guards happen under one lock in one
    transaction, so a change committed by someone else in between cannot slip through. Services
    called in the block may open their own atomic blocks and take the same lock again.
    """
    with transaction.atomic():
        locked = lock_article(article.pk)
        if expected_etags is not None and "*" not in expected_etags and locked.etag() not in expected_etags:
            raise StaleArticle(
                "The article has changed since you read it. Fetch it again and reapply your change.",
                extra={"etag": locked.etag()},
            )
        yield locked


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
        # The current version is always the newest: only this module adds versions.
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


ARTICLE_METADATA_FIELDS = ("title", "specialty", "risk_level", "review_interval_days")
# The metadata that decides who must review an article and how many approvals it needs.
CLASSIFICATION_FIELDS = ("specialty", "risk_level")


@transaction.atomic
def update_article(
    *,
    actor: AbstractBaseUser,
    article: Article,
    reason: str,
    expected_etags: Sequence[str] | None = None,
    **changes: Any,
) -> Article:
    """Change an article's metadata (title, specialty, risk level, review interval).

    The text is never changed here: that takes a new version.

    The specialty and the risk level decide who must review and how many approvals are needed,
    so they cannot change while a version is in review (``ReviewInProgress``). Changed at any
    other time, they are sent out as ``article_reclassified``: the review workflow then checks
    that the published approval still meets the rules of the new classification, and withdraws
    it to a re-review when it does not.

    A new review interval reschedules the published approval while it stands, earlier or later
    (an approval that has lapsed or is already overdue is not revived by a longer interval).

    ``expected_etags`` (from an HTTP ``If-Match``): when given, the change is refused unless the
    article, read under its lock, still has one of these ETags (``"*"``: any).
    """
    unknown = set(changes) - set(ARTICLE_METADATA_FIELDS)
    if unknown:
        raise ValidationError(
            {field: "This field cannot be changed here." for field in sorted(unknown)},
            code="not_editable",
        )
    with audit(actor=actor, reason=reason), expect_unchanged(article, expected_etags) as locked:
        now = timezone.now()
        approval_stood = locked.shows_approval(now)
        before = {"specialty": locked.specialty, "risk_level": locked.get_risk_level_display()}
        for field, value in changes.items():
            setattr(locked, field, normalise_text(value) if field == "title" else value)
        after = {"specialty": locked.specialty, "risk_level": locked.get_risk_level_display()}
        reclassified = {
            field: (before[field], after[field]) for field in before if before[field] != after[field]
        }
        if reclassified and locked.status in IN_REVIEW:
            version = locked.current_version.number if locked.current_version_id else None
            raise ReviewInProgress(
                "The specialty and the risk level decide who must review this article and how many "
                f"approvals it needs, so they cannot change while version {version} is in review. "
                "Withdraw it from review, make the change, and submit it again.",
                extra={"status": locked.status},
            )
        locked.full_clean(exclude=["status"])
        if approval_stood:
            locked.schedule_next_review()
        locked.save()
        if reclassified:
            article_reclassified.send(
                sender=Article,
                article=locked,
                changes={field: (str(old), str(new)) for field, (old, new) in reclassified.items()},
            )
    return locked


@transaction.atomic
def reschedule_reviews(*, specialty: Specialty) -> int:
    """Move the review dates of the standing approvals of ``specialty``'s articles (those without
    an interval of their own) to the specialty's interval as it is now, earlier or later, each
    with a history row; returns how many moved. Called when a specialty is saved."""
    now = timezone.now()
    articles = list(
        Article.objects.showing_approval(now)
        .filter(specialty=specialty, review_interval_days__isnull=True)
        .select_for_update()
        .order_by("pk")
    )
    moved = []
    for article in articles:
        article.specialty = specialty
        due = article.last_reviewed_at + article.review_interval()
        if due != article.review_due_at:
            article.review_due_at, article.updated_at = due, now
            moved.append(article)
    if moved:
        context = current_audit()
        days = specialty.review_interval_days or settings.REVIEW_INTERVAL_DAYS
        bulk_update_with_history(
            moved,
            Article,
            ["review_due_at", "updated_at"],
            default_user=context.actor if context else None,
            default_change_reason=(
                context.reason if context else f"Review interval of {specialty.name} is now {days} days"
            ),
            default_date=now,
        )
    return len(moved)

"""Articles: creating one with its first version, and changing its metadata."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.content import normalise_text
from articles.exceptions import ReviewInProgress
from articles.models import IN_REVIEW, Article, RiskLevel
from articles.provenance import VersionProvenance
from articles.services.locks import expect_unchanged
from articles.services.versions import HUMAN_WRITTEN, ReferenceInput, _build_version, _save_version
from articles.signals import article_reclassified
from config.audit import audit
from reviewers.models import Specialty

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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

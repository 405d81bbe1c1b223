"""Editors' steps on a review round: submit a version, withdraw it, write a newer one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion
from articles.provenance import VersionProvenance
from articles.services import HUMAN_WRITTEN, ReferenceInput, append_version, lock_article
from config.audit import audit
from editorial import eligibility
from editorial.models import (
    ReviewRound,
    RoundOutcome,
    RoundTrigger,
)
from editorial.services.common import (
    close_round,
    lock_open_round,
    require_editor,
    run_transition,
    save_status,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def submit(*, actor: AbstractBaseUser, article: Article, reason: str) -> ReviewRound:
    """Submit the article's current version for review: opens a round that needs the approvals
    its risk level requires, with the published version as the base its diff is against. An
    expired article's approved text can be submitted again as it is (a re-review); otherwise the
    version must be newer than the last one decided on."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        re_review = (
            article.status == ArticleStatus.EXPIRED
            and article.current_version_id == article.published_version_id
        )
        run_transition(article, "submit", actor)
        round = ReviewRound.objects.create(
            article=article,
            version_id=article.current_version_id,
            # What the reviewers compare against, kept with the round: the text published now
            # (for a re-review, the version itself). Later publications do not move it.
            base_version_id=article.published_version_id,
            trigger=RoundTrigger.RE_REVIEW if re_review else RoundTrigger.SUBMISSION,
            opened_by=actor,
            opened_at=timezone.now(),
            required_approvals=eligibility.required_approvals(article),
        )
        save_status(article)
        # The review comments app builds on this one, so it is imported here, not at the top.
        from editorial.comments.services import carry_forward

        carry_forward(round)
    return round


@transaction.atomic
def withdraw(*, actor: AbstractBaseUser, article: Article, reason: str) -> ReviewRound:
    """Take the article out of review: the round closes as withdrawn, open assignments are
    cancelled and the article returns to draft."""
    with audit(actor=actor, reason=reason):
        article = lock_article(article.pk)
        run_transition(article, "withdraw", actor)
        round = lock_open_round(article)
        close_round(round, RoundOutcome.WITHDRAWN, timezone.now())
        save_status(article)
    return round


@transaction.atomic
def add_version(
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
    """Write the article's next version. If a version is in review, that round closes as
    superseded, its open assignments are cancelled and the article returns to draft."""
    require_editor(actor, "write new versions")
    with audit(actor=actor, reason=reason) as context:
        locked = lock_article(article.pk)
        if locked.status in IN_REVIEW:
            round = lock_open_round(locked)
            run_transition(locked, "supersede", actor)
            close_round(round, RoundOutcome.SUPERSEDED, timezone.now())
            save_status(locked)
        version = append_version(
            actor=actor,
            locked_article=locked,
            title=title,
            body=body,
            change_summary=change_summary,
            references=references,
            provenance=provenance,
            reason=context.reason,
        )
    return version

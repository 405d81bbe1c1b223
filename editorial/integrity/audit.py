"""``verify_approvals``: every article that shows an approval, re-checked from the stored records.

For each article whose public page carries the "approved" badge it checks that:

- a review round approved the version the site shows (``no_approving_round``);
- the stored text still hashes to the version's content hash (``text_tampered``), and every
  approval names that hash (``text_changed``);
- every approval that counts passes the approval rules of ``editorial.eligibility`` for the
  article as it is now (a conflict of interest in force, authorship, the specialty it was given
  under, a specialist or an override), and its reviewer was an active member with current
  credentials when they decided, by the board record's history (``inactive_when_deciding``,
  ``credentials_lapsed_when_deciding``);
- the approvals that count are enough for the article's risk level now, with a specialist among
  them when it is high (``quorum``, ``needs_specialist``).

The workflow keeps all of this true as it goes; the audit is the independent check that it did,
and finds what only a change outside the application (a database edit) could cause. Articles are
read in chunks with a fixed number of queries each.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import Article, ArticleVersion
from editorial import eligibility
from editorial.exceptions import IneligibilityReason
from editorial.models import ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import BoardMember
from reviewers.roles import Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Violation:
    article_id: int
    slug: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.slug}: {self.rule}: {self.detail}"


@dataclass
class AuditReport:
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)


def verify_approvals(*, now: datetime.datetime | None = None, chunk_size: int = 500) -> AuditReport:
    """Check every article that shows an approval at ``now``; returns how many were checked and
    every violation found."""
    now = now or timezone.now()
    report = AuditReport()
    ids = list(Article.objects.showing_approval(now).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        report.checked += len(chunk)
        report.violations.extend(_check(chunk, today=timezone.localdate(now)))
    return report


def _check(article_ids: Iterable[int], *, today: datetime.date) -> Iterator[Violation]:
    articles = {
        article.pk: article
        for article in Article.objects.filter(pk__in=article_ids).select_related("specialty")
    }
    versions = ArticleVersion.objects.prefetch_related("references").in_bulk(
        [article.published_version_id for article in articles.values()]
    )
    rounds: dict[int, ReviewRound] = {}
    for round in ReviewRound.objects.filter(
        article_id__in=articles, outcome=RoundOutcome.APPROVED, version_id=F("article__published_version_id")
    ).order_by("article_id", "-closed_at", "-pk"):
        rounds.setdefault(round.article_id, round)
    approvals: dict[int, list[ReviewAssignment]] = defaultdict(list)
    for approval in eligibility.approvals_with_standing(
        ReviewAssignment.objects.standing_approvals()
        .filter(round_id__in=[round.pk for round in rounds.values()])
        .order_by("round_id", "decided_at", "pk"),
        today=today,
    ):
        approvals[approval.round_id].append(approval)
    authors: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for article_id, number, author_id in ArticleVersion.objects.filter(article_id__in=articles).values_list(
        "article_id", "number", "author_id"
    ):
        authors[article_id].append((number, author_id))
    standing = _standing_history({a.reviewer_id for group in approvals.values() for a in group})

    for article_id in sorted(articles):
        article = articles[article_id]
        version = versions[article.published_version_id]

        def violation(reason: IneligibilityReason, article: Article = article) -> Violation:
            return Violation(article.pk, article.slug, reason.code, reason.message)

        round = rounds.get(article_id)
        if round is None:
            yield violation(
                IneligibilityReason(
                    "no_approving_round",
                    f"No review round approved version {version.number}, which the site shows.",
                )
            )
            continue
        round.article, round.version = article, version
        if version.recompute_content_hash() != version.content_hash:
            yield violation(
                IneligibilityReason(
                    "text_tampered",
                    f"The stored text of version {version.number} no longer matches the content hash "
                    "its approvals name: it was changed after it was approved.",
                )
            )
        facts = eligibility.RoundFacts(
            round,
            today=today,
            author_user_ids=frozenset(
                user for number, user in authors[article_id] if number <= version.number
            ),
        )
        counting = []
        for approval in approvals[round.pk]:
            reasons = eligibility.approval_reasons(
                approval, facts, include_standing=False, include_authorship=True
            )
            reasons += _standing_when_deciding(approval, standing.get(approval.reviewer_id, []))
            for reason in reasons:
                yield violation(reason)
            if not reasons:
                counting.append(approval)
        for reason in eligibility.quorum_reasons(counting, facts, given=approvals[round.pk]):
            yield violation(reason)


_Standing = tuple[datetime.datetime, bool, datetime.date | None]


def _standing_history(member_ids: set[int]) -> dict[int, list[_Standing]]:
    """Each member's board record over time (active, credentials checked until), oldest first."""
    history: dict[int, list[_Standing]] = defaultdict(list)
    rows = (
        BoardMember.history.filter(id__in=member_ids)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_date", "is_active", "credentials_verified_until")
    )
    for member_id, when, is_active, verified_until in rows:
        history[member_id].append((when, is_active, verified_until))
    return history


def _standing_when_deciding(
    approval: ReviewAssignment, history: list[_Standing]
) -> list[IneligibilityReason]:
    """Whether the board record, as it stood when the approval was given, allowed it."""
    before = [row for row in history if row[0] <= approval.decided_at]
    if not before:
        return []  # no record from before the decision (kept only since history was turned on)
    _, is_active, verified_until = before[-1]
    name = approval.reviewer.display_name
    decided_on = timezone.localdate(approval.decided_at)
    reasons = []
    if not is_active:
        reasons.append(
            IneligibilityReason(
                "inactive_when_deciding", f"{name} was not an active member when they approved."
            )
        )
    if verified_until is None or verified_until < decided_on:
        reasons.append(
            IneligibilityReason(
                "credentials_lapsed_when_deciding",
                f"{name}'s credential check had lapsed when they approved on {decided_on:%Y-%m-%d}.",
            )
        )
    return reasons


def email_editors_in_chief(report: AuditReport) -> int:
    """Tell the active editors-in-chief what the audit found; returns how many were emailed."""
    chiefs = (
        get_user_model().objects.filter(groups__name=Role.EDITOR_IN_CHIEF, is_active=True).exclude(email="")
    )
    addresses = sorted(set(chiefs.values_list("email", flat=True)))
    if not addresses or not report.violations:
        return 0
    context = {
        "report": report,
        "articles": len({v.article_id for v in report.violations}),
        "site_url": settings.SITE_URL,
    }
    subject = " ".join(render_to_string("editorial/email/integrity_violations_subject.txt", context).split())
    body = render_to_string("editorial/email/integrity_violations_body.txt", context).strip() + "\n"
    EmailMessage(subject=subject, body=body, to=addresses).send()
    logger.warning(
        "event=approval_integrity_violations violations=%d articles=%d recipients=%d",
        len(report.violations),
        context["articles"],
        len(addresses),
    )
    return len(addresses)

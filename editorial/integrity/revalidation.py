"""Re-checking the approvals a board member gave, when their standing on the board changes.

Only approvals that still matter are re-checked: those in rounds still open, and those in the
round behind each article's published approval. Each article is re-checked in its own transaction
under its lock (``editorial.services.approvals.revalidate_article``), in article order.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from config.audit import current_audit
from editorial.eligibility import holds_board_role
from editorial.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment, RoundOutcome, standing_approval_q
from editorial.services.approvals import revalidate_article
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.services import get_system_user

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def acting_user() -> AbstractBaseUser:
    """Whoever made the change being followed up (the admin user, in an audited save), else the
    system."""
    context = current_audit()
    return context.actor if context is not None else get_system_user()


def _approvals_that_matter() -> Q:
    """A standing approval in an open round, or in the round that approved what the site shows."""
    return Q(round__closed_at__isnull=True) | Q(
        round__outcome=RoundOutcome.APPROVED, round__version_id=F("round__article__published_version_id")
    )


def _relied_on() -> Q:
    """A review of the member that matters: one they hold open, or an approval that matters."""
    return (Q(state__in=OPEN_ASSIGNMENT_STATES) & Q(round__closed_at__isnull=True)) | (
        standing_approval_q() & _approvals_that_matter()
    )


def articles_relying_on(member_id: int) -> list[int]:
    """The articles whose open round or published approval relies on the member: a review they
    hold open, or a standing approval of theirs."""
    reviews = ReviewAssignment.objects.filter(_relied_on(), reviewer_id=member_id)
    return sorted(set(reviews.values_list("round__article_id", flat=True)))


def revalidate_member(*, member_id: int, cause: str) -> Counter[str]:
    """Apply the approval rules to every article relying on an approval by the member; returns
    counts of ``articles`` checked, approvals ``voided``, seats ``refilled`` and approvals
    ``lapsed``."""
    actor = acting_user()
    counts: Counter[str] = Counter()
    for article_id in articles_relying_on(member_id):
        result = revalidate_article(article_id=article_id, voided_by=actor, cause=cause)
        counts["articles"] += 1
        counts["voided"] += result.voided
        counts["released"] += result.released
        counts["refilled"] += result.refilled
        counts["lapsed"] += int(result.lapsed)
    return counts


def members_to_recheck(*, today: datetime.date) -> list[int]:
    """Members with an approval that matters who might now fail a rule: not active, without the
    role, credentials lapsed, or with any conflict in force (whether it covers the article is the
    per-article check's business)."""
    in_force = ConflictOfInterest.objects.in_force(on=today).filter(member_id=OuterRef("pk"))
    relied_on = ReviewAssignment.objects.filter(_relied_on(), reviewer_id=OuterRef("pk"))
    doubtful = (
        Q(is_active=False)
        | Q(user__is_active=False)
        | Q(credentials_verified_until__isnull=True)
        | Q(credentials_verified_until__lt=today)
        | ~holds_board_role()
        | Exists(in_force)
    )
    members = BoardMember.objects.filter(Exists(relied_on)).filter(doubtful)
    return list(members.order_by("pk").values_list("pk", flat=True))


def revalidate_board(*, today: datetime.date | None = None) -> dict[str, int]:
    """The daily check, for what changes with the calendar alone (a credential check running out,
    a conflict declared with a later start coming into force) and anything a save-time check did
    not see. Returns counts as ``revalidate_member`` plus ``members``."""
    today = today or timezone.localdate()
    counts: Counter[str] = Counter(
        {"members": 0, "articles": 0, "voided": 0, "released": 0, "refilled": 0, "lapsed": 0}
    )
    for member_id in members_to_recheck(today=today):
        counts["members"] += 1
        counts.update(revalidate_member(member_id=member_id, cause="Daily check of the board's standing"))
    return dict(counts)

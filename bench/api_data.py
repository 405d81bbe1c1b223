"""The API benchmark's data: N articles loaded with bulk inserts, shaped like the publisher's.

One article in ten is approved (published, its round closed with one approval), one in ten is in
review (an open round with a pending assignment), the rest are drafts: the public list shows a
tenth of the catalogue, as at a publisher whose board reviews far fewer pages than it drafts. A
board member ("bench-member") holds the first ``MEMBER_ASSIGNMENTS`` assignments (the issue's
slowest list was measured at 1,500), twenty other members the rest. No history rows: the lists and
pages measured never read them.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.models import Article, ArticleStatus, ArticleVersion, Reference, RiskLevel
from editorial.models import (
    AssignmentState,
    Decision,
    ReviewAssignment,
    ReviewRound,
    RoundOutcome,
)
from reviewers.models import BoardMember, Specialty
from reviewers.roles import Role

CHUNK = 5000
MEMBER_ASSIGNMENTS = 1500
OTHER_MEMBERS = 20
BODY = (
    "## Short answer\n\nYes, for most patients: {slug} is answered here with the evidence the board "
    "reviewed.\n\n## Details\n\n- Dose adjustment when creatinine clearance < 30 mL/min.\n- Monitor "
    "QTc; stop when it exceeds 500 ms.\n- See the guideline for exceptions in pregnancy.\n\n"
    "The evidence comes from two randomised trials and one meta-analysis; *see the references*."
)


@dataclass(frozen=True)
class World:
    articles: int
    detail_slug: str
    cookies: dict[str, str]  # who -> the Cookie header of a signed-in session


def slug(index: int) -> str:
    return f"bench-{index:07d}"


def build(*, articles: int) -> World:
    """Load the data; returns what the runs need."""
    User = get_user_model()
    now = timezone.now()
    editor = User.objects.create_user(username="bench-editor", password=None)
    editor.groups.add(Group.objects.get_or_create(name=Role.EDITOR)[0])
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    members = [
        _member(f"bench-member-{i}" if i else "bench-member", specialty) for i in range(OTHER_MEMBERS + 1)
    ]

    reviewed_at = now - datetime.timedelta(days=165)
    for start in range(0, articles, CHUNK):
        indexes = range(start, min(start + CHUNK, articles))
        created = Article.objects.bulk_create(
            Article(
                slug=slug(index),
                title=f"Benchmark question {index}?",
                specialty=specialty,
                risk_level=RiskLevel.HIGH if index % 7 == 0 else RiskLevel.STANDARD,
                status=_status(index),
                last_reviewed_at=reviewed_at if index % 10 == 0 else None,
                review_due_at=reviewed_at + datetime.timedelta(days=365) if index % 10 == 0 else None,
                created_by=editor,
            )
            for index in indexes
        )
        versions = ArticleVersion.objects.bulk_create(
            ArticleVersion(
                article=article,
                number=1,
                title=article.title,
                body=BODY.format(slug=article.slug),
                change_summary="First draft",
                author=editor,
                content_hash=hashlib.sha256(article.slug.encode()).hexdigest(),
            )
            for article in created
        )
        Reference.objects.bulk_create(
            Reference(
                version=version,
                position=1,
                citation="A randomised trial of the treatment.",
                source="Lancet Oncol",
                year=2024,
                doi="10.1016/S1470-2045(24)00001-1",
            )
            for version in versions
            if version.article.status == ArticleStatus.APPROVED
        )
        _rounds(created, versions, editor, specialty, members, now)

    first = ArticleVersion.objects.filter(article_id=OuterRef("pk")).values("pk")[:1]
    Article.objects.update(current_version=Subquery(first))
    Article.objects.filter(status=ArticleStatus.APPROVED).update(
        published_version=Subquery(first), last_decided_version=Subquery(first)
    )
    _analyse()
    return reuse(articles=articles)


def reuse(*, articles: int) -> World:
    """The world of data ``build`` loaded (now or in a kept database), with new sessions."""
    User = get_user_model()
    detail = (articles // 2) // 10 * 10  # an approved article in the middle of the catalogue
    return World(
        articles=articles,
        detail_slug=slug(detail),
        cookies={
            "editor": _session(User.objects.get(username="bench-editor")),
            "member": _session(User.objects.get(username="bench-member")),
        },
    )


def _status(index: int) -> str:
    return {0: ArticleStatus.APPROVED, 1: ArticleStatus.UNDER_REVIEW}.get(index % 10, ArticleStatus.DRAFT)


def _member(username: str, specialty: Specialty) -> BoardMember:
    user = get_user_model().objects.create_user(username=username, password=None)
    user.groups.add(Group.objects.get_or_create(name=Role.BOARD_MEMBER)[0])
    member = BoardMember.objects.create(
        user=user,
        display_name=f"Dr {username.replace('-', ' ').title()}",
        credentials="MD",
        credentials_verified_until=datetime.date(2999, 12, 31),
        max_open_reviews=30_000,
    )
    member.specialties.add(specialty)
    return member


def _rounds(articles, versions, editor, specialty, members, now) -> None:
    """A closed, approved round for each approved article, an open one for each in review, each
    with its one assignment."""
    reviewed = [(a, v) for a, v in zip(articles, versions, strict=True) if a.status != ArticleStatus.DRAFT]
    rounds = ReviewRound.objects.bulk_create(
        ReviewRound(
            article=article,
            version=version,
            opened_by=editor,
            required_approvals=1,
            opened_at=now - datetime.timedelta(days=180),
            closed_at=article.last_reviewed_at,
            outcome=RoundOutcome.APPROVED if article.status == ArticleStatus.APPROVED else "",
        )
        for article, version in reviewed
    )
    assigned = ReviewAssignment.objects.count()
    batch = []
    for offset, (round, (article, version)) in enumerate(zip(rounds, reviewed, strict=True)):
        number = assigned + offset
        member = members[0] if number < MEMBER_ASSIGNMENTS else members[1 + number % OTHER_MEMBERS]
        due_at = now + datetime.timedelta(days=number % 28 - 14, minutes=number % 600)
        approved = article.status == ArticleStatus.APPROVED
        batch.append(
            ReviewAssignment(
                round=round,
                reviewer=member,
                assigned_by=editor,
                assigned_at=due_at - datetime.timedelta(days=14),
                due_at=due_at,
                state=AssignmentState.COMPLETED if approved else AssignmentState.PENDING,
                decision=Decision.APPROVE if approved else "",
                comment="Checked against the guideline." if approved else "",
                decided_content_hash=version.content_hash if approved else "",
                decided_at=article.last_reviewed_at,
                decided_risk_level=article.risk_level if approved else "",
                decided_specialty=specialty if approved else None,
                decided_as_specialist=True if approved else None,
                closed_at=article.last_reviewed_at,
            )
        )
    ReviewAssignment.objects.bulk_create(batch)


def _session(user) -> str:
    """A signed-in session for ``user``, as the Cookie header a browser would send."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _analyse() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM (the visibility map, for index-only scans) cannot run in a transaction: a test's.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            for model in (Article, ArticleVersion, ReviewRound, ReviewAssignment, Reference):
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        else:
            cursor.execute("ANALYZE")

"""Whole review cycles, in-process, each step committing as it would in production: a new version,
submit, auto-assign two reviewers, two approvals that publish it."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from articles.models import ArticleStatus, RiskLevel
from articles.services import create_article
from bench.scratch_db import QueryCounter
from editorial import notifications, services
from reviewers.models import BoardMember, Specialty
from reviewers.roles import Role


@dataclass(frozen=True)
class CycleResult:
    cycles: int
    seconds: float
    queries: int
    notifications: int
    cycle_ms: list[float]

    @property
    def cycles_per_second(self) -> float:
        return self.cycles / self.seconds

    @property
    def queries_per_cycle(self) -> float:
        return self.queries / self.cycles

    @property
    def notifications_per_cycle(self) -> float:
        return self.notifications / self.cycles

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.cycle_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.cycle_ms)


def _world():
    User = get_user_model()
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    editor = User.objects.create_user(username="bench-editor", password=None)
    editor.groups.add(Group.objects.get_or_create(name=Role.EDITOR)[0])
    for index in (1, 2):
        user = User.objects.create_user(username=f"bench-reviewer-{index}", password=None)
        user.groups.add(Group.objects.get_or_create(name=Role.BOARD_MEMBER)[0])
        member = BoardMember.objects.create(
            user=user,
            display_name=f"Dr Bench {index}",
            credentials="MD",
            credentials_verified_until="2999-12-31",
            max_open_reviews=5,
        )
        member.specialties.add(specialty)
    article = create_article(
        actor=editor,
        slug="bench-article",
        title="A benchmark question?",
        specialty=specialty,
        risk_level=RiskLevel.HIGH,
        body="The first answer.",
        references=[{"citation": "A guideline.", "source": "A body", "year": 2025}],
        reason="Benchmark set-up",
    )
    return editor, article


def _cycle(editor, article, number: int) -> None:
    services.add_version(
        actor=editor,
        article=article,
        title="A benchmark question?",
        body=f"Answer number {number}, revised.",
        references=[{"citation": "A guideline.", "source": "A body", "year": 2025}],
        reason="Revision",
    )
    services.submit(actor=editor, article=article, reason="Ready for review")
    for assignment in services.auto_assign(actor=editor, article=article, reason="Auto-assign"):
        services.decide(actor=assignment.reviewer.user, assignment=assignment, decision="approve")
    article.refresh_from_db()
    if article.status != ArticleStatus.APPROVED:
        raise RuntimeError(f"Cycle {number} ended {article.status}, not approved.")


def run_cycles(*, cycles: int, warmup: int = 3) -> CycleResult:
    # Held back: the cycles' reviews live in a scratch database (see notifications.held_back).
    with notifications.held_back() as queued:
        editor, article = _world()
        for number in range(warmup):
            _cycle(editor, article, -number - 1)
        counter = QueryCounter()
        durations = []
        queued.clear()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            for number in range(cycles):
                cycle_started = time.perf_counter()
                _cycle(editor, article, number)
                durations.append((time.perf_counter() - cycle_started) * 1000)
            seconds = time.perf_counter() - started
    return CycleResult(
        cycles=cycles, seconds=seconds, queries=counter.count, notifications=len(queued), cycle_ms=durations
    )

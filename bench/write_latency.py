"""How long a write takes with the broker healthy, down and hung.

The write is POST /api/v1/articles/{slug}/assignments/ through the whole Django stack in-process
(authentication, the workflow service, its commit, and the outbox's publication after the commit).
Between two timed writes the assignment is undone (withdraw and submit again, not timed), so every
timed write does the same work and owes one notification.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from articles.models import RiskLevel
from articles.services import create_article
from bench.brokers import DOWN_BROKER, hung_broker, publishing_to
from editorial import services
from editorial.outbox.models import OutboxMessage
from editorial.outbox.publisher import inline
from reviewers.models import BoardMember, Specialty
from reviewers.roles import Role

# A Redis database no worker reads from: the healthy broker's messages are real but go nowhere.
HEALTHY_BROKER = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Latency:
    mode: str
    writes: int
    statuses: set[int]
    milliseconds: list[float]
    left_pending: int

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]

    @property
    def median(self) -> float:
        return statistics.median(self.milliseconds)


@contextmanager
def _broker(mode: str) -> Iterator[None]:
    if mode == "healthy":
        with publishing_to(HEALTHY_BROKER):
            yield
    elif mode == "down":
        with publishing_to(DOWN_BROKER):
            yield
    else:
        with hung_broker() as url, publishing_to(url):
            yield


def _world():
    User = get_user_model()
    editor = User.objects.create_user("bench-editor", password="unused-bench-password")  # noqa: S106
    editor.groups.add(Group.objects.get_or_create(name=Role.EDITOR)[0])
    specialty = Specialty.objects.create(name="Medical oncology", slug="medical-oncology")
    member_user = User.objects.create_user("bench-member", password="unused-bench-password")  # noqa: S106
    member_user.groups.add(Group.objects.get_or_create(name=Role.BOARD_MEMBER)[0])
    member = BoardMember.objects.create(
        user=member_user, display_name="Dr Bench", credentials="MD", credentials_verified_until="2999-12-31"
    )
    member.specialties.add(specialty)
    article = create_article(
        actor=editor,
        slug="bench-write",
        title="A benchmark question?",
        specialty=specialty,
        risk_level=RiskLevel.STANDARD,
        body="The answer.",
        reason="Benchmark set-up",
    )
    services.submit(actor=editor, article=article, reason="Ready")
    return editor, member, article


def measure(*, writes: int, modes: tuple[str, ...] = ("healthy", "down", "hung")) -> list[Latency]:
    editor, member, article = _world()
    client = APIClient(SERVER_NAME="localhost")  # a host ALLOWED_HOSTS accepts by default
    client.force_authenticate(editor)
    url = f"/api/v1/articles/{article.slug}/assignments/"
    results = []
    for mode in modes:
        inline.wait_until_idle(timeout=60)
        inline.resume()
        before = OutboxMessage.objects.filter(published_at__isnull=True).count()
        timings, statuses = [], set()
        with _broker(mode):
            for _ in range(writes):
                started = time.perf_counter()
                response = client.post(url, {"reviewer": member.pk}, format="json")
                timings.append((time.perf_counter() - started) * 1000)
                statuses.add(response.status_code)
                services.withdraw(actor=editor, article=article, reason="Reset for the next write")
                services.submit(actor=editor, article=article, reason="Ready again")
        pending = OutboxMessage.objects.filter(published_at__isnull=True).count() - before
        results.append(Latency(mode, writes, statuses, timings, pending))
    inline.wait_until_idle(timeout=60)
    inline.resume()
    return results

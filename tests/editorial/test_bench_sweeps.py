"""The sweeps benchmark runs end to end at a tiny N and checks what it measured."""

from __future__ import annotations

import pytest

from bench.sweeps import build, reminder_sweep, staleness_sweep
from editorial.models import ReminderLog


@pytest.mark.django_db(transaction=True)  # VACUUM, after loading on PostgreSQL, needs autocommit
def test_the_benchmark_queues_every_reminder_and_opens_the_re_reviews():
    world = build(articles=20, expired=4)

    sweep = reminder_sweep(world, consumer_emails=5)
    stale = staleness_sweep(world, re_review_limit=3)

    assert (sweep.emails, sweep.batches) == (22, 2)  # 20 overdue, 2 escalations, a batch of each
    assert sweep.statements_per_email < 1
    assert sweep.consumer_emails >= 5
    assert ReminderLog.objects.count() == 22
    assert (stale.expired, stale.re_reviews_opened, stale.waiting_retried_with_full_board) == (4, 3, 0)

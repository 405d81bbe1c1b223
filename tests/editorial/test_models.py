"""The invariants the database itself holds, whatever code writes to it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.utils import timezone

from editorial.models import ReminderLog, ReviewAssignment, ReviewRound, RoundOutcome
from tests.editorial.conftest import in_review, submit

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_open_round_for_an_article(article, editor):
    round = submit(article)
    with pytest.raises(IntegrityError):
        ReviewRound.objects.create(
            article=article, version=round.version, opened_by=editor, required_approvals=1
        )


def test_closed_rounds_do_not_count_against_the_open_one(article, editor):
    round = submit(article)
    ReviewRound.objects.filter(pk=round.pk).update(closed_at=timezone.now(), outcome=RoundOutcome.WITHDRAWN)
    ReviewRound.objects.create(article=article, version=round.version, opened_by=editor, required_approvals=1)
    assert ReviewRound.objects.filter(article=article).count() == 2


def test_a_round_is_closed_with_an_outcome_or_open_without_one(article):
    round = submit(article)
    with pytest.raises(IntegrityError):
        ReviewRound.objects.filter(pk=round.pk).update(closed_at=timezone.now())


def test_the_database_refuses_a_reviewer_twice_in_a_round(article, specialists, editor):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(IntegrityError):
        ReviewAssignment.objects.create(
            round=assignment.round, reviewer=specialists[0], assigned_by=editor, due_at=assignment.due_at
        )


def test_a_completed_assignment_must_carry_its_decision(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(IntegrityError):
        ReviewAssignment.objects.filter(pk=assignment.pk).update(state="completed")


def test_the_database_refuses_a_reminder_twice_for_the_same_key(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    ReminderLog.objects.create(assignment=assignment, kind="overdue", period_key="2026-11-25")
    ReminderLog.objects.create(assignment=assignment, kind="overdue", period_key="2026-11-26")
    with pytest.raises(IntegrityError):
        ReminderLog.objects.create(assignment=assignment, kind="overdue", period_key="2026-11-25")

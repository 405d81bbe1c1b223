"""Races between workflow steps, with real threads on separate PostgreSQL connections."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from articles.models import ArticleStatus as S
from config.audit import audit
from editorial import services
from editorial.exceptions import NotEligible, WorkflowError
from editorial.integrity.audit import verify_approvals
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import assign, in_review, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory
from tests.helpers import run_at_once
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def approval_rows(article):
    return [row for row in article.history.order_by("history_date", "history_id") if row.status == S.APPROVED]


@pytest.mark.parametrize("attempt", range(5))
def test_two_final_approvals_at_once_give_one_approval(high_risk_article, specialists, attempt):
    first, second = in_review(high_risk_article, specialists[0], specialists[1])

    results = run_at_once(
        lambda: services.decide(actor=specialists[0].user, assignment=first, decision="approve"),
        lambda: services.decide(actor=specialists[1].user, assignment=second, decision="approve"),
    )

    assert not any(isinstance(result, BaseException) for result in results), results
    article = refreshed(high_risk_article)
    assert article.status == S.APPROVED
    assert len(approval_rows(article)) == 1
    round = ReviewRound.objects.get()
    assert round.outcome == RoundOutcome.APPROVED
    assert round.history.filter(outcome=RoundOutcome.APPROVED).count() == 1
    assert {refreshed(first).state, refreshed(second).state} == {AssignmentState.COMPLETED}


@pytest.mark.parametrize("attempt", range(6))
def test_an_approval_racing_a_withdrawal_gives_one_consistent_outcome(article, specialists, editor, attempt):
    (assignment,) = in_review(article, specialists[0])

    approval, withdrawal = run_at_once(
        lambda: services.decide(actor=specialists[0].user, assignment=assignment, decision="approve"),
        lambda: services.withdraw(actor=editor, article=article, reason="Pulled by the editor"),
    )

    article.refresh_from_db()
    round = ReviewRound.objects.get()
    assignment.refresh_from_db()
    if article.status == S.APPROVED:
        assert isinstance(withdrawal, WorkflowError) and withdrawal.code == "invalid_transition"
        assert round.outcome == RoundOutcome.APPROVED
        assert assignment.state == AssignmentState.COMPLETED
        assert article.published_version == round.version
    else:
        assert article.status == S.DRAFT
        assert isinstance(approval, WorkflowError) and approval.code == "assignment_closed"
        assert round.outcome == RoundOutcome.WITHDRAWN
        assert assignment.state == AssignmentState.CANCELLED
        assert article.published_version is None
    assert not ReviewRound.objects.open().exists()


@pytest.mark.parametrize("attempt", range(6))
def test_a_conflict_declared_while_the_last_approval_arrives_never_leaves_a_false_badge(
    high_risk_article, specialists, chief, attempt
):
    first, second = in_review(high_risk_article, specialists[0], specialists[1])
    services.decide(actor=specialists[0].user, assignment=first, decision="approve")

    def declare():
        with transaction.atomic(), audit(actor=chief, reason="Declared at the board meeting"):
            ConflictOfInterest.objects.create(
                member=specialists[0], article=high_risk_article, reason="Consultancy for the maker"
            )

    approval, declaration = run_at_once(
        lambda: services.decide(actor=specialists[1].user, assignment=second, decision="approve"),
        declare,
    )

    assert not any(isinstance(result, BaseException) for result in (approval, declaration)), (
        approval,
        declaration,
    )
    # Whichever came first, the conflicted approval no longer counts and no badge rests on it.
    assert refreshed(first).voided_at is not None
    article = refreshed(high_risk_article)
    assert not article.shows_approval(timezone.now())
    assert verify_approvals().violations == []


@pytest.mark.parametrize("attempt", range(5))
def test_two_assignments_of_a_member_with_one_free_seat_at_once_give_one(oncology, editor, attempt):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=1)
    first, second = (ArticleFactory(specialty=oncology, actor=editor) for _ in range(2))
    submit(first)
    submit(second)

    results = run_at_once(lambda: assign(first, member), lambda: assign(second, member))

    # The member's row lock orders the two: the second counts the first's open review.
    assert not any(
        isinstance(result, BaseException) and not isinstance(result, NotEligible) for result in results
    )
    (refusal,) = [result for result in results if isinstance(result, NotEligible)]
    assert [reason.code for reason in refusal.reasons] == ["at_capacity"]
    assert ReviewAssignment.objects.filter(reviewer=member, state=AssignmentState.PENDING).count() == 1

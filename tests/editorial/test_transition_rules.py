"""The rules every workflow step shares: the refusals of a status transition and what they say,
the events a transition records, which round and which assignment a step works on, and what
closing a round does to its open reviews."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article
from articles.models import ArticleStatus as S
from editorial import services
from editorial.exceptions import (
    ActionNotPermitted,
    AlreadyDecided,
    AssignmentClosed,
    InvalidTransition,
    NotAssigned,
    NotEligible,
)
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, RoundOutcome
from editorial.services.common import PAST_TENSE
from editorial.webhooks.models import WebhookEvent
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2027, 1, 4, 10, 5, tzinfo=datetime.UTC)


# --- refusals of a status transition ---------------------------------------------------------


def test_a_step_the_status_does_not_allow_says_what_the_article_is_and_what_was_asked(article, specialists):
    in_review(article, specialists[0])

    with pytest.raises(InvalidTransition) as refused:
        submit(article)

    assert str(refused.value) == "An article that is under review cannot be submitted for review."
    assert (refused.value.code, refused.value.extra) == (
        "invalid_transition",
        {"status": S.UNDER_REVIEW, "allowed_transitions": ["withdraw"]},
    )


def test_a_condition_of_the_step_gives_its_own_code_message_and_what_the_user_can_do(
    article, specialists, chief
):
    (assignment,) = in_review(article, specialists[0])
    services.decide(
        actor=specialists[0].user, assignment=assignment, decision="request_changes", comment="Cite it."
    )

    with pytest.raises(InvalidTransition) as refused:
        submit(article, actor=chief)

    assert (refused.value.code, str(refused.value)) == (
        "version_already_reviewed",
        "The current version has already been reviewed; create a new version before submitting again.",
    )
    # What the editor-in-chief can do instead, as the API returns it.
    assert refused.value.extra == {"status": S.CHANGES_REQUESTED, "allowed_transitions": ["retire"]}


def test_a_role_that_may_not_take_the_step_is_told_which_step(article, specialists):
    with pytest.raises(ActionNotPermitted) as refused:
        submit(article, actor=specialists[0].user)
    assert str(refused.value) == "Your role does not allow an article to be submitted for review."

    submit(article)
    with pytest.raises(ActionNotPermitted) as refused:
        services.withdraw(actor=specialists[0].user, article=article, reason="r")
    assert str(refused.value) == "Your role does not allow an article to be withdrawn from review."


def test_every_status_transition_has_words_for_its_refusals():
    names = {transition.name for transition in Article._meta.get_field("status").get_all_transitions(Article)}
    assert names <= set(PAST_TENSE)


def test_approving_and_retiring_tell_the_site_through_their_webhook_events(article, specialists, chief):
    (assignment,) = in_review(article, specialists[0])
    approve(assignment)
    services.retire(actor=chief, article=article, reason="Superseded by a guideline page")

    assert list(WebhookEvent.objects.filter(article=article).values_list("type", flat=True)) == [
        "review.decided",
        "article.approved",
        "version.published",
        "article.retired",
    ]


# --- the round a step works on ---------------------------------------------------------------


def test_withdrawing_an_article_closes_its_own_round_not_another_articles(article, oncology, editor):
    other = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)
    submit(other)

    services.withdraw(actor=editor, article=article, reason="Found an error ourselves")

    assert ReviewRound.objects.get(article=article).outcome == RoundOutcome.WITHDRAWN
    assert ReviewRound.objects.get(article=other).is_open
    assert refreshed(other).status == S.SUBMITTED


def test_retiring_an_approved_article_leaves_the_round_that_approved_it_as_it_was(
    article, specialists, chief
):
    (assignment,) = in_review(article, specialists[0])
    decided_at = approve(assignment).decided_at

    services.retire(actor=chief, article=article, reason="Out of scope")

    round = ReviewRound.objects.get(article=article)
    assert (round.outcome, round.closed_at) == (RoundOutcome.APPROVED, decided_at)


def test_closing_a_round_cancels_its_open_reviews_at_the_time_it_closed(
    high_risk_article, specialists, editor
):
    in_review(high_risk_article, specialists[0], specialists[1])

    with time_machine.travel(MOMENT, tick=False):
        services.withdraw(actor=editor, article=high_risk_article, reason="Wrong dose table")

    round = ReviewRound.objects.get()
    assert (round.outcome, round.closed_at) == (RoundOutcome.WITHDRAWN, MOMENT)
    assert list(round.assignments.values_list("state", "closed_at")) == [
        (AssignmentState.CANCELLED, MOMENT),
        (AssignmentState.CANCELLED, MOMENT),
    ]


# --- what the locked assignment is read with ---------------------------------------------------


def test_an_approval_in_another_articles_round_does_not_count_towards_this_rounds_quorum(
    article, high_risk_article, specialists
):
    """One approval of two needed re-checks nothing and assigns nobody, whatever other rounds
    hold."""
    (elsewhere,) = in_review(article, specialists[0])
    approve(elsewhere)
    (first,) = in_review(high_risk_article, specialists[1])

    approve(first)

    round = ReviewRound.objects.get(article=high_risk_article)
    assert list(round.assignments.values_list("reviewer", "state")) == [
        (specialists[1].pk, AssignmentState.COMPLETED)
    ]
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW


def test_a_conflict_of_interest_that_comes_into_force_after_the_assignment_stops_the_decision(
    article, specialists
):
    (assignment,) = in_review(article, specialists[0])
    starts = timezone.localdate() + datetime.timedelta(days=2)
    ConflictOfInterest.objects.create(
        member=specialists[0], article=article, reason="Joins the maker's advisory board", declared_on=starts
    )

    with time_machine.travel(datetime.datetime.combine(starts, datetime.time(12), tzinfo=datetime.UTC)):
        with pytest.raises(NotEligible) as refused:
            approve(assignment)

    assert [reason.code for reason in refused.value.reasons] == ["conflict_of_interest"]
    assert refreshed(article).status == S.UNDER_REVIEW
    assert not ReviewAssignment.objects.filter(state=AssignmentState.COMPLETED).exists()


# --- who may act, and on which review ------------------------------------------------------------


def test_only_editors_assign_reviewers_and_the_refusal_says_so(article, specialists):
    submit(article)
    with pytest.raises(ActionNotPermitted) as refused:
        assign(article, specialists[1], actor=specialists[0].user)
    assert str(refused.value) == "Only editors can assign reviewers."
    assert not ReviewAssignment.objects.exists()


def test_a_member_acting_on_someone_elses_review_is_told_it_is_not_theirs(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(NotAssigned) as refused:
        services.accept(actor=specialists[1].user, assignment=assignment)
    assert str(refused.value) == "This review is assigned to another board member."


def test_deciding_again_is_refused_with_the_decision_already_given_and_when(article, specialists):
    with time_machine.travel(MOMENT, tick=False):
        (assignment,) = in_review(article, specialists[0])
        services.decide(
            actor=specialists[0].user, assignment=assignment, decision="request_changes", comment="Cite it."
        )

    with pytest.raises(AlreadyDecided) as refused:
        approve(ReviewAssignment.objects.get(pk=assignment.pk))
    assert str(refused.value) == (
        "You already decided on this version (request changes, 2027-01-04 10:05 UTC)."
    )


def test_a_closed_review_says_how_it_was_closed(article, specialists):
    submit(article)
    declined = assign(article, specialists[0])
    services.decline(actor=specialists[0].user, assignment=declined, reason="On leave")
    (replacement,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    new_version(article)

    with pytest.raises(AssignmentClosed) as refused:
        approve(declined)
    assert str(refused.value) == "This review was declined and is closed."
    with pytest.raises(AssignmentClosed) as refused:
        approve(replacement)
    assert str(refused.value) == "This review was cancelled and is closed."

"""Assigning reviewers: the due date, the article's status, the specialty override and who may
give it, and what an automatic assignment records and owes."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from articles.models import ArticleStatus as S
from editorial import services
from editorial.exceptions import InvalidTransition, NotEligible, OverrideNotPermitted
from editorial.models import AssignmentState, ReviewAssignment
from editorial.outbox.models import OutboxMessage
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import assign, refreshed, submit
from tests.factories import BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2027, 1, 4, 10, 5, tzinfo=datetime.UTC)


@pytest.fixture
def cardiologist(db):
    return BoardMemberFactory(specialties=[SpecialtyFactory(name="Cardiology", slug="cardiology")])


# --- the due date and the article's status -------------------------------------------------------


def test_a_due_date_must_be_later_than_now_not_equal_to_it(article, specialists):
    submit(article)

    with time_machine.travel(MOMENT, tick=False):
        with pytest.raises(ValidationError) as refused:
            assign(article, specialists[0], due_at=MOMENT)
        assigned = assign(article, specialists[1], due_at=MOMENT + datetime.timedelta(seconds=1))

    assert refused.value.message_dict == {"due_at": ["The due date must be in the future."]}
    assert list(ReviewAssignment.objects.values_list("reviewer", "due_at")) == [
        (specialists[1].pk, MOMENT + datetime.timedelta(seconds=1))
    ]
    assert assigned.due_at == MOMENT + datetime.timedelta(seconds=1)


def test_assigning_to_an_article_not_in_review_says_why_and_what_can_be_done(article, specialists):
    with pytest.raises(InvalidTransition) as refused:
        assign(article, specialists[0])

    assert (
        str(refused.value) == "Reviewers can be assigned only while the article is submitted or under review."
    )
    assert refused.value.extra == {"status": S.DRAFT, "allowed_transitions": ["submit"]}
    assert not ReviewAssignment.objects.exists()


# --- the specialty override ---------------------------------------------------------------------


@pytest.mark.parametrize("override_reason", ["", "   "])
def test_an_editor_in_chief_must_give_a_reason_to_assign_outside_the_specialty(
    article, chief, cardiologist, override_reason
):
    submit(article)

    with pytest.raises(NotEligible) as refused:
        assign(article, cardiologist, actor=chief, override_reason=override_reason)

    assert str(refused.value) == f"{cardiologist.display_name} cannot review this version."
    assert [(reason.code, reason.overridable) for reason in refused.value.reasons] == [
        ("specialty_mismatch", True)
    ]
    assert not ReviewAssignment.objects.exists()


def test_no_override_reason_sets_aside_a_conflict_of_interest(article, specialists, chief, cardiologist):
    submit(article)
    for member in (specialists[0], cardiologist):
        ConflictOfInterest.objects.create(member=member, article=article, reason="Speaker fees")

    for member in (specialists[0], cardiologist):
        with pytest.raises(NotEligible) as refused:
            assign(article, member, actor=chief, override_reason="The only expert free")
        assert str(refused.value) == f"{member.display_name} cannot review this version."
        assert "conflict_of_interest" in [reason.code for reason in refused.value.reasons]
    assert not ReviewAssignment.objects.exists()


def test_only_an_editor_in_chief_may_override_the_specialty_and_the_refusal_says_so(
    article, editor, cardiologist
):
    submit(article)

    with pytest.raises(OverrideNotPermitted) as refused:
        assign(article, cardiologist, actor=editor, override_reason="Cardiac safety section")

    assert (
        str(refused.value) == "Only an editor-in-chief can assign a member outside the article's specialty."
    )
    assert not ReviewAssignment.objects.exists()


def test_an_override_reason_is_kept_only_where_the_override_was_needed(
    article, specialists, chief, cardiologist
):
    submit(article)

    outsider = assign(article, cardiologist, actor=chief, override_reason="  Cardiac safety section ")
    specialist = assign(article, specialists[0], actor=chief, override_reason="Just in case")
    plain = assign(article, specialists[1], actor=chief)

    assert [refreshed(a).override_reason for a in (outsider, specialist, plain)] == [
        "Cardiac safety section",
        "",
        "",
    ]


# --- automatic assignment -------------------------------------------------------------------------


def test_automatic_assignments_are_recorded_as_made_by_the_actor_for_the_reason_when_they_were_made(
    high_risk_article, specialists, editor
):
    submit(high_risk_article)

    assigned = services.auto_assign(actor=editor, article=high_risk_article, reason="Fill the round")

    assert len(assigned) == 2
    for assignment in assigned:
        row = assignment.history.get()
        assert (row.history_type, row.history_user, row.history_change_reason, row.history_date) == (
            "+",
            editor,
            "Fill the round",
            refreshed(assignment).assigned_at,
        )


def test_a_replacement_is_recorded_as_the_systems_for_the_member_who_declined(
    article, specialists, system_user
):
    submit(article)
    declined = assign(article, specialists[0])

    (replacement,) = services.decline(actor=specialists[0].user, assignment=declined, reason="On leave")

    row = replacement.history.get()
    assert (row.history_user, row.history_change_reason) == (
        system_user,
        f"Replacement for {specialists[0].display_name}, who declined",
    )
    assert row.history_date == refreshed(replacement).assigned_at


def test_filling_every_seat_owes_no_staffing_check_and_falling_short_owes_one(
    high_risk_article, article, oncology, editor
):
    """A round left short is checked for being stuck once the change commits; a full one is not."""
    BoardMemberFactory(specialties=[oncology])
    submit(article)
    services.auto_assign(actor=editor, article=article, reason="Fill the round")
    assert not OutboxMessage.objects.filter(topic="staffing.alert").exists()

    submit(high_risk_article)
    (assigned,) = services.auto_assign(actor=editor, article=high_risk_article, reason="Fill the round")

    round = assigned.round
    assert list(OutboxMessage.objects.filter(topic="staffing.alert").values_list("payload", flat=True)) == [
        {"round_ids": [round.pk]}
    ]
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW
    assert round.assignments.get().state == AssignmentState.PENDING

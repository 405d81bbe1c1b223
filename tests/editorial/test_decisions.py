"""Board members' steps: accept, decline (with a replacement) and decide, with their refusals."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from articles.models import ArticleStatus as S
from editorial import services
from editorial.exceptions import (
    ActionNotPermitted,
    AlreadyDecided,
    AssignmentClosed,
    NotAssigned,
    NotEligible,
)
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def test_a_decision_records_the_content_hash_of_the_text_it_was_made_on(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    decided = approve(assignment, comment="Checked against the guideline.")

    assert decided.state == AssignmentState.COMPLETED
    assert decided.decided_content_hash == article.current_version.content_hash
    row = decided.history.latest()
    assert (row.history_user, row.history_change_reason) == (
        specialists[0].user,
        "Approve: Checked against the guideline.",
    )


def test_a_high_risk_article_stays_under_review_until_the_second_approval(high_risk_article, specialists):
    first, second = in_review(high_risk_article, specialists[0], specialists[1])

    approve(first)
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW
    assert ReviewRound.objects.get().is_open

    approve(second)
    assert refreshed(high_risk_article).status == S.APPROVED


def test_an_approval_that_cannot_complete_the_quorum_leaves_the_staffing_to_the_editors(
    high_risk_article, specialists
):
    """The approvals are counted once the quorum is within reach (``eligibility.quorum_reasons``
    after ``decide``'s count of those given): before that an approval re-checks nothing and the
    system assigns nobody; the editors choose the second reviewer."""
    (first,) = in_review(high_risk_article, specialists[0])

    approve(first)

    assert list(ReviewAssignment.objects.values_list("reviewer", "state")) == [
        (specialists[0].pk, AssignmentState.COMPLETED)
    ]
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW


def test_a_high_risk_article_needs_a_specialist_among_its_approvers(high_risk_article, oncology, chief):
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
    outsiders = [BoardMemberFactory(specialties=[cardiology]) for _ in range(2)]
    specialist = BoardMemberFactory(specialties=[oncology])
    submit(high_risk_article)
    overridden = [
        assign(high_risk_article, member, actor=chief, override_reason="Cardiac safety section")
        for member in outsiders
    ]

    for assignment in overridden:
        approve(assignment)
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW
    # The round still needs a specialist: the system gave the seat to the one who is free.
    (needed,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    assert (needed.reviewer, needed.assigned_by.username) == (specialist, "system")

    approve(needed)
    assert refreshed(high_risk_article).status == S.APPROVED


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
def test_sending_back_needs_a_comment(article, specialists, decision):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(ValidationError) as refused:
        services.decide(actor=specialists[0].user, assignment=assignment, decision=decision, comment="  ")
    assert "comment" in refused.value.message_dict
    assert refreshed(assignment).state == AssignmentState.PENDING


def test_an_unknown_decision_is_refused(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(ValidationError) as refused:
        services.decide(actor=specialists[0].user, assignment=assignment, decision="maybe")
    assert "decision" in refused.value.message_dict


def test_deciding_twice_is_refused(high_risk_article, specialists):
    first, _ = in_review(high_risk_article, specialists[0], specialists[1])
    approve(first)
    with pytest.raises(AlreadyDecided):
        services.decide(
            actor=specialists[0].user, assignment=first, decision="reject", comment="Changed my mind"
        )
    assert refreshed(first).decision == "approve"


def test_only_the_assigned_member_decides(article, specialists, editor, chief):
    (assignment,) = in_review(article, specialists[0])
    for other in (specialists[1].user, editor, chief):
        with pytest.raises(NotAssigned):
            services.decide(actor=other, assignment=assignment, decision="approve")
    assert refreshed(assignment).state == AssignmentState.PENDING
    assert refreshed(article).status == S.UNDER_REVIEW


def test_a_reviewer_who_has_left_the_board_can_no_longer_accept_or_decide(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    reviewer = specialists[0].user
    reviewer.groups.clear()  # the board-member role withdrawn after the assignment was made

    for step in (services.accept, lambda **kw: services.decide(decision="approve", **kw)):
        with pytest.raises(NotAssigned):
            step(actor=reviewer, assignment=assignment)
    # The review was released when the role went, for someone who can decide.
    released = refreshed(assignment)
    assert released.state == AssignmentState.CANCELLED
    assert "no longer holds the board-member role" in released.cancel_reason
    assert refreshed(article).status == S.UNDER_REVIEW


def test_a_deactivated_reviewer_cannot_decide(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    reviewer = specialists[0].user
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])

    with pytest.raises(NotAssigned):
        services.decide(actor=reviewer, assignment=assignment, decision="approve")
    assert refreshed(article).status == S.UNDER_REVIEW


def test_a_cancelled_review_cannot_be_decided(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    new_version(article)
    with pytest.raises(AssignmentClosed):
        approve(assignment)
    assert refreshed(article).status == S.DRAFT


def test_accepting_then_deciding(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    accepted = services.accept(actor=specialists[0].user, assignment=assignment)
    assert accepted.state == AssignmentState.ACCEPTED
    assert accepted.accepted_at is not None

    approve(accepted)
    assert refreshed(article).status == S.APPROVED


def test_a_member_whose_credentials_lapsed_cannot_decide_and_the_review_goes_to_someone_who_can(
    article, specialists, system_user
):
    (assignment,) = in_review(article, specialists[0])
    member = specialists[0]
    lapse = member.credentials_verified_until + datetime.timedelta(days=1)
    for other in specialists[1:]:
        other.credentials_verified_until = lapse + datetime.timedelta(days=30)
        other.save()

    with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(12), tzinfo=datetime.UTC)):
        with pytest.raises(NotEligible):
            approve(assignment)

    released = refreshed(assignment)
    assert (released.state, released.cancel_reason) == (
        AssignmentState.CANCELLED,
        f"{member.display_name} could not decide: "
        f"{member.display_name}'s credential check has lapsed or was never recorded.",
    )
    (replacement,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    assert (replacement.reviewer in specialists[1:], replacement.assigned_by) == (True, system_user)
    assert refreshed(article).status == S.UNDER_REVIEW


def test_only_the_assigned_member_accepts(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    with pytest.raises(NotAssigned):
        services.accept(actor=specialists[1].user, assignment=assignment)


def test_declining_assigns_a_replacement(article, specialists, system_user):
    first = assign_first_reviewer(article, specialists[0])

    replacements = services.decline(
        actor=specialists[0].user, assignment=first, reason="On leave until March"
    )

    first.refresh_from_db()
    assert (first.state, first.comment) == (AssignmentState.DECLINED, "On leave until March")
    assert len(replacements) == 1
    assert replacements[0].reviewer in specialists[1:]
    assert replacements[0].assigned_by == system_user
    assert replacements[0].history.get().history_change_reason.startswith("Replacement for")
    assert refreshed(article).status == S.UNDER_REVIEW


def test_declining_without_anyone_to_replace_leaves_the_round_open(article, oncology):
    only = BoardMemberFactory(specialties=[oncology])
    first = assign_first_reviewer(article, only)
    assert services.decline(actor=only.user, assignment=first, reason="Conflict with my schedule") == []
    assert ReviewRound.objects.get().is_open
    assert refreshed(article).status == S.UNDER_REVIEW


def test_declining_needs_a_reason(article, specialists):
    first = assign_first_reviewer(article, specialists[0])
    with pytest.raises(ValidationError):
        services.decline(actor=specialists[0].user, assignment=first, reason="")
    assert refreshed(first).state == AssignmentState.PENDING


def test_a_member_who_declined_is_not_picked_again_for_the_round(article, oncology, editor):
    first_member, second_member = (BoardMemberFactory(specialties=[oncology]) for _ in range(2))
    first = assign_first_reviewer(article, first_member)
    (replacement,) = services.decline(actor=first_member.user, assignment=first, reason="Too busy")
    assert replacement.reviewer == second_member
    assert services.decline(actor=second_member.user, assignment=replacement, reason="Too busy") == []


def test_after_one_approval_a_decline_is_replaced_by_one_reviewer_not_two(high_risk_article, oncology):
    """An approval already given holds one of the round's seats: the replacement fills only the
    declined one."""
    approver, decliner, *free = (BoardMemberFactory(specialties=[oncology]) for _ in range(4))
    first, second = in_review(high_risk_article, approver, decliner)
    approve(first)

    replacements = services.decline(actor=decliner.user, assignment=second, reason="Away in March")

    assert [replacement.reviewer in free for replacement in replacements] == [True]
    assert ReviewAssignment.objects.filter(state=AssignmentState.PENDING).count() == 1


def assign_first_reviewer(article, member):
    submit(article)
    return assign(article, member)


def test_reassigning_cancels_the_review_and_assigns_the_new_member(article, specialists, chief):
    first = assign_first_reviewer(article, specialists[0])

    replacement = services.reassign(
        actor=chief, assignment=first, reviewer=specialists[1], reason="Dr is on sick leave"
    )

    assert refreshed(first).state == AssignmentState.CANCELLED
    assert (replacement.reviewer, replacement.state, replacement.assigned_by) == (
        specialists[1],
        AssignmentState.PENDING,
        chief,
    )
    row = first.history.latest()
    assert (row.state, row.history_user, row.history_change_reason) == (
        "cancelled",
        chief,
        "Dr is on sick leave",
    )


def test_a_refused_reassignment_leaves_the_review_where_it_was(article, specialists, chief):
    from reviewers.models import ConflictOfInterest

    first = assign_first_reviewer(article, specialists[0])
    ConflictOfInterest.objects.create(member=specialists[1], article=article, reason="Consultancy")

    with pytest.raises(NotEligible):
        services.reassign(actor=chief, assignment=first, reviewer=specialists[1], reason="r")

    assert refreshed(first).state == AssignmentState.PENDING
    assert not article.review_rounds.get().assignments.filter(reviewer=specialists[1]).exists()


def test_board_members_cannot_reassign(article, specialists):
    first = assign_first_reviewer(article, specialists[0])
    with pytest.raises(ActionNotPermitted):
        services.reassign(actor=specialists[0].user, assignment=first, reviewer=specialists[1], reason="r")

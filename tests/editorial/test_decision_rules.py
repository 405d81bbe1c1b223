"""What a decision writes, and what the approval check does with the round it completes: the
history reasons of decisions, closed rounds, voided approvals and the seats refilled after them,
and the reviews released from members who can no longer review."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from articles.models import ArticleStatus as S
from config.audit import audit
from editorial import services
from editorial.exceptions import IneligibilityReason, NotEligible
from editorial.integrity.revalidation import revalidate_board
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import ConflictOfInterest
from tests.comments.conftest import BODY, PASSAGE, comment_on
from tests.editorial.conftest import approve, assign, in_review, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def latest_history(assignment):
    return ReviewAssignment.history.filter(id=assignment.pk).order_by("-history_date", "-history_id").first()


def members(specialty, *names):
    return [BoardMemberFactory(display_name=name, specialties=[specialty]) for name in names]


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def keep_credentials_past(day: datetime.date, *others) -> None:
    """The credential checks of ``others`` run until well after ``day``."""
    for member in others:
        member.credentials_verified_until = day + datetime.timedelta(days=30)
        member.save()


# --- What a decision records ---------------------------------------------------------------------


def test_an_approval_given_without_a_comment_records_none(article, specialists):
    (assignment,) = in_review(article, specialists[0])

    decided = services.decide(actor=specialists[0].user, assignment=assignment, decision="approve")

    assert refreshed(decided).comment == ""
    row = latest_history(decided)
    assert (row.history_user, row.history_change_reason) == (specialists[0].user, "Approve")


def test_a_decision_citing_comments_names_each_comment_once_in_order(oncology, editor):
    """Changes may be requested by citing the reviewer's own comments instead of writing one: the
    history says which, by number, each once and in ascending order."""
    article = ArticleFactory(specialty=oncology, actor=editor, body=BODY)
    (member,) = members(oncology, "Dr Adams")
    (assignment,) = in_review(article, member)
    first = comment_on(assignment, PASSAGE)
    second = comment_on(assignment, "Check potassium", body="Which interval?")

    decided = services.decide(
        actor=member.user,
        assignment=assignment,
        decision="request_changes",
        cited_comments=[second.pk, first.pk, second.pk],
    )

    assert (decided.state, refreshed(decided).comment) == (AssignmentState.COMPLETED, "")
    assert list(decided.cited_comments.order_by("pk")) == [first, second]
    assert latest_history(decided).history_change_reason == (
        f"Request changes: see comment {first.pk}, {second.pk}"
    )
    assert refreshed(article).status == S.CHANGES_REQUESTED


def test_a_member_who_can_no_longer_decide_has_the_review_released_by_the_system(
    article, specialists, system_user
):
    """The refusal rolls the decision back; the review is then released, in the system's name and
    at that moment, saying why, and its seat goes to someone who can decide."""
    member = specialists[0]
    (assignment,) = in_review(article, member)
    lapse = member.credentials_verified_until + DAY
    keep_credentials_past(lapse, *specialists[1:])
    lapsed = f"{member.display_name}'s credential check has lapsed or was never recorded."

    with time_machine.travel(noon(lapse), tick=False):
        with pytest.raises(NotEligible) as refused:
            approve(assignment)

    assert refused.value.reasons == [IneligibilityReason("credentials_lapsed", lapsed)]
    released = refreshed(assignment)
    why = f"{member.display_name} could not decide: {lapsed}"
    assert (released.state, released.decision, released.closed_at, released.cancel_reason) == (
        AssignmentState.CANCELLED,
        "",
        noon(lapse),
        why,
    )
    row = latest_history(released)
    assert (row.history_user, row.history_change_reason) == (system_user, f"Review released. {why}")
    (replacement,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    assert (replacement.reviewer in specialists[1:], replacement.assigned_by) == (True, system_user)


# --- The approval that completes a round -------------------------------------------------------


def test_the_completing_approval_closes_the_round_then_naming_the_approvers_in_the_order_they_decided(
    high_risk_article, oncology
):
    adams, baker = members(oncology, "Dr Adams", "Dr Baker")
    assigned_first, assigned_second = in_review(high_risk_article, adams, baker)

    approve(assigned_second)
    completing = refreshed(approve(assigned_first))

    round = ReviewRound.objects.get()
    assert (round.outcome, round.closed_at) == (RoundOutcome.APPROVED, completing.decided_at)
    article = refreshed(high_risk_article)
    assert (article.status, article.last_reviewed_at) == (S.APPROVED, completing.decided_at)
    row = article.history.order_by("-history_date", "-history_id").first()
    assert (row.status, row.history_user, row.history_change_reason) == (
        S.APPROVED,
        adams.user,
        "Approved by Dr Baker, Dr Adams (2 of 2 approvals)",
    )


def test_approvals_that_no_longer_count_when_the_quorum_is_reached_are_voided_and_their_seats_refilled(
    oncology, editor, settings, system_user
):
    """Three approvals needed; the first two reviewers' credential checks ran out before the third
    approved. Both approvals are voided at the moment of the third, in the order they were given,
    and two replacements are assigned by the system, saying whom they replace."""
    settings.REVIEW_QUORUM = {**settings.REVIEW_QUORUM, "standard": 3}
    article = ArticleFactory(specialty=oncology, actor=editor)
    adams, baker, clark, dunn, evans = members(
        oncology, "Dr Adams", "Dr Baker", "Dr Clark", "Dr Dunn", "Dr Evans"
    )
    lapse = adams.credentials_verified_until + DAY
    keep_credentials_past(lapse, clark, dunn, evans)
    by_adams, by_baker, by_clark = in_review(article, adams, baker, clark)
    approve(by_baker)
    approve(by_adams)

    with time_machine.travel(noon(lapse)):
        completing = refreshed(approve(by_clark))

    voided = [refreshed(by_baker), refreshed(by_adams)]
    assert [(a.voided_at, a.void_reason) for a in voided] == [
        (completing.decided_at, "Dr Baker's credential check has lapsed or was never recorded."),
        (completing.decided_at, "Dr Adams's credential check has lapsed or was never recorded."),
    ]
    row = latest_history(by_baker)
    assert (row.history_user, row.history_change_reason) == (
        system_user,
        "Approval no longer counts. Dr Baker's credential check has lapsed or was never recorded.",
    )
    replacements = ReviewAssignment.objects.filter(state=AssignmentState.PENDING).order_by(
        "reviewer__display_name"
    )
    assert [(a.reviewer, a.assigned_by, a.history.get().history_change_reason) for a in replacements] == [
        (member, system_user, "Replacement for Dr Baker, Dr Adams, whose approval no longer counts")
        for member in (dunn, evans)
    ]
    assert ReviewRound.objects.get().is_open
    assert refreshed(article).status == S.UNDER_REVIEW


def test_an_approval_that_leaves_the_round_short_assigns_the_missing_reviewer_saying_what_is_needed(
    high_risk_article, oncology, chief, system_user
):
    """A member assigned as an oncologist who left the specialty before approving, and one from
    outside it assigned with an override: one approval counts where two are needed, and neither is
    a specialist's. Nothing is voided; the seat the round lacks goes to a free oncologist."""
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
    (moved,) = members(oncology, "Dr Moss")
    (outsider,) = members(cardiology, "Dr Otto")
    (free,) = members(oncology, "Dr Free")
    submit(high_risk_article)
    by_moved = assign(high_risk_article, moved)
    by_outsider = assign(high_risk_article, outsider, actor=chief, override_reason="Cardiac safety section")
    moved.specialties.set([cardiology])

    approve(by_moved)
    approve(by_outsider)

    assert ReviewAssignment.objects.exclude(voided_at=None).count() == 0
    (needed,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    assert (needed.reviewer, needed.assigned_by) == (free, system_user)
    assert needed.history.get().history_change_reason == (
        "Still needed: 1 of the 2 approvals its risk level needs count. "
        "A high-risk article needs the approval of a member of Medical oncology."
    )
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW


# --- Reviews released by the daily check -------------------------------------------------------


def test_a_review_held_by_a_member_failing_two_rules_is_released_with_both_reasons(
    article, specialists, chief, system_user
):
    member = specialists[0]
    (held,) = in_review(article, member)
    lapse = member.credentials_verified_until + DAY
    keep_credentials_past(lapse, *specialists[1:])
    with audit(actor=chief, reason="Declared in advance"):
        ConflictOfInterest.objects.create(
            member=member, article=article, reason="Joins the sponsor", declared_on=lapse
        )
    moment = datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)

    with time_machine.travel(moment, tick=False):
        counts = revalidate_board()

    name = member.display_name
    why = (
        "Daily check of the board's standing: "
        f"{name}'s credential check has lapsed or was never recorded. "
        f"{name} has declared a conflict of interest: this article."
    )
    released = refreshed(held)
    assert (released.state, released.closed_at, released.cancel_reason) == (
        AssignmentState.CANCELLED,
        moment,
        why,
    )
    row = latest_history(released)
    assert (row.history_user, row.history_change_reason) == (system_user, f"Review released. {why}")
    assert counts == {"members": 1, "articles": 1, "voided": 0, "released": 1, "refilled": 1, "lapsed": 0}


def test_the_daily_check_releases_each_lapsed_member_s_review_from_its_own_round(oncology, editor):
    """Two members whose checks run out the same day, each reviewing another article: each round
    loses only its own reviewer's review, and each gets a replacement."""
    adams, baker, clark = members(oncology, "Dr Adams", "Dr Baker", "Dr Clark")
    lapse = adams.credentials_verified_until + DAY
    keep_credentials_past(lapse, clark)
    (by_adams,) = in_review(ArticleFactory(specialty=oncology, actor=editor), adams)
    (by_baker,) = in_review(ArticleFactory(specialty=oncology, actor=editor), baker)

    with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)):
        counts = revalidate_board()

    assert counts == {"members": 2, "articles": 2, "voided": 0, "released": 2, "refilled": 2, "lapsed": 0}
    lapsed = "{}'s credential check has lapsed or was never recorded."
    assert [(refreshed(a).state, refreshed(a).cancel_reason) for a in (by_adams, by_baker)] == [
        (AssignmentState.CANCELLED, "Daily check of the board's standing: " + lapsed.format(name))
        for name in ("Dr Adams", "Dr Baker")
    ]
    pending = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
    assert sorted((a.round_id, a.reviewer.display_name) for a in pending) == [
        (by_adams.round_id, "Dr Clark"),
        (by_baker.round_id, "Dr Clark"),
    ]

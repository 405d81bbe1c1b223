"""Every eligibility rule for assignment (docs/workflow.md), hand-picked and automatic."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles.models import ArticleStatus as S
from config.audit import audit
from editorial import services
from editorial.exceptions import (
    ActionNotPermitted,
    AssignmentClosed,
    NoEligibleReviewers,
    NotEligible,
    OverrideNotPermitted,
)
from editorial.models import AssignmentState, ReviewAssignment
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def refusal_codes(error):
    return [reason.code for reason in error.value.reasons]


@pytest.fixture
def cardiologist():
    return BoardMemberFactory(specialties=[SpecialtyFactory(name="Cardiology", slug="cardiology")])


def test_an_eligible_specialist_is_assigned_with_the_default_due_date(article, specialists, editor, settings):
    settings.REVIEW_ASSIGNMENT_DAYS = 10
    submit(article)
    before = timezone.now()
    assignment = assign(article, specialists[0])

    assert assignment.assigned_by == editor
    assert (
        before + datetime.timedelta(days=10)
        <= assignment.due_at
        <= timezone.now() + datetime.timedelta(days=10)
    )
    history = assignment.history.get()
    assert (history.history_user, history.history_change_reason) == (editor, "Best placed to review")


def test_a_due_date_in_the_past_is_refused(article, specialists):
    submit(article)
    with pytest.raises(ValidationError) as refused:
        assign(article, specialists[0], due_at=timezone.now() - datetime.timedelta(hours=1))
    assert "due_at" in refused.value.message_dict


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_active": False}, "inactive"),
        ({"credentials_verified_until": TODAY - datetime.timedelta(days=1)}, "credentials_lapsed"),
        ({"credentials_verified_until": None}, "credentials_lapsed"),
        ({"max_open_reviews": 1}, "at_capacity"),
    ],
)
def test_members_failing_a_rule_are_refused_with_the_reason(article, oncology, editor, change, code):
    member = BoardMemberFactory(specialties=[oncology], **change)
    if code == "at_capacity":
        other = ArticleFactory(specialty=oncology)
        submit(other)
        assign(other, member)
    submit(article)

    with pytest.raises(NotEligible) as refused:
        assign(article, member)

    assert code in refusal_codes(refused)
    assert refused.value.extra["reasons"][0]["message"]
    assert not ReviewAssignment.objects.filter(round__article=article).exists()
    assert refreshed(article).status == S.SUBMITTED


def test_a_deactivated_user_account_makes_the_member_ineligible(article, specialists):
    specialists[0].user.is_active = False
    specialists[0].user.save()
    submit(article)
    with pytest.raises(NotEligible) as refused:
        assign(article, specialists[0])
    assert refusal_codes(refused) == ["inactive"]


def test_nobody_reviews_their_own_text(article, oncology):
    member = BoardMemberFactory(specialties=[oncology])
    member.user.groups.add(*article.created_by.groups.all())  # an editor who is also on the board
    member.user.__dict__.pop("_editorial_roles", None)
    new_version(article, actor=member.user)
    new_version(article, body="Third version, by the original editor.")
    submit(article)

    with pytest.raises(NotEligible) as refused:
        assign(article, member)
    assert refusal_codes(refused) == ["author"]


def test_a_conflict_on_the_article_is_refused(article, specialists):
    ConflictOfInterest.objects.create(
        member=specialists[0], article=article, reason="Co-author of the cited trial"
    )
    submit(article)
    with pytest.raises(NotEligible) as refused:
        assign(article, specialists[0])
    assert refusal_codes(refused) == ["conflict_of_interest"]


def test_a_keyword_conflict_applies_when_the_text_names_it(oncology, specialists, editor):
    named = ArticleFactory(specialty=oncology, body="Pertuzumab (Roche) with docetaxel.", actor=editor)
    unnamed = ArticleFactory(specialty=oncology, body="Docetaxel alone; a Rochester study.", actor=editor)
    ConflictOfInterest.objects.create(member=specialists[0], keyword="roche", reason="Advisory board fees")
    submit(named)
    submit(unnamed)

    with pytest.raises(NotEligible) as refused:
        assign(named, specialists[0])
    assert refusal_codes(refused) == ["conflict_of_interest"]
    assign(unnamed, specialists[0])  # "Rochester" is not "Roche"


def test_expired_and_future_conflicts_do_not_apply(article, specialists):
    ConflictOfInterest.objects.create(
        member=specialists[0],
        article=article,
        reason="Old consultancy",
        declared_on=TODAY - datetime.timedelta(days=800),
        expires_on=TODAY - datetime.timedelta(days=1),
    )
    submit(article)
    assign(article, specialists[0])


def test_a_member_cannot_be_assigned_twice_to_the_same_round(article, specialists):
    submit(article)
    assign(article, specialists[0])
    with pytest.raises(NotEligible) as refused:
        assign(article, specialists[0])
    assert refusal_codes(refused) == ["already_assigned"]


def test_a_member_outside_the_specialty_is_refused_without_an_override(article, cardiologist, editor):
    submit(article)
    with pytest.raises(NotEligible) as refused:
        assign(article, cardiologist)
    assert refusal_codes(refused) == ["specialty_mismatch"]
    assert refused.value.extra["reasons"][0]["overridable"] is True


def test_an_editor_in_chief_overrides_the_specialty_with_a_recorded_reason(article, cardiologist, chief):
    submit(article)
    assignment = assign(
        article, cardiologist, actor=chief, override_reason="Cardiotoxicity section needs a cardiologist"
    )

    assert assignment.override_reason == "Cardiotoxicity section needs a cardiologist"
    assert assignment.history.get().history_user == chief


def test_an_editor_cannot_override(article, cardiologist):
    submit(article)
    with pytest.raises(OverrideNotPermitted):
        assign(article, cardiologist, override_reason="Please")
    assert not ReviewAssignment.objects.exists()


@pytest.mark.parametrize("rule", ["conflict_of_interest", "credentials_lapsed"])
def test_no_override_lifts_the_other_rules(article, cardiologist, chief, rule):
    if rule == "conflict_of_interest":
        ConflictOfInterest.objects.create(member=cardiologist, article=article, reason="Stock holding")
    else:
        cardiologist.credentials_verified_until = TODAY - datetime.timedelta(days=1)
        cardiologist.save()
    submit(article)
    with pytest.raises(NotEligible) as refused:
        assign(article, cardiologist, actor=chief, override_reason="We need them")
    assert set(refusal_codes(refused)) == {rule, "specialty_mismatch"}


def test_board_members_cannot_assign(article, specialists):
    submit(article)
    with pytest.raises(ActionNotPermitted):
        assign(article, specialists[1], actor=specialists[0].user)


# --- auto-assign -------------------------------------------------------------------------------


def test_auto_assign_fills_the_quorum_with_the_least_loaded_specialists(high_risk_article, oncology, editor):
    busy, free, idle = (BoardMemberFactory(specialties=[oncology]) for _ in range(3))
    for _ in range(2):
        other = ArticleFactory(specialty=oncology)
        submit(other)
        assign(other, busy)
    other = ArticleFactory(specialty=oncology)
    submit(other)
    assign(other, free)
    submit(high_risk_article)

    assignments = services.auto_assign(actor=editor, article=high_risk_article, reason="Auto-assign")

    assert [a.reviewer for a in assignments] == [idle, free]
    assert refreshed(high_risk_article).status == S.UNDER_REVIEW
    for assignment in assignments:
        row = assignment.history.get()
        assert (row.history_user, row.history_change_reason) == (editor, "Auto-assign")


def test_auto_assign_skips_ineligible_members(article, oncology, editor):
    conflicted = BoardMemberFactory(specialties=[oncology])
    ConflictOfInterest.objects.create(member=conflicted, article=article, reason="r")
    BoardMemberFactory(specialties=[oncology], credentials_verified_until=None)
    BoardMemberFactory(specialties=[oncology], is_active=False)
    eligible = BoardMemberFactory(specialties=[oncology])
    submit(article)

    assignments = services.auto_assign(actor=editor, article=article, reason="Auto-assign")

    assert [a.reviewer for a in assignments] == [eligible]


def test_auto_assign_only_tops_up_to_the_quorum(high_risk_article, specialists, editor):
    submit(high_risk_article)
    assign(high_risk_article, specialists[0])

    assignments = services.auto_assign(actor=editor, article=high_risk_article, reason="Top up")
    assert len(assignments) == 1
    assert services.auto_assign(actor=editor, article=high_risk_article, reason="Again") == []


def test_auto_assign_counts_an_approval_already_given(high_risk_article, specialists, editor):
    submit(high_risk_article)
    approve(assign(high_risk_article, specialists[0]))

    (assignment,) = services.auto_assign(actor=editor, article=high_risk_article, reason="Top up")

    assert assignment.reviewer in specialists[1:]
    assert services.auto_assign(actor=editor, article=high_risk_article, reason="Again") == []


def test_auto_assign_picks_whoever_was_assigned_least_recently_among_the_equally_loaded(
    article, oncology, editor
):
    """Between members with as many open reviews, the seat goes to the one who has waited longest
    since their last assignment, whatever the order they joined the board in."""
    recently, long_ago = (BoardMemberFactory(specialties=[oncology]) for _ in range(2))
    for member, days_ago in ((long_ago, 30), (recently, 2)):
        with time_machine.travel(timezone.now() - datetime.timedelta(days=days_ago)):
            (earlier,) = in_review(ArticleFactory(specialty=oncology, actor=editor), member)
            approve(earlier)
    submit(article)

    (assignment,) = services.auto_assign(actor=editor, article=article, reason="Auto-assign")

    assert assignment.reviewer == long_ago


def test_auto_assign_without_any_eligible_member_says_so(article, editor, cardiologist):
    submit(article)
    with pytest.raises(NoEligibleReviewers, match="override"):
        services.auto_assign(actor=editor, article=article, reason="Auto-assign")
    assert refreshed(article).status == S.SUBMITTED


def test_auto_assign_never_picks_another_specialty(article, editor, cardiologist, oncology):
    specialist = BoardMemberFactory(specialties=[oncology])
    submit(article)
    assert [a.reviewer for a in services.auto_assign(actor=editor, article=article, reason="r")] == [
        specialist
    ]


def test_a_new_conflict_declared_after_assignment_releases_the_review(article, specialists, chief):
    submit(article)
    assignment = assign(article, specialists[0])
    with audit(actor=chief, reason="Declared today"):
        ConflictOfInterest.objects.create(member=specialists[0], article=article, reason="New consultancy")

    released = refreshed(assignment)
    assert released.state == AssignmentState.CANCELLED
    assert "has declared a conflict of interest" in released.cancel_reason
    with pytest.raises(AssignmentClosed):
        services.decide(actor=specialists[0].user, assignment=assignment, decision="approve")
    # Its seat went to the next free oncologist.
    assert ReviewAssignment.objects.get(state=AssignmentState.PENDING).reviewer == specialists[1]
    assert refreshed(article).status == S.UNDER_REVIEW


def test_a_board_record_without_the_board_member_role_is_not_eligible(article, oncology, editor):
    """Seen: a BoardMember profile whose user lacked the board-member role could be assigned, and
    the seat was then held by someone who could never decide."""
    roleless = BoardMemberFactory(specialties=[oncology], user__roles=[])
    submit(article)

    with pytest.raises(NotEligible) as refused:
        assign(article, roleless)
    assert refusal_codes(refused) == ["not_a_board_member"]

    with pytest.raises(NoEligibleReviewers):
        services.auto_assign(actor=editor, article=article, reason="Auto")
    assert not ReviewAssignment.objects.exists()

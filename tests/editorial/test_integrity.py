"""One rule for "this approval counts": re-validated whenever a round could close, and at once when
a reviewer's standing changes (a conflict declared, deactivation, the role or credentials lost)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleStatus, RiskLevel
from config.audit import audit
from editorial import services
from editorial.integrity.revalidation import revalidate_board
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, RoundOutcome
from reviewers.models import ConflictOfInterest
from reviewers.roles import Role
from reviewers.services import get_system_user
from tests.editorial.conftest import approve, assign, in_review, refreshed
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db


def declare_conflict(member, *, by, article=None, keyword="", declared_on=None):
    with audit(actor=by, reason="Declared at the board meeting"):
        return ConflictOfInterest.objects.create(
            member=member,
            article=article,
            keyword=keyword,
            reason="Paid consultancy",
            declared_on=declared_on or timezone.localdate(),
        )


def latest_history(assignment):
    return ReviewAssignment.history.filter(id=assignment.pk).order_by("-history_date", "-history_id").first()


class TestAConflictDeclaredAfterAnApproval:
    def test_the_approval_is_voided_at_once_and_its_seat_refilled(self, world):
        first, second = in_review(world.article, *world.members[:2])
        approve(first)

        declare_conflict(world.members[0], by=world.chief, article=world.article)

        first.refresh_from_db()
        assert first.voided_at is not None
        assert "declared a conflict of interest" in first.void_reason
        row = latest_history(first)
        assert row.history_user == world.chief  # the chief who recorded the declaration
        assert "Approval no longer counts" in row.history_change_reason
        # The third oncologist takes the seat, through the normal replacement path.
        replacement = ReviewAssignment.objects.get(round=first.round, reviewer=world.members[2])
        assert replacement.state == AssignmentState.PENDING
        assert replacement.assigned_by == get_system_user()

    def test_the_second_approval_does_not_approve_with_the_conflicted_one(self, world):
        """Seen: the second reviewer approved, the article went approved and the public byline
        listed the conflicted member."""
        first, second = in_review(world.article, *world.members[:2])
        approve(first)
        declare_conflict(world.members[0], by=world.chief, article=world.article)

        approve(second)

        assert refreshed(world.article).status == ArticleStatus.UNDER_REVIEW
        assert ReviewRound.objects.get(pk=first.round_id).closed_at is None

    def test_a_conflict_recorded_outside_any_audited_step_is_voided_by_the_system(self, world):
        first, _ = in_review(world.article, *world.members[:2])
        approve(first)

        ConflictOfInterest.objects.create(member=world.members[0], keyword="Phesgo", reason="Speaker fees")
        # The article's text does not name Phesgo: nothing to void.
        assert refreshed(first).voided_at is None

        ConflictOfInterest.objects.create(member=world.members[0], article=world.article, reason="Shares")
        assert refreshed(first).voided_at is not None
        assert latest_history(first).history_user == get_system_user()

    def test_a_keyword_the_text_names_counts_as_a_conflict_about_the_article(self, world, oncology):
        article = world.article
        services.add_version(
            actor=world.editor, article=article, title="Phesgo", body="Phesgo (Roche) dosing.", reason="v2"
        )
        first, _ = in_review(article, *world.members[:2])
        approve(first)

        declare_conflict(world.members[0], by=world.chief, keyword="Roche")

        assert refreshed(first).voided_at is not None

    def test_a_conflict_that_starts_later_is_applied_by_the_daily_check_on_the_day(self, world):
        first, second = in_review(world.article, *world.members[:2])
        approve(first)
        starts = timezone.localdate() + datetime.timedelta(days=3)
        declare_conflict(world.members[0], by=world.chief, article=world.article, declared_on=starts)
        assert refreshed(first).voided_at is None

        with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
            counts = revalidate_board()

        assert counts["voided"] == 1
        assert refreshed(first).voided_at is not None


def test_a_conflict_releases_only_the_conflicted_reviewer_s_review(world, oncology):
    """Every open review of the round is looked at, whatever the order: the one by the member in
    good standing who comes first by name stays."""
    adams, baker = (
        BoardMemberFactory(display_name=name, specialties=[oncology]) for name in ("Dr Adams", "Dr Baker")
    )
    kept, released = in_review(world.article, adams, baker)

    declare_conflict(baker, by=world.chief, article=world.article)

    assert (refreshed(kept).state, refreshed(released).state) == (
        AssignmentState.PENDING,
        AssignmentState.CANCELLED,
    )
    assert refreshed(released).cancel_reason.startswith("Conflict of interest declared")


class TestAnApprovedArticleWhoseApproverDeclaresAConflict:
    def test_loses_its_badge_and_goes_back_for_review(self, world, oncology):
        members = world.members
        first, second = in_review(world.article, *members[:2])
        approve(first)
        approve(second)
        assert refreshed(world.article).status == ArticleStatus.APPROVED

        declare_conflict(members[1], by=world.chief, article=world.article)

        article = refreshed(world.article)
        assert refreshed(second).voided_at is not None
        assert not article.shows_approval(timezone.now())
        # Expired, and the same text opened for a re-review at once.
        assert article.status in (ArticleStatus.SUBMITTED, ArticleStatus.UNDER_REVIEW)
        reasons = list(article.history.values_list("history_change_reason", flat=True)[:5])
        assert any("The approval no longer stands" in reason for reason in reasons)

    def test_keeps_its_badge_when_the_approvals_that_still_count_are_enough(self, world):
        # Two members from outside the specialty, overridden in, then the specialist the
        # high-risk article needs: three approvals where two are required.
        outsiders = [BoardMemberFactory() for _ in range(2)]
        services.submit(actor=world.editor, article=world.article, reason="Ready")
        for member in outsiders:
            approve(assign(world.article, member, actor=world.chief, override_reason="Oncologists busy"))
        # The system gives the specialist's seat the round still needs to the least-loaded oncologist.
        (specialist,) = ReviewAssignment.objects.filter(state=AssignmentState.PENDING)
        approve(specialist)
        assert refreshed(world.article).status == ArticleStatus.APPROVED

        declare_conflict(outsiders[0], by=world.chief, article=world.article)

        article = refreshed(world.article)
        assert article.status == ArticleStatus.APPROVED
        assert article.shows_approval(timezone.now())
        voided = ReviewAssignment.objects.exclude(voided_at=None)
        assert [assignment.reviewer for assignment in voided] == [outsiders[0]]


class TestStandingLostWhileARoundIsOpen:
    @pytest.fixture
    def half_approved(self, world):
        first, second = in_review(world.article, *world.members[:2])
        approve(first)
        return first, second

    def test_deactivating_the_member_voids_their_approval_at_once(self, world, half_approved):
        first, second = half_approved
        member = world.members[0]
        member.is_active = False
        with audit(actor=world.chief, reason="Left the board"):
            member.save()

        assert "not an active board member" in refreshed(first).void_reason
        approve(second)
        assert refreshed(world.article).status == ArticleStatus.UNDER_REVIEW

    def test_deactivating_their_account_voids_it(self, world, half_approved):
        first, _ = half_approved
        user = world.members[0].user
        user.is_active = False
        user.save()
        assert refreshed(first).voided_at is not None

    def test_taking_away_the_board_member_role_voids_it(self, world, half_approved):
        first, _ = half_approved
        world.members[0].user.groups.remove(Group.objects.get(name=Role.BOARD_MEMBER))
        assert "no longer holds the board-member role" in refreshed(first).void_reason

    def test_signing_in_does_not_touch_anything(self, world, half_approved, django_assert_max_num_queries):
        user = world.members[0].user
        user.last_login = timezone.now()
        with django_assert_max_num_queries(1):
            user.save(update_fields=["last_login"])

    def test_credentials_lapsing_voids_it_at_the_next_approval(self, world, half_approved):
        first, second = half_approved
        member = world.members[0]
        lapse = member.credentials_verified_until + datetime.timedelta(days=1)
        for other in world.members[1:]:
            other.credentials_verified_until = lapse + datetime.timedelta(days=30)
            other.save()
        with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(12), tzinfo=datetime.UTC)):
            approve(second)

        assert "credential check has lapsed" in refreshed(first).void_reason
        assert refreshed(world.article).status == ArticleStatus.UNDER_REVIEW
        assert latest_history(first).history_user == get_system_user()

    def test_an_approval_failing_two_rules_at_the_next_approval_gives_both_reasons(
        self, world, half_approved
    ):
        first, second = half_approved
        member = world.members[0]
        lapse = member.credentials_verified_until + datetime.timedelta(days=1)
        for other in world.members[1:]:
            other.credentials_verified_until = lapse + datetime.timedelta(days=30)
            other.save()
        declare_conflict(member, by=world.chief, article=world.article, declared_on=lapse)
        with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(12), tzinfo=datetime.UTC)):
            approve(second)

        why = (
            f"{member.display_name}'s credential check has lapsed or was never recorded. "
            f"{member.display_name} has declared a conflict of interest: this article."
        )
        assert refreshed(first).void_reason == why
        assert latest_history(first).history_change_reason == f"Approval no longer counts. {why}"

    def test_credentials_lapsing_voids_it_in_the_daily_check(self, world, half_approved):
        first, _ = half_approved
        lapse = world.members[0].credentials_verified_until + datetime.timedelta(days=1)
        with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)):
            counts = revalidate_board()
        # Both members' checks ran out that day: the approval is voided, the open review released.
        assert (counts["members"], counts["voided"], counts["released"]) == (2, 1, 1)
        assert refreshed(first).voided_at is not None

    def test_the_daily_check_rechecks_only_members_in_doubt_and_says_what_it_did(self, world, half_approved):
        first, _ = half_approved
        in_good_standing = world.members[2]
        in_good_standing.credentials_verified_until += datetime.timedelta(days=90)
        in_good_standing.save()
        (elsewhere,) = in_review(ArticleFactory(specialty=world.article.specialty), in_good_standing)
        lapse = world.members[0].credentials_verified_until + datetime.timedelta(days=1)

        with time_machine.travel(datetime.datetime.combine(lapse, datetime.time(1), tzinfo=datetime.UTC)):
            counts = revalidate_board()

        assert counts == {"members": 2, "articles": 1, "voided": 1, "released": 1, "refilled": 1, "lapsed": 0}
        assert refreshed(first).void_reason.startswith("Daily check of the board's standing: ")
        assert refreshed(elsewhere).state == AssignmentState.PENDING

    def test_a_closed_approval_is_not_undone_by_a_later_lapse_or_departure(self, world):
        first, second = in_review(world.article, *world.members[:2])
        approve(first)
        approve(second)
        member = world.members[0]
        member.is_active = False
        member.save()

        assert refreshed(first).voided_at is None
        assert refreshed(world.article).status == ArticleStatus.APPROVED


class TestWhatADecisionRecords:
    def test_the_risk_level_specialty_and_specialist_standing_it_was_given_under(self, world, oncology):
        (assignment,) = in_review(world.article, world.members[0])
        approve(assignment)
        assignment.refresh_from_db()
        assert (
            assignment.decided_risk_level,
            assignment.decided_specialty,
            assignment.decided_as_specialist,
        ) == (RiskLevel.HIGH, oncology, True)

    def test_an_override_counts_but_not_as_the_specialist_a_high_risk_article_needs(
        self, world, editor, chief
    ):
        outsiders = [BoardMemberFactory() for _ in range(2)]
        services.submit(actor=world.editor, article=world.article, reason="Ready")
        assignments = [
            assign(world.article, member, actor=world.chief, override_reason="The oncologists are conflicted")
            for member in outsiders
        ]
        for assignment in assignments:
            approve(assignment)

        assert refreshed(world.article).status == ArticleStatus.UNDER_REVIEW
        assert all(refreshed(a).decided_as_specialist is False for a in assignments)
        assert ReviewRound.objects.get(pk=assignments[0].round_id).outcome == ""


def test_an_approval_that_completes_the_round_names_only_the_approvals_that_count(world):
    first, second = in_review(world.article, *world.members[:2])
    approve(first)
    approve(second)
    article = refreshed(world.article)
    row = article.history.order_by("-history_date", "-history_id").first()
    assert row.history_change_reason.startswith("Approved by")
    assert "(2 of 2 approvals)" in row.history_change_reason
    assert ReviewRound.objects.get(pk=first.round_id).outcome == RoundOutcome.APPROVED


def test_a_chief_declaring_a_conflict_in_the_admin_voids_the_approval_in_their_name(world):
    """The path a chief takes: the conflict-of-interest form of the admin, with its reason."""
    first, second = in_review(world.article, *world.members[:2])
    approve(first)
    client = Client()
    client.force_login(world.chief)

    response = client.post(
        reverse("admin:reviewers_conflictofinterest_add"),
        {
            "member": world.members[0].pk,
            "article": world.article.pk,
            "keyword": "",
            "reason": "Paid adviser to the maker",
            "declared_on": timezone.localdate().isoformat(),
            "expires_on": "",
            "change_reason": "Declared at the March board meeting",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    first.refresh_from_db()
    assert first.voided_at is not None
    assert latest_history(first).history_user == world.chief
    # The reviewer sees why on their review page.
    reviewer = Client()
    reviewer.force_login(world.members[0].user)
    page = reviewer.get(reverse("admin:editorial_reviewassignment_change", args=[first.pk])).content.decode()
    assert 'id="assignment-voided"' in page
    assert "declared a conflict of interest" in page

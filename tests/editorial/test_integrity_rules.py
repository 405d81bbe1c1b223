"""What starts a re-check of approvals, and what it writes: the save-time checks (a conflict
declared, a member or their account changed, the role taken away, an article reclassified), each
naming its cause on the voided approval, and the daily check of the board's standing, with the
counts it returns."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import ArticleStatus, RiskLevel
from articles.services import update_article
from config.audit import audit
from editorial import services
from editorial.integrity.revalidation import members_to_recheck, revalidate_board
from editorial.models import ReviewAssignment
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

NOTHING_DONE = {"members": 0, "articles": 0, "voided": 0, "released": 0, "refilled": 0, "lapsed": 0}


def declare_conflict(member, *, by, article=None, keyword="", declared_on=None, expires_on=None):
    with audit(actor=by, reason="Declared at the board meeting"):
        return ConflictOfInterest.objects.create(
            member=member,
            article=article,
            keyword=keyword,
            reason="Paid consultancy",
            declared_on=declared_on or timezone.localdate(),
            expires_on=expires_on,
        )


def latest_history(assignment):
    return ReviewAssignment.history.filter(id=assignment.pk).order_by("-history_date", "-history_id").first()


def at_noon(day):
    return time_machine.travel(timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))))


@pytest.fixture
def half_approved(world):
    """The first oncologist has approved the high-risk article; the second's review is open."""
    first, second = in_review(world.article, *world.members[:2])
    approve(first)
    return first, second


class TestTheCauseNamedOnAVoidedApproval:
    def test_a_conflict_about_the_article(self, world, half_approved):
        first, _ = half_approved
        name = world.members[0].display_name

        declare_conflict(world.members[0], by=world.chief, article=world.article)

        assert refreshed(first).void_reason == (
            f"Conflict of interest declared for {name} (this article): "
            f"{name} has declared a conflict of interest: this article."
        )

    def test_a_conflict_about_a_keyword_the_text_names(self, world):
        services.add_version(
            actor=world.editor,
            article=world.article,
            title="Phesgo",
            body="Phesgo (Roche) dosing.",
            reason="v2",
        )
        first, _ = in_review(world.article, *world.members[:2])
        approve(first)
        name = world.members[0].display_name

        declare_conflict(world.members[0], by=world.chief, keyword="Roche")

        assert refreshed(first).void_reason == (
            f"Conflict of interest declared for {name} (Roche): "
            f"{name} has declared a conflict of interest: Roche."
        )

    def test_the_member_s_board_record_changed(self, world, half_approved):
        first, _ = half_approved
        member = world.members[0]
        member.is_active = False
        with audit(actor=world.chief, reason="Left the board"):
            member.save()

        name = member.display_name
        assert refreshed(first).void_reason == (
            f"{name}'s board record changed: {name} is not an active board member."
        )

    def test_their_account_changed(self, world, half_approved):
        first, _ = half_approved
        user = world.members[0].user
        user.is_active = False
        user.save()

        name = world.members[0].display_name
        assert refreshed(first).void_reason == (
            f"{name}'s account changed: {name} is not an active board member."
        )

    def test_the_role_taken_away_through_the_group(self, world, half_approved):
        """The same role change made from the group's side (``group.user_set``)."""
        first, _ = half_approved
        Group.objects.get(name=Role.BOARD_MEMBER).user_set.remove(world.members[0].user)

        name = world.members[0].display_name
        assert refreshed(first).void_reason == (
            f"{name}'s role changed: {name} no longer holds the board-member role."
        )

    def test_every_role_cleared_at_once(self, world, half_approved):
        first, _ = half_approved
        world.members[0].user.groups.clear()

        name = world.members[0].display_name
        assert refreshed(first).void_reason == (
            f"{name}'s role changed: {name} no longer holds the board-member role."
        )


def test_a_conflict_in_force_until_today_voids_the_approval_at_once(world, half_approved):
    """A conflict that expires today is still in force today."""
    first, _ = half_approved
    today = timezone.localdate()

    declare_conflict(world.members[0], by=world.chief, article=world.article, expires_on=today)

    assert refreshed(first).voided_at is not None


@pytest.mark.parametrize(
    ("declared_in", "expired_in"), [(3, None), (-30, -1)], ids=["starts-later", "already-expired"]
)
def test_recording_a_conflict_not_in_force_today_re_checks_nothing(
    world, half_approved, declared_in, expired_in, django_assert_num_queries
):
    """The declaration and its history row are all that is written: the daily check applies a
    conflict on the day it comes into force."""
    today = timezone.localdate()
    with django_assert_num_queries(2):
        declare_conflict(
            world.members[0],
            by=world.chief,
            article=world.article,
            declared_on=today + datetime.timedelta(days=declared_in),
            expires_on=today + datetime.timedelta(days=expired_in) if expired_in else None,
        )


def test_saving_only_the_sign_in_time_and_the_password_re_checks_nothing(
    world, half_approved, django_assert_max_num_queries
):
    user = world.members[0].user
    user.last_login = timezone.now()
    user.set_password("a-new-secret-pass-456")
    with django_assert_max_num_queries(1):
        user.save(update_fields=["last_login", "password"])


def test_a_reclassification_voids_an_approval_whose_conflict_came_into_force_in_the_editor_s_name(
    article, specialists, editor
):
    """A conflict that started today, before the daily check ran: the reclassification's own check
    voids the approval, as the editor who reclassified, naming both changes."""
    (approval,) = in_review(article, specialists[0])
    approve(approval)
    member = specialists[0]
    starts = timezone.localdate() + datetime.timedelta(days=1)
    declare_conflict(member, by=editor, article=article, declared_on=starts)
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")

    with at_noon(starts):
        update_article(
            actor=editor,
            article=article,
            reason="Reclassified",
            specialty=cardiology,
            risk_level=RiskLevel.HIGH,
        )

    described = (
        "specialty changed from Medical oncology to Cardiology; "
        "risk level changed from Standard to High (dosing, procedures)"
    )
    name = member.display_name
    approval = refreshed(approval)
    assert approval.void_reason == (
        f"Reclassified: {described}: {name} has declared a conflict of interest: this article."
    )
    assert latest_history(approval).history_user == editor
    lapse = (
        article.history.filter(history_change_reason__startswith="The approval no longer stands.")
        .values_list("history_change_reason", flat=True)
        .get()
    )
    assert lapse == (
        f"The approval no longer stands. Reclassified: {described}: "
        # The approval was given at the standard level; the high-risk quorum is two.
        "0 of the 2 approvals its risk level needs count. "
        "A high-risk article needs the approval of a member of Cardiology."
    )


def test_a_conflict_voiding_the_only_approval_names_the_quorum_of_the_unchanged_risk_level(
    article, specialists, chief
):
    (approval,) = in_review(article, specialists[0])
    approve(approval)

    declare_conflict(specialists[0], by=chief, article=article)

    lapse = (
        article.history.filter(history_change_reason__startswith="The approval no longer stands.")
        .values_list("history_change_reason", flat=True)
        .get()
    )
    assert lapse == (
        "The approval no longer stands. Conflict of interest declared for "
        f"{specialists[0].display_name} (this article): 0 of the 1 approvals its risk level needs count."
    )


class TestTheDailyCheck:
    def test_counts_every_article_relying_on_a_member_it_re_checks(self, oncology, specialists, chief):
        """One member in doubt, two articles relying on them (each an approval behind the
        published page and an open review of the newer version): every count adds up over both."""
        member = BoardMemberFactory(specialties=[oncology])
        articles = [ArticleFactory(specialty=oncology, body="Phesgo dosing.") for _ in range(2)]
        for article in articles:
            (approval,) = in_review(article, member)
            approve(approval)
            new_version(article, body="Phesgo dosing, revised.")
            submit(article)
            assign(article, member)
        starts = timezone.localdate() + datetime.timedelta(days=1)
        declare_conflict(member, by=chief, keyword="Phesgo", declared_on=starts)

        with at_noon(starts):
            counts = revalidate_board()

        assert counts == {"members": 1, "articles": 2, "voided": 2, "released": 2, "refilled": 2, "lapsed": 2}

    def test_withdraws_a_published_approval_whose_reviewer_s_conflict_came_into_force(
        self, article, specialists, chief
    ):
        (approval,) = in_review(article, specialists[0])
        approve(approval)
        starts = timezone.localdate() + datetime.timedelta(days=1)
        declare_conflict(specialists[0], by=chief, article=article, declared_on=starts)

        with at_noon(starts):
            counts = revalidate_board()
            assert not refreshed(article).shows_approval(timezone.now())

        assert counts == {"members": 1, "articles": 1, "voided": 1, "released": 0, "refilled": 0, "lapsed": 1}
        assert refreshed(approval).voided_at is not None

    @pytest.mark.parametrize(
        ("change", "why"),
        [
            (
                lambda member: BoardMember.objects.filter(pk=member.pk).update(is_active=False),
                "{name} is not an active board member.",
            ),
            (
                lambda member: get_user_model().objects.filter(pk=member.user_id).update(is_active=False),
                "{name} is not an active board member.",
            ),
            (
                lambda member: (
                    get_user_model()
                    .groups.through.objects.filter(user_id=member.user_id, group__name=Role.BOARD_MEMBER)
                    .delete()
                ),
                "{name} no longer holds the board-member role.",
            ),
        ],
        ids=["member-deactivated", "account-deactivated", "role-taken-away"],
    )
    def test_finds_standing_lost_without_a_save_time_check(self, world, half_approved, change, why):
        """A change made straight in the database sends no signal: the daily check finds it."""
        first, _ = half_approved
        member = world.members[0]
        change(member)

        assert members_to_recheck(today=timezone.localdate()) == [member.pk]
        counts = revalidate_board()

        assert counts == {"members": 1, "articles": 1, "voided": 1, "released": 0, "refilled": 1, "lapsed": 0}
        reason = why.format(name=member.display_name)
        assert refreshed(first).void_reason == f"Daily check of the board's standing: {reason}"

    def test_leaves_alone_members_in_doubt_whose_reviews_no_longer_matter(
        self, oncology, specialists, high_risk_article, editor
    ):
        """In doubt (credentials lapsed) but relied on by nothing: one whose approval was of an
        older version, one whose approval was in a round later withdrawn, one with no review at
        all. Only the approvals behind the page and open reviews matter."""
        superseded, withdrawn, idle = (BoardMemberFactory(specialties=[oncology]) for _ in range(3))
        article = ArticleFactory(specialty=oncology)
        (old,) = in_review(article, superseded)
        approve(old)
        new_version(article)
        submit(article)
        approve(assign(article, specialists[0]))
        assert refreshed(article).status == ArticleStatus.APPROVED

        (given,) = in_review(high_risk_article, withdrawn)
        approve(given)
        services.withdraw(actor=editor, article=high_risk_article, reason="Wrong references")
        submit(high_risk_article)
        for member in specialists[1:]:
            approve(assign(high_risk_article, member))
        assert refreshed(high_risk_article).status == ArticleStatus.APPROVED

        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        BoardMember.objects.filter(pk__in=[superseded.pk, withdrawn.pk, idle.pk]).update(
            credentials_verified_until=yesterday
        )

        assert members_to_recheck(today=timezone.localdate()) == []
        assert revalidate_board() == NOTHING_DONE

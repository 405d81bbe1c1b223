"""The words of every eligibility rule, as an editor reads them when an assignment is refused and
as the approval audit reports them, and who holds the board-member role."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from articles.models import Article
from editorial.exceptions import IneligibilityReason, NotEligible
from editorial.integrity.audit import Violation, verify_approvals
from editorial.models import ReviewAssignment
from reviewers.models import ConflictOfInterest
from reviewers.roles import Role
from tests.editorial.conftest import approve, assign, in_review, new_version, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def refused(article, member, **kwargs) -> list[IneligibilityReason]:
    with pytest.raises(NotEligible) as refusal:
        assign(article, member, **kwargs)
    return refusal.value.reasons


@pytest.fixture
def cardiology():
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


# --- Refused assignments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ({"is_active": False}, IneligibilityReason("inactive", "Dr Adams is not an active board member.")),
        (
            {"user__is_active": False},
            IneligibilityReason("inactive", "Dr Adams is not an active board member."),
        ),
        (
            {"credentials_verified_until": TODAY - datetime.timedelta(days=1)},
            IneligibilityReason(
                "credentials_lapsed", "Dr Adams's credential check has lapsed or was never recorded."
            ),
        ),
        (
            {"user__roles": [Role.EDITOR]},
            IneligibilityReason("not_a_board_member", "Dr Adams no longer holds the board-member role."),
        ),
    ],
    ids=["member inactive", "account inactive", "credentials lapsed", "editor without the board role"],
)
def test_a_member_not_in_good_standing_is_refused_saying_why(article, oncology, member, reason):
    """Holding another role (an editor's) is not holding the board-member role."""
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology], **member)
    submit(article)

    assert refused(article, adams) == [reason]


def test_a_member_at_their_limit_is_refused_saying_how_many_reviews_they_hold(article, oncology, editor):
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology], max_open_reviews=2)
    for _ in range(2):
        in_review(ArticleFactory(specialty=oncology, actor=editor), adams)
    submit(article)

    assert refused(article, adams) == [
        IneligibilityReason("at_capacity", "Dr Adams already has 2 open reviews (their limit is 2).")
    ]


def test_a_member_already_in_the_round_is_refused_saying_so(article, oncology):
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology])
    in_review(article, adams)

    assert refused(article, adams) == [
        IneligibilityReason("already_assigned", "Dr Adams is already assigned to this review round.")
    ]


def test_a_member_outside_the_specialty_is_refused_with_a_reason_an_override_can_lift(article, cardiology):
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[cardiology])
    submit(article)

    assert refused(article, adams) == [
        IneligibilityReason(
            "specialty_mismatch", "Dr Adams does not have the article's specialty.", overridable=True
        )
    ]


def test_an_author_of_the_text_is_refused_saying_why(article, oncology):
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology])
    adams.user.groups.add(*article.created_by.groups.all())  # an editor who is also on the board
    adams.user.__dict__.pop("_editorial_roles", None)
    new_version(article, actor=adams.user)
    submit(article)

    assert refused(article, adams) == [
        IneligibilityReason(
            "author", "Dr Adams wrote a version of this article; nobody reviews their own text."
        )
    ]


def test_every_conflict_that_covers_the_article_is_named(oncology, editor):
    """The conflicts in force whose keyword the text names, newest declaration first."""
    article = ArticleFactory(
        specialty=oncology, actor=editor, body="Pertuzumab (Roche), or a Pfizer biosimilar."
    )
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology])
    for keyword, days_ago in (("Roche", 30), ("Pfizer", 2), ("Novartis", 1)):
        ConflictOfInterest.objects.create(
            member=adams,
            keyword=keyword,
            reason="Advisory board fees",
            declared_on=TODAY - datetime.timedelta(days=days_ago),
        )
    submit(article)

    assert refused(article, adams) == [
        IneligibilityReason(
            "conflict_of_interest", "Dr Adams has declared a conflict of interest: Pfizer; Roche."
        )
    ]


# --- The approval audit --------------------------------------------------------------------------


@pytest.fixture
def approval(article, oncology):
    """A standard oncology article approved by Dr Adams, an oncologist."""
    adams = BoardMemberFactory(display_name="Dr Adams", specialties=[oncology])
    (assignment,) = in_review(article, adams)
    approve(assignment)
    return assignment


def violations(article, *reasons: tuple[str, str]) -> list[Violation]:
    return [Violation(article.pk, article.slug, rule, detail) for rule, detail in reasons]


NOT_ENOUGH = ("quorum", "0 of the 1 approvals its risk level needs count.")


def test_an_approval_of_other_text_is_reported_naming_its_reviewer(approval, article):
    ReviewAssignment.objects.filter(pk=approval.pk).update(decided_content_hash="0" * 64)

    assert verify_approvals().violations == violations(
        article,
        ("text_changed", "Dr Adams approved other text than the version's content hash."),
        NOT_ENOUGH,
    )


def test_an_approval_given_under_another_specialty_is_reported_naming_both(approval, article, cardiology):
    Article.objects.filter(pk=article.pk).update(specialty=cardiology)

    assert verify_approvals().violations == violations(
        article,
        (
            "specialty_changed",
            "Dr Adams approved it as an article of Medical oncology; it is now an article of Cardiology.",
        ),
        NOT_ENOUGH,
    )


def test_an_approval_by_a_non_specialist_without_an_override_is_reported_naming_the_specialty(
    approval, article
):
    ReviewAssignment.objects.filter(pk=approval.pk).update(decided_as_specialist=False)

    assert verify_approvals().violations == violations(
        article,
        (
            "not_a_specialist",
            "Dr Adams is not a member of Medical oncology and was not assigned with an override.",
        ),
        NOT_ENOUGH,
    )


def test_the_audit_applies_the_conflicts_in_force_on_the_day_it_checks(approval, article):
    """A conflict declared to start in three days voids nothing today; an audit of the site as it
    will be in four days finds the approval it covers."""
    ConflictOfInterest.objects.create(
        member=approval.reviewer,
        article=article,
        reason="Joins the sponsor",
        declared_on=TODAY + datetime.timedelta(days=3),
    )

    assert verify_approvals().violations == []
    assert verify_approvals(now=timezone.now() + datetime.timedelta(days=4)).violations == violations(
        article,
        ("conflict_of_interest", "Dr Adams has declared a conflict of interest: this article."),
        NOT_ENOUGH,
    )

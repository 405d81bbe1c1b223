"""What a round's staffing says, word for word and count for count: how many reviewers it still
needs, who could take it and who is excluded by which rule (in name order, each by the first rule
they fail), when a high-risk round still needs a member of the specialty, and the board's free
seats as the triage queue spends them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from articles.models import RiskLevel
from editorial import services
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.staffing.selectors import board_capacity
from editorial.triage import tasks
from tests.editorial.conftest import approve, assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory
from tests.helpers import client_for
from tests.triage.conftest import pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def cardiology():
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


def oncologist(oncology, name, **kwargs):
    return BoardMemberFactory(specialties=[oncology], display_name=name, **kwargs)


def lapsed(**kwargs):
    return {"credentials_verified_until": timezone.localdate() - datetime.timedelta(days=1), **kwargs}


def staffing(article, editor):
    """The open round of ``article`` as the editors' API shows it, with its staffing detail."""
    round = ReviewRound.objects.get(article=article, closed_at=None)
    response = client_for(editor).get(f"/api/v1/rounds/{round.pk}/")
    assert response.status_code == 200
    return response.json()


def member(member):
    return {"id": member.pk, "display_name": member.display_name, "credentials": "MD"}


def override(article, outsider, chief):
    return assign(article, outsider, actor=chief, override_reason="Cardio-oncology expertise")


@pytest.mark.parametrize(
    ("quorum", "needs"),
    [
        (1, "needs one more reviewer"),
        (2, "needs two more reviewers"),
        (3, "needs three more reviewers"),
        (4, "needs 4 more reviewers"),
    ],
)
def test_a_round_nobody_can_take_says_how_many_reviewers_it_needs_in_words_up_to_three(
    oncology, editor, settings, quorum, needs
):
    settings.REVIEW_QUORUM = {**settings.REVIEW_QUORUM, RiskLevel.STANDARD: quorum}
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)  # the specialty has no member at all

    detail = staffing(article, editor)["detail"]

    assert detail["summary"] == f"{needs} from Medical oncology; nobody eligible is free."
    assert (detail["state"], detail["required"], detail["covered"], detail["missing"]) == (
        "short",
        quorum,
        0,
        quorum,
    )
    assert (detail["candidates"], detail["exclusions"], detail["counts_by_rule"]) == ([], [], {})


def test_excluded_members_are_listed_by_name_each_explained_by_the_first_rule_they_fail(oncology, editor):
    """The summary gives one reason a member, the first; the detail gives every rule they fail."""
    zed = oncologist(oncology, "Dr Zed", is_active=False, **lapsed())
    adams = oncologist(oncology, "Dr Adams", **lapsed())
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)

    detail = staffing(article, editor)["detail"]

    assert detail["summary"] == (
        "needs one more reviewer from Medical oncology; nobody eligible is free: "
        "Dr Adams's credential check has lapsed or was never recorded. "
        "Dr Zed is not an active board member."
    )
    lapsed_reason = "credential check has lapsed or was never recorded."
    assert detail["exclusions"] == [
        {
            "member": member(adams),
            "reasons": [{"code": "credentials_lapsed", "message": f"Dr Adams's {lapsed_reason}"}],
        },
        {
            "member": member(zed),
            "reasons": [
                {"code": "inactive", "message": "Dr Zed is not an active board member."},
                {"code": "credentials_lapsed", "message": f"Dr Zed's {lapsed_reason}"},
            ],
        },
    ]
    assert detail["counts_by_rule"] == {"credentials_lapsed": 2, "inactive": 1}


@pytest.mark.parametrize(
    ("free", "available"), [(1, "1 eligible member could take it"), (2, "2 eligible members could take it")]
)
def test_a_round_with_free_members_says_how_many_could_take_it_and_not_why_others_cannot(
    oncology, editor, free, available
):
    candidates = [oncologist(oncology, f"Dr Free {number}") for number in range(free)]
    oncologist(oncology, "Dr Away", is_active=False)
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)

    detail = staffing(article, editor)["detail"]

    assert detail["summary"] == f"needs one more reviewer from Medical oncology; {available}."
    assert detail["candidates"] == [member(candidate) for candidate in candidates]
    assert detail["counts_by_rule"] == {"inactive": 1}


def test_members_already_reviewing_the_round_are_neither_candidates_nor_excluded(oncology, editor, settings):
    settings.REVIEW_QUORUM = {**settings.REVIEW_QUORUM, RiskLevel.STANDARD: 2}
    aaron = oncologist(oncology, "Dr Aaron")  # first by name, and already assigned
    baker = oncologist(oncology, "Dr Baker")
    cole = oncologist(oncology, "Dr Cole", is_active=False)
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)
    assign(article, aaron)

    detail = staffing(article, editor)["detail"]

    assert (
        detail["summary"] == "needs one more reviewer from Medical oncology; 1 eligible member could take it."
    )
    assert (detail["covered"], detail["missing"]) == (1, 1)
    assert detail["candidates"] == [member(baker)]
    assert [exclusion["member"] for exclusion in detail["exclusions"]] == [member(cole)]


def test_members_who_declined_or_whose_review_was_reassigned_are_named_with_what_happened(oncology, editor):
    """Their own review in the round is the reason given, in place of "already assigned"."""
    ames = oncologist(oncology, "Dr Ames")
    baker = oncologist(oncology, "Dr Baker")
    cole = oncologist(oncology, "Dr Cole")
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)
    first = assign(article, ames)
    second = services.reassign(actor=editor, assignment=first, reviewer=baker, reason="Ames is away")
    (replacement,) = services.decline(actor=baker.user, assignment=second, reason="Too busy this month")
    assert replacement.reviewer == cole

    detail = staffing(article, editor)["detail"]

    assert detail["summary"] == "has the reviewers it needs"
    assert (detail["state"], detail["covered"], detail["missing"], detail["candidates"]) == (
        "staffed",
        1,
        0,
        [],
    )
    assert detail["exclusions"] == [
        {
            "member": member(ames),
            "reasons": [{"code": "released", "message": "Dr Ames's review of this version was cancelled."}],
        },
        {
            "member": member(baker),
            "reasons": [{"code": "declined", "message": "Dr Baker declined this review."}],
        },
    ]


class TestAHighRiskRoundNeedsAMemberOfTheSpecialty:
    """Two approvals, one of them from a member of the article's specialty: an approval given as
    a specialist, or an open review by one."""

    @pytest.fixture
    def article(self, oncology, editor):
        return ArticleFactory(specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH, slug="high")

    def test_open_reviews_by_outsiders_leave_it_needing_one_even_after_a_specialist_declined(
        self, article, oncology, cardiology, editor, chief
    ):
        sole = oncologist(oncology, "Dr Sole")
        submit(article)
        services.decline(actor=sole.user, assignment=assign(article, sole), reason="On leave")
        for name in ("Dr Heart", "Dr Valve"):
            override(article, BoardMemberFactory(specialties=[cardiology], display_name=name), chief)
        assert ReviewAssignment.objects.filter(state=AssignmentState.PENDING).count() == 2

        listed = client_for(editor).get("/api/v1/rounds/?staffing=needs_specialist").json()["results"]
        detail = staffing(article, editor)

        assert [item["article"] for item in listed] == ["high"]
        assert (detail["covered"], detail["missing"], detail["needs_specialist"], detail["staffing"]) == (
            2,
            0,
            True,
            "needs_specialist",
        )
        assert detail["detail"]["summary"] == (
            "needs the approval of a member of Medical oncology (it is a high-risk article); "
            "nobody eligible is free: Dr Sole declined this review."
        )

    def test_an_approval_given_as_a_specialist_is_that_member(
        self, article, oncology, cardiology, editor, chief
    ):
        sole = oncologist(oncology, "Dr Sole")
        submit(article)
        approve(assign(article, sole))
        override(article, BoardMemberFactory(specialties=[cardiology]), chief)

        detail = staffing(article, editor)

        assert (detail["covered"], detail["missing"], detail["needs_specialist"], detail["staffing"]) == (
            2,
            0,
            False,
            "staffed",
        )
        assert detail["detail"]["summary"] == "has the reviewers it needs"


def test_a_standard_round_reviewed_by_an_outsider_needs_no_specialist(oncology, cardiology, editor, chief):
    article = ArticleFactory(specialty=oncology, actor=editor, slug="standard")
    submit(article)
    override(article, BoardMemberFactory(specialties=[cardiology]), chief)

    (item,) = client_for(editor).get("/api/v1/rounds/").json()["results"]

    assert (item["covered"], item["missing"], item["needs_specialist"], item["staffing"]) == (
        1,
        0,
        False,
        "staffed",
    )


def test_the_boards_free_seats_on_a_day_count_the_credentials_current_that_day(oncology, cardiology):
    today = timezone.localdate()
    renewing = oncologist(oncology, "Dr Renewing", max_open_reviews=2)
    renewing.credentials_verified_until = today + datetime.timedelta(days=10)
    renewing.save()
    BoardMemberFactory(specialties=[cardiology], max_open_reviews=3)  # verified for a year

    now, later = board_capacity(today=today), board_capacity(today=today + datetime.timedelta(days=30))

    assert (now.free_seats, now.members_with_room, now.free_in(oncology.pk)) == (5, 2, 2)
    assert (later.free_seats, later.members_with_room, later.free_in(oncology.pk)) == (3, 1, 0)
    assert later.free_in(cardiology.pk) == 3


def test_auto_submission_spends_one_seat_of_a_member_per_article_they_review(oncology, editor, settings):
    settings.TRIAGE_AUTO_SUBMIT = True
    BoardMemberFactory(specialties=[oncology], max_open_reviews=3)
    for slug, age in [("fourth", 1), ("third", 2), ("second", 3), ("first", 4)]:
        pending(oncology, editor, slug=slug, age_days=age)

    counts = tasks.auto_submit_triage.apply().get()

    assert counts == {
        "enabled": 1,
        "submitted": 3,
        "skipped": 0,
        "without_reviewers": 0,
        "free_seats_before": 3,
        "free_seats_after": 0,
    }
    assert set(ReviewRound.objects.values_list("article__slug", flat=True)) == {"first", "second", "third"}


def test_namesakes_are_listed_in_the_order_they_joined_the_board(oncology, editor):
    """Members of the same name come by id, whatever the order they were given the specialty."""
    first, second, third = (BoardMemberFactory(display_name="Dr Lee") for _ in range(3))
    for namesake in (third, second, first):
        namesake.specialties.add(oncology)
        namesake.is_active = False
        namesake.save()
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)

    detail = staffing(article, editor)["detail"]

    assert [exclusion["member"] for exclusion in detail["exclusions"]] == [
        member(first),
        member(second),
        member(third),
    ]

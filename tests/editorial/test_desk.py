"""The editors-in-chief's desk in the admin (/admin/desk/): what each section shows, each action
(through the workflow services, with the chief and the reason on the history rows), refusals
that change nothing, who may open it, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleStatus, RiskLevel
from editorial import services
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.staffing import overrides
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

DESK = reverse("admin:editorial_desk")
LOGIN = reverse("admin:login")


def review_page(assignment) -> str:
    return reverse("admin:editorial_desk_review", args=[assignment.pk])


def round_page(round) -> str:
    return reverse("admin:editorial_desk_round", args=[round.pk])


def override_page(request) -> str:
    return reverse("admin:editorial_desk_override", args=[request.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def make_overdue(assignment, days: int = 2) -> ReviewAssignment:
    ReviewAssignment.objects.filter(pk=assignment.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=days)
    )
    return refreshed(assignment)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def end_of_day(days: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def latest_history(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


@pytest.fixture
def cardiology():
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


@pytest.fixture
def board(oncology, cardiology, editor):
    """Three oncologists and a cardiologist; an overdue review by the first oncologist, one due
    later by the second (not overdue)."""
    first, second, third = (
        BoardMemberFactory(specialties=[oncology], display_name=name)
        for name in ("Dr Ada Okafor", "Dr Ben Lindqvist", "Dr Cleo Nakamura")
    )
    cardiologist = BoardMemberFactory(specialties=[cardiology], display_name="Dr Dan Díaz")
    late = ArticleFactory(specialty=oncology, actor=editor, title="Late question?", slug="late")
    submit(late)
    overdue = make_overdue(assign(late, first), days=3)
    later = ArticleFactory(specialty=oncology, actor=editor, title="On time question?", slug="on-time")
    submit(later)
    on_time = assign(later, second)
    return {
        "first": first,
        "second": second,
        "third": third,
        "cardiologist": cardiologist,
        "overdue": overdue,
        "on_time": on_time,
    }


def stuck_round(editor, specialty, slug="stuck") -> ReviewRound:
    """A round opened with nobody assigned: short of a reviewer."""
    article = ArticleFactory(specialty=specialty, actor=editor, slug=slug, title=f"{slug} question?")
    return submit(article)


# --- Who may use it ------------------------------------------------------------------------------


@pytest.fixture
def pages(board, editor, oncology):
    round = stuck_round(editor, oncology)
    request = overrides.request_override(actor=editor, round=round, reason="Nobody free")
    return [DESK, review_page(board["overdue"]), round_page(round), override_page(request)]


@pytest.mark.parametrize("who", ["board_member", "editor", "anonymous"])
def test_only_editors_in_chief_open_the_desk_and_its_pages(pages, board, editor, who):
    client = {
        "board_member": lambda: signed_in(board["first"].user),
        "editor": lambda: signed_in(editor),
        "anonymous": Client,
    }[who]()
    for url in pages:
        response = client.get(url)
        if who == "board_member":
            assert response.status_code == 403, url
        else:  # not admin users: sent to sign in
            assert response.status_code == 302, url
            assert response["Location"].startswith(LOGIN), url


def test_an_editor_in_chief_opens_every_page(pages, chief):
    client = signed_in(chief)
    for url in pages:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["board_member", "editor", "anonymous"])
def test_nobody_else_can_post_the_desks_actions(board, editor, oncology, who):
    round = stuck_round(editor, oncology)
    waiting = overrides.request_override(actor=editor, round=round, reason="Nobody free")
    declined = overrides.request_override(
        actor=editor, round=stuck_round(editor, oncology, slug="other"), reason="Nobody free"
    )
    client = {
        "board_member": lambda: signed_in(board["first"].user),
        "editor": lambda: signed_in(editor),
        "anonymous": Client,
    }[who]()
    overdue = board["overdue"]
    posts = [
        (DESK, {"assignments": [overdue.pk], "due_date": in_days(10), "reason": "Congress", "_extend": "1"}),
        (review_page(overdue), {"extend-due_date": in_days(10), "extend-reason": "Congress", "_extend": "1"}),
        (
            review_page(overdue),
            {"reassign-reviewer": board["third"].pk, "reassign-reason": "Late", "_reassign": "1"},
        ),
        (
            override_page(waiting),
            {
                "grant-member": board["cardiologist"].pk,
                "grant-override_reason": "Cardio-oncology",
                "_grant": "1",
            },
        ),
        (override_page(declined), {"decline-reason": "No", "_decline": "1"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code in (302, 403), url

    assert refreshed(overdue).due_at == overdue.due_at
    assert refreshed(overdue).state == AssignmentState.PENDING
    assert not ReviewAssignment.objects.filter(reviewer=board["third"]).exists()
    assert not ReviewAssignment.objects.filter(reviewer=board["cardiologist"]).exists()
    assert set(OverrideRequest.objects.values_list("state", flat=True)) == {OverrideRequestState.OPEN}


def test_the_index_links_the_desk_for_editors_in_chief_only(board, chief):
    assert DESK in signed_in(chief).get(reverse("admin:index")).content.decode()
    assert DESK not in signed_in(board["first"].user).get(reverse("admin:index")).content.decode()


def test_the_desk_is_inside_the_admin_layout(board, chief):
    content = signed_in(chief).get(DESK).content.decode()
    assert 'id="user-tools"' in content
    assert "<h1>Editors-in-chief&#x27;s desk</h1>" in content
    assert "editorial/desk.css" in content
    assert "<script>" not in content and " style=" not in content


# --- The sections --------------------------------------------------------------------------------


def test_overdue_reviews_are_listed_by_reviewer(board, chief, editor, oncology):
    second_late = ArticleFactory(specialty=oncology, actor=editor, title="Also late?", slug="also-late")
    submit(second_late)
    make_overdue(assign(second_late, board["first"]), days=1)
    other = ArticleFactory(specialty=oncology, actor=editor, title="Third late?", slug="third-late")
    submit(other)
    make_overdue(assign(other, board["third"]), days=6)

    response = signed_in(chief).get(DESK)

    overdue = response.context["overdue"]
    assert [(review.reviewer.display_name, review.article_title) for review in overdue] == [
        ("Dr Ada Okafor", "Late question?"),
        ("Dr Ada Okafor", "Also late?"),
        ("Dr Cleo Nakamura", "Third late?"),
    ]
    content = response.content.decode()
    assert "Dr Ada Okafor: 2 overdue" in content
    assert "Dr Cleo Nakamura: 1 overdue" in content
    assert (
        "On time question?" not in content[content.index('id="overdue"') : content.index('id="stuck-rounds"')]
    )
    assert "3 overdue reviews</a> (2 reviewers)" in content
    assert f'<label for="extend-{board["overdue"].pk}"' in content


def test_rounds_short_of_reviewers_or_needing_a_specialist(board, chief, editor, oncology, cardiology):
    short = stuck_round(editor, oncology, slug="nobody-yet")
    high = ArticleFactory(
        specialty=oncology, actor=editor, slug="high-risk", title="High risk?", risk_level=RiskLevel.HIGH
    )
    submit(high)
    for member in (board["cardiologist"], BoardMemberFactory(specialties=[cardiology])):
        services.assign(
            actor=chief, article=high, reviewer=member, reason="Cover", override_reason="Cardio-oncology"
        )
    waiting = overrides.request_override(actor=editor, round=short, reason="Everyone is away")

    response = signed_in(chief).get(DESK)

    rows = {round.article.slug: round for round in response.context["stuck_rounds"]}
    assert set(rows) == {"nobody-yet", "high-risk"}  # the staffed rounds of the fixture are not listed
    assert (rows["nobody-yet"].missing, rows["nobody-yet"].override_request_id) == (1, waiting.pk)
    assert (rows["high-risk"].missing, rows["high-risk"].needs_specialist) == (0, True)
    section = response.content.decode().split('id="stuck-rounds"')[1].split('id="reviewer-load"')[0]
    assert "1 more reviewer<" in section
    assert "a member of Medical oncology" in section
    assert override_page(waiting) in section
    assert round_page(short) in section


def test_the_round_page_says_who_could_take_it_and_who_is_excluded_by_which_rule(
    board, chief, editor, oncology
):
    round = stuck_round(editor, oncology)
    ConflictOfInterest.objects.create(member=board["third"], article=round.article, reason="Advisory board")

    response = signed_in(chief).get(round_page(round))

    content = response.content.decode()
    assert "needs one more reviewer from Medical oncology" in content
    specialists = {row.member.display_name: row for row in response.context["choices"].specialists}
    assert specialists["Dr Ada Okafor"].reasons == []
    assert [reason.code for reason in specialists["Dr Cleo Nakamura"].reasons] == ["conflict_of_interest"]
    assert "<strong>Conflict of interest</strong>: Dr Cleo Nakamura has declared" in content


def test_each_reviewers_load_and_the_age_of_their_open_reviews(board, chief, editor, oncology):
    old = ArticleFactory(specialty=oncology, actor=editor, title="Old?", slug="old")
    submit(old)
    old_review = assign(old, board["first"])
    ReviewAssignment.objects.filter(pk=old_review.pk).update(
        assigned_at=timezone.now() - datetime.timedelta(days=20)
    )

    response = signed_in(chief).get(DESK)

    loads = {member.display_name: member for member in response.context["reviewers"]}
    first = loads["Dr Ada Okafor"]
    assert (first.open_reviews, first.overdue_reviews, first.long_open_reviews) == (2, 1, 1)
    assert first.oldest_open_since.date() == (timezone.now() - datetime.timedelta(days=20)).date()
    assert (loads["Dr Ben Lindqvist"].open_reviews, loads["Dr Ben Lindqvist"].overdue_reviews) == (1, 0)
    assert loads["Dr Dan Díaz"].open_reviews == 0
    section = response.content.decode().split('id="reviewer-load"')[1]
    assert "Medical oncology" in section and "(2\xa0weeks, 6\xa0days ago)" in section


def test_articles_due_for_review_in_the_next_30_days(board, chief, editor, oncology):
    due = {}
    for slug, days in (("soon", 10), ("later", 40), ("passed", -1)):
        article = ArticleFactory(specialty=oncology, actor=editor, slug=slug, title=f"{slug}?")
        submit(article)
        approve(assign(article, board["third"]))
        Article.objects.filter(pk=article.pk).update(
            review_due_at=timezone.now() + datetime.timedelta(days=days)
        )
        due[slug] = article
    assert refreshed(due["soon"]).status == ArticleStatus.APPROVED

    response = signed_in(chief).get(DESK)

    assert [article.slug for article in response.context["due_articles"]] == ["passed", "soon"]
    section = response.content.decode().split('id="due-articles"')[1]
    assert "(due now)" in section
    assert "(in 1\xa0week, 2\xa0days)" in section or "(in 9\xa0days" in section


def test_the_editors_override_requests_are_listed(board, chief, editor, oncology):
    round = stuck_round(editor, oncology)
    request = overrides.request_override(
        actor=editor, round=round, member=board["cardiologist"], reason="A cardio-oncologist could review"
    )

    content = signed_in(chief).get(DESK).content.decode()

    section = content.split('id="override-requests"')[1].split('id="overdue"')[0]
    assert "stuck question?" in section
    assert "A cardio-oncologist could review" in section
    assert "Dr Dan Díaz" in section
    assert override_page(request) in section


# --- Extending due dates -------------------------------------------------------------------------


def test_extending_one_due_date_records_the_chief_and_the_reason(board, chief):
    client = signed_in(chief)
    overdue = board["overdue"]

    response = client.post(
        review_page(overdue),
        {"extend-due_date": in_days(10), "extend-reason": "Away at a congress", "_extend": "1"},
        follow=True,
    )

    assert response.redirect_chain == [(review_page(overdue), 302)]
    assert refreshed(overdue).due_at == end_of_day(10)
    row = latest_history(overdue)
    assert (row.history_user, row.history_change_reason) == (chief, "Away at a congress")
    new_date = end_of_day(10).strftime("%-d %b %Y")
    assert messages_of(response) == [f"Dr Ada Okafor's review is now due {new_date} 23:59 UTC."]
    assert f"{new_date} 23:59 UTC" in response.content.decode()
    assert overdue not in signed_in(chief).get(DESK).context["overdue"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"extend-due_date": in_days(10), "extend-reason": "  "}, "Give a reason"),
        ({"extend-due_date": "", "extend-reason": "Congress"}, "Choose the new due date."),
        (
            {"extend-due_date": in_days(-1), "extend-reason": "Congress"},
            "The due date must be in the future.",
        ),
    ],
)
def test_an_extension_without_a_reason_or_a_future_date_changes_nothing(board, chief, data, message):
    overdue = board["overdue"]
    history = overdue.history.count()

    response = signed_in(chief).post(review_page(overdue), {**data, "_extend": "1"})

    assert response.status_code == 200
    (shown,) = messages_of(response)
    assert shown.startswith("Nothing was changed.") and message in shown
    assert refreshed(overdue).due_at == overdue.due_at
    assert overdue.history.count() == history


def test_an_earlier_date_than_the_current_one_is_refused(board, chief):
    on_time = board["on_time"]  # due in a week
    response = signed_in(chief).post(
        review_page(on_time), {"extend-due_date": in_days(1), "extend-reason": "Why not", "_extend": "1"}
    )
    assert "is already due at or after that date" in messages_of(response)[0]
    assert refreshed(on_time).due_at == on_time.due_at


def test_bulk_extending_several_overdue_reviews(board, chief, editor, oncology):
    other = ArticleFactory(specialty=oncology, actor=editor, title="Also late?", slug="also-late")
    submit(other)
    second = make_overdue(assign(other, board["third"]))

    response = signed_in(chief).post(
        DESK,
        {"assignments": [board["overdue"].pk, second.pk], "due_date": in_days(14), "reason": "Holidays"},
        follow=True,
    )

    assert response.redirect_chain == [(DESK, 302)]
    for review in (board["overdue"], second):
        assert refreshed(review).due_at == end_of_day(14)
        row = latest_history(review)
        assert (row.history_user, row.history_change_reason) == (chief, "Holidays")
    assert messages_of(response)[0].startswith("2 reviews now due ")
    assert response.context["overdue"] == []
    assert "No review is overdue." in response.content.decode()


def test_a_bulk_extension_is_all_or_nothing(board, chief, editor, oncology):
    other = ArticleFactory(specialty=oncology, actor=editor, title="Also late?", slug="also-late")
    submit(other)
    second = make_overdue(assign(other, board["third"]))
    approve(second)  # decided while the chief was reading the desk

    response = signed_in(chief).post(
        DESK, {"assignments": [board["overdue"].pk, second.pk], "due_date": in_days(14), "reason": "Holidays"}
    )

    assert response.status_code == 200
    (shown,) = messages_of(response)
    assert "Nothing was changed." in shown and "its due date no longer matters" in shown
    assert refreshed(board["overdue"]).due_at == board["overdue"].due_at


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"due_date": in_days(14), "reason": "Holidays"}, "Tick the reviews to extend."),
        ({"due_date": in_days(14), "reason": ""}, "Give a reason"),
    ],
)
def test_a_bulk_extension_needs_reviews_and_a_reason(board, chief, data, message):
    if "reason" in data and not data["reason"]:
        data = {**data, "assignments": [board["overdue"].pk]}
    response = signed_in(chief).post(DESK, data)
    assert response.status_code == 200
    assert message in messages_of(response)[0]
    assert refreshed(board["overdue"]).due_at == board["overdue"].due_at
    content = response.content.decode()
    if "assignments" in data:  # what was ticked stays ticked
        assert f'value="{board["overdue"].pk}" id="extend-{board["overdue"].pk}" checked' in content


# --- Reassigning ---------------------------------------------------------------------------------


def test_the_reassign_page_lists_the_specialty_with_eligibility_and_the_others_behind_the_override(
    board, chief, editor, oncology
):
    third = board["third"]
    third.max_open_reviews = 1
    third.save()
    busy = ArticleFactory(specialty=oncology, actor=editor, slug="busy")
    submit(busy)
    assign(busy, third)
    ConflictOfInterest.objects.create(
        member=board["cardiologist"], article=board["overdue"].round.article, reason="Speaker fees"
    )

    response = signed_in(chief).get(review_page(board["overdue"]))

    choices = response.context["choices"]
    specialists = {row.member.display_name: [r.code for r in row.reasons] for row in choices.specialists}
    assert specialists == {"Dr Ben Lindqvist": [], "Dr Cleo Nakamura": ["at_capacity"]}
    others = {row.member.display_name: [r.code for r in row.reasons] for row in choices.others}
    assert others == {"Dr Dan Díaz": ["conflict_of_interest", "specialty_mismatch"]}
    content = response.content.decode()
    specialty_table = content.split('id="specialty-members"')[1].split("</table>")[0]
    assert "Eligible" in specialty_table
    assert f'id="reassign-reviewer-{board["second"].pk}"' in specialty_table
    assert f'id="reassign-reviewer-{third.pk}"' not in specialty_table  # excluded: no choice
    assert (
        "<strong>Load: at their limit</strong>: Dr Cleo Nakamura already has 1 open reviews"
        in specialty_table
    )
    # Members of other specialties only behind the override box
    override = content.split('class="desk-override"')[1].split('id="id_reassign-reason"')[0]
    assert "Dr Dan Díaz" in override and "Conflict of interest" in override
    assert 'id="id_reassign-override_reason"' in override
    assert 'class="desk-override-toggle"' in content
    # who is on the round already
    assert "Dr Ada Okafor (this review)" in content


def test_reassigning_calls_the_service_and_records_the_chief_and_the_reason(board, chief):
    overdue = board["overdue"]

    response = signed_in(chief).post(
        review_page(overdue),
        {"reassign-reviewer": board["second"].pk, "reassign-reason": "Three days late", "_reassign": "1"},
        follow=True,
    )

    assert response.redirect_chain == [(DESK, 302)]
    assert refreshed(overdue).state == AssignmentState.CANCELLED
    new = ReviewAssignment.objects.get(round=overdue.round, reviewer=board["second"])
    assert new.state == AssignmentState.PENDING and new.override_reason == ""
    for row in (latest_history(new), latest_history(overdue)):
        assert (row.history_user, row.history_change_reason) == (chief, "Three days late")
    assert messages_of(response)[0].startswith("Reassigned: Dr Ben Lindqvist now reviews “Late question?”")


def test_reassigning_to_an_excluded_member_is_refused_with_the_rules(board, chief, oncology, editor):
    ConflictOfInterest.objects.create(
        member=board["second"], article=board["overdue"].round.article, reason="Speaker fees"
    )
    overdue = board["overdue"]
    assignments = ReviewAssignment.objects.count()

    response = signed_in(chief).post(
        review_page(overdue),
        {"reassign-reviewer": board["second"].pk, "reassign-reason": "Late", "_reassign": "1"},
    )

    (shown,) = messages_of(response)
    assert shown.startswith("Nothing was changed. Dr Ben Lindqvist cannot review this version.")
    assert "Dr Ben Lindqvist has declared a conflict of interest: this article." in shown
    assert refreshed(overdue).state == AssignmentState.PENDING
    assert ReviewAssignment.objects.count() == assignments


def test_a_member_of_another_specialty_needs_the_override_and_its_reason(board, chief):
    overdue = board["overdue"]
    client = signed_in(chief)
    base = {"reassign-reviewer": board["cardiologist"].pk, "reassign-reason": "Late", "_reassign": "1"}

    without_override = client.post(review_page(overdue), {**base, "reassign-override_reason": "Ignored"})
    assert "Dr Dan Díaz does not have the article's specialty." in messages_of(without_override)[0]
    no_reason = client.post(review_page(overdue), {**base, "reassign-override": "on"})
    assert "Say why a member of another specialty may review it." in messages_of(no_reason)[0]
    assert refreshed(overdue).state == AssignmentState.PENDING
    assert not ReviewAssignment.objects.filter(reviewer=board["cardiologist"]).exists()

    client.post(
        review_page(overdue),
        {**base, "reassign-override": "on", "reassign-override_reason": "Cardio-oncology expertise"},
    )

    new = ReviewAssignment.objects.get(reviewer=board["cardiologist"])
    assert (new.round_id, new.override_reason) == (overdue.round_id, "Cardio-oncology expertise")
    assert refreshed(overdue).state == AssignmentState.CANCELLED


def test_a_reassignment_needs_a_member_and_a_reason(board, chief):
    overdue = board["overdue"]
    response = signed_in(chief).post(
        review_page(overdue), {"reassign-reviewer": board["second"].pk, "_reassign": "1"}
    )
    assert "Give a reason" in messages_of(response)[0]
    response = signed_in(chief).post(review_page(overdue), {"reassign-reason": "Late", "_reassign": "1"})
    assert "Choose the member who should review it instead." in messages_of(response)[0]
    assert refreshed(overdue).state == AssignmentState.PENDING


def test_a_closed_review_offers_nothing_and_a_post_is_refused(board, chief):
    overdue = board["overdue"]
    approve(overdue)
    client = signed_in(chief)

    page = client.get(review_page(overdue)).content.decode()
    assert "there is nothing to extend or reassign" in page and 'id="extend-form"' not in page

    response = client.post(
        review_page(overdue), {"extend-due_date": in_days(5), "extend-reason": "R", "_extend": "1"}
    )
    assert "its due date no longer matters" in messages_of(response)[0]


def test_unknown_ids_are_not_found(chief, db):
    client = signed_in(chief)
    for name in ("editorial_desk_review", "editorial_desk_round", "editorial_desk_override"):
        assert client.get(reverse(f"admin:{name}", args=[987654321])).status_code == 404
    assert client.get("/admin/desk/reviews/99999999999999999999999/").status_code == 404


# --- Override requests ---------------------------------------------------------------------------


@pytest.fixture
def waiting(board, editor, oncology):
    round = stuck_round(editor, oncology)
    return overrides.request_override(
        actor=editor, round=round, member=board["cardiologist"], reason="A cardio-oncologist could review"
    )


def test_the_override_page_offers_members_of_other_specialties_with_their_rules(waiting, board, chief):
    response = signed_in(chief).get(override_page(waiting))
    content = response.content.decode()
    # The editor's suggestion is chosen already.
    assert f'id="grant-member-{board["cardiologist"].pk}" checked' in content
    assert "Eligible with an override" in content
    assert "needs one more reviewer from Medical oncology" in content


def test_granting_an_override_assigns_the_member_with_the_chiefs_reason(waiting, board, chief):
    response = signed_in(chief).post(
        override_page(waiting),
        {
            "grant-member": board["cardiologist"].pk,
            "grant-override_reason": "Cardio-oncology expertise",
            "_grant": "1",
        },
        follow=True,
    )

    assert response.redirect_chain == [(DESK, 302)]
    assignment = ReviewAssignment.objects.get(round=waiting.round, reviewer=board["cardiologist"])
    assert assignment.override_reason == "Cardio-oncology expertise"
    request = refreshed(waiting)
    assert (request.state, request.resolved_by) == (OverrideRequestState.GRANTED, chief)
    assert latest_history(request).history_user == chief
    assert "Cardio-oncology expertise" in latest_history(request).history_change_reason
    assert messages_of(response) == ["Override granted: Dr Dan Díaz is assigned to “stuck question?”."]
    assert response.context["override_requests"] == []


def test_a_grant_needs_an_override_reason_and_an_eligible_member(waiting, board, chief):
    client = signed_in(chief)
    no_reason = client.post(override_page(waiting), {"grant-member": board["cardiologist"].pk, "_grant": "1"})
    assert "Say why this member may review outside the specialty." in messages_of(no_reason)[0]

    ConflictOfInterest.objects.create(
        member=board["cardiologist"], article=waiting.round.article, reason="Fees"
    )
    refused = client.post(
        override_page(waiting),
        {"grant-member": board["cardiologist"].pk, "grant-override_reason": "Expertise", "_grant": "1"},
    )
    (shown,) = messages_of(refused)
    assert "Dr Dan Díaz cannot review this version." in shown and "conflict of interest" in shown

    assert refreshed(waiting).state == OverrideRequestState.OPEN
    assert not ReviewAssignment.objects.filter(reviewer=board["cardiologist"]).exists()


def test_declining_an_override_request_needs_a_reason_and_records_it(waiting, chief):
    client = signed_in(chief)
    refused = client.post(override_page(waiting), {"decline-reason": " ", "_decline": "1"})
    assert "Give a reason" in messages_of(refused)[0]
    assert refreshed(waiting).state == OverrideRequestState.OPEN

    response = client.post(
        override_page(waiting),
        {"decline-reason": "Wait for Dr Okafor's return", "_decline": "1"},
        follow=True,
    )

    request = refreshed(waiting)
    assert (request.state, request.resolved_by, request.resolution) == (
        OverrideRequestState.DECLINED,
        chief,
        "Wait for Dr Okafor's return",
    )
    row = latest_history(request)
    assert (row.history_user, row.history_change_reason) == (
        chief,
        "Override declined: Wait for Dr Okafor's return",
    )
    assert messages_of(response)[0].startswith("Override request declined")


def test_a_request_already_answered_is_refused(waiting, board, chief):
    overrides.decline_override(actor=chief, request=waiting, reason="No")
    client = signed_in(chief)
    assert 'id="grant-form"' not in client.get(override_page(waiting)).content.decode()

    response = client.post(
        override_page(waiting),
        {"grant-member": board["cardiologist"].pk, "grant-override_reason": "Expertise", "_grant": "1"},
    )

    assert "This request was already declined." in messages_of(response)[0]
    assert not ReviewAssignment.objects.filter(reviewer=board["cardiologist"]).exists()


# --- Query counts --------------------------------------------------------------------------------


def grow(size: int, start: int, oncology, editor, chief) -> None:
    """``size`` more of every row the desk lists: reviewers, overdue reviews, rounds short of
    reviewers with an override request each, and approved articles due for review."""
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=50) for _ in range(size)]
    for index in range(start, start + size):
        late = ArticleFactory(specialty=oncology, actor=editor, slug=f"late-{index}")
        submit(late)
        make_overdue(assign(late, members[index - start]))
        short = ArticleFactory(specialty=oncology, actor=editor, slug=f"short-{index}")
        overrides.request_override(actor=editor, round=submit(short), reason="Nobody free")
        due = ArticleFactory(specialty=oncology, actor=editor, slug=f"due-{index}")
        submit(due)
        approve(assign(due, members[index - start]))
    Article.objects.filter(slug__startswith="due-").update(
        review_due_at=timezone.now() + datetime.timedelta(days=5)
    )


def desk_queries(client) -> tuple[int, dict]:
    client.get(DESK)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DESK)
    assert response.status_code == 200
    shown = {
        name: len(response.context[name])
        for name in ("overdue", "stuck_rounds", "override_requests", "reviewers", "due_articles")
    }
    return len(captured), shown


def test_the_desk_costs_the_same_queries_for_one_row_and_for_a_hundred(oncology, chief):
    editor = EditorFactory()
    client = signed_in(chief)
    grow(1, 0, oncology, editor, chief)
    one, shown = desk_queries(client)
    assert shown == {
        "overdue": 1,
        "stuck_rounds": 1,
        "override_requests": 1,
        "reviewers": 1,
        "due_articles": 1,
    }

    grow(99, 1, oncology, editor, chief)
    hundred, shown = desk_queries(client)

    assert set(shown.values()) == {100}
    assert hundred == one


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "987654321"])
def test_a_bulk_extension_of_reviews_that_do_not_exist_is_refused(board, chief, value):
    response = signed_in(chief).post(
        DESK, {"assignments": [board["overdue"].pk, value], "due_date": in_days(14), "reason": "Holidays"}
    )
    assert response.status_code == 200
    assert "Nothing was changed." in messages_of(response)[0]
    assert refreshed(board["overdue"]).due_at == board["overdue"].due_at


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "987654321"])
def test_choosing_a_member_who_does_not_exist_is_refused(board, chief, waiting, value):
    client = signed_in(chief)
    reassign = client.post(
        review_page(board["overdue"]),
        {"reassign-reviewer": value, "reassign-reason": "Late", "_reassign": "1"},
    )
    grant = client.post(
        override_page(waiting), {"grant-member": value, "grant-override_reason": "Expertise", "_grant": "1"}
    )
    for response in (reassign, grant):
        assert response.status_code == 200
        assert "Nothing was changed. Select a valid choice." in messages_of(response)[0]
    assert refreshed(board["overdue"]).state == AssignmentState.PENDING
    assert refreshed(waiting).state == OverrideRequestState.OPEN

"""Editors act through the API on what stalls their reviews: stuck rounds, the exclusion reasons,
and override requests that the editors-in-chief grant or decline."""

from __future__ import annotations

import pytest

from editorial import services
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from tests.editorial.conftest import everyone_declines, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck(world):
    submit(world.article)
    everyone_declines(world.article, world.editor)
    return ReviewRound.objects.get(article=world.article, closed_at=None)


def test_editors_list_the_rounds_short_of_reviewers(world, stuck, oncology):
    staffed = ArticleFactory(specialty=oncology, actor=world.editor, slug="fine")
    submit(staffed)
    services.assign(
        actor=world.editor, article=staffed, reviewer=BoardMemberFactory(specialties=[oncology]), reason="R"
    )

    response = client_for(world.editor).get("/api/v1/rounds/?staffing=short")

    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert item == {
        "id": stuck.pk,
        "article": "phesgo",
        "version": 1,
        "base_version": None,
        "opened_at": item["opened_at"],
        "required_approvals": 2,
        "covered": 0,
        "missing": 2,
        "needs_specialist": True,
        "staffing": "short",
    }
    states = {
        row["article"]: row["staffing"]
        for row in client_for(world.editor).get("/api/v1/rounds/").json()["results"]
    }
    assert states == {"phesgo": "short", "fine": "staffed"}


def test_a_round_says_who_is_excluded_and_why(world, stuck):
    detail = client_for(world.editor).get(f"/api/v1/rounds/{stuck.pk}/").json()["detail"]

    assert detail["state"] == "short"
    assert detail["candidates"] == []
    assert detail["counts_by_rule"] == {"declined": 3}
    assert [reason["code"] for exclusion in detail["exclusions"] for reason in exclusion["reasons"]] == [
        "declined"
    ] * 3
    assert detail["summary"].startswith(
        "needs two more reviewers from Medical oncology; nobody eligible is free"
    )


def test_the_list_costs_the_same_queries_for_one_round_and_for_many(
    world, oncology, django_assert_max_num_queries
):
    for index in range(30):
        submit(ArticleFactory(specialty=oncology, actor=world.editor, slug=f"waiting-{index}"))
    with django_assert_max_num_queries(6):
        response = client_for(world.editor).get("/api/v1/rounds/?page_size=50")
    assert len(response.json()["results"]) == 30


class TestOverrideRequests:
    def test_an_editor_asks_and_the_chief_grants_with_a_recorded_reason(self, world, stuck):
        cardiologist = BoardMemberFactory(
            specialties=[SpecialtyFactory(name="Cardiology", slug="cardiology")]
        )
        asked = client_for(world.editor).post(
            f"/api/v1/rounds/{stuck.pk}/override-requests/",
            {
                "member": cardiologist.pk,
                "reason": "Every oncologist declined; a cardio-oncologist could review.",
            },
            format="json",
        )
        assert asked.status_code == 201, asked.json()
        request_id = asked.json()["id"]
        assert asked.json()["state"] == "open"

        again = client_for(world.editor).post(
            f"/api/v1/rounds/{stuck.pk}/override-requests/", {"reason": "Still waiting"}, format="json"
        )
        assert (again.status_code, again.json()["code"]) == (409, "override_already_requested")

        refused = client_for(world.editor).post(
            f"/api/v1/override-requests/{request_id}/grant/",
            {"member": cardiologist.pk, "override_reason": "Cardio-oncology"},
            format="json",
        )
        assert refused.status_code == 403

        granted = client_for(world.chief).post(
            f"/api/v1/override-requests/{request_id}/grant/",
            {"member": cardiologist.pk, "override_reason": "Cardio-oncology expertise"},
            format="json",
        )
        assert granted.status_code == 201, granted.json()
        assert (granted.json()["reviewer"]["id"], granted.json()["override_reason"]) == (
            cardiologist.pk,
            "Cardio-oncology expertise",
        )
        override = OverrideRequest.objects.get()
        assert (override.state, override.resolved_by) == (OverrideRequestState.GRANTED, world.chief)
        listed = client_for(world.editor).get("/api/v1/override-requests/?state=granted").json()["results"]
        assert [item["id"] for item in listed] == [request_id]

    def test_the_chief_declines_saying_why(self, world, stuck):
        request_id = (
            client_for(world.editor)
            .post(f"/api/v1/rounds/{stuck.pk}/override-requests/", {"reason": "Nobody left"}, format="json")
            .json()["id"]
        )
        declined = client_for(world.chief).post(
            f"/api/v1/override-requests/{request_id}/decline/",
            {"reason": "A new oncologist joins next week"},
            format="json",
        )
        assert declined.status_code == 200
        assert (declined.json()["state"], declined.json()["resolution"]) == (
            "declined",
            "A new oncologist joins next week",
        )

    def test_a_staffed_round_needs_no_override(self, world):
        submit(world.article)
        services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
        round = ReviewRound.objects.get(article=world.article, closed_at=None)
        response = client_for(world.editor).post(
            f"/api/v1/rounds/{round.pk}/override-requests/", {"reason": "Just in case"}, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (409, "round_staffed")

    def test_board_members_cannot_use_these_endpoints(self, world, stuck):
        member = client_for(world.members[0].user)
        assert member.get("/api/v1/rounds/").status_code == 403
        assert (
            member.post(
                f"/api/v1/rounds/{stuck.pk}/override-requests/", {"reason": "x"}, format="json"
            ).status_code
            == 403
        )


def test_auto_assign_says_when_the_round_is_still_short_and_why(world, oncology):
    """Seen: auto-assign on a high-risk article returned one reviewer when two were needed, with
    no warning."""
    for member in world.members[1:]:
        member.max_open_reviews = 1
        member.save()
        other = ArticleFactory(specialty=oncology, actor=world.editor)
        submit(other)
        services.assign(actor=world.editor, article=other, reviewer=member, reason="R")
    submit(world.article)

    response = client_for(world.editor).post("/api/v1/articles/phesgo/auto-assign/", {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert len(body["assignments"]) == 1
    assert (body["staffing"]["state"], body["staffing"]["missing"]) == ("short", 1)
    assert body["staffing"]["counts_by_rule"] == {"at_capacity": 2}
    assert "nobody eligible is free" in body["staffing"]["summary"]


def test_the_last_decline_says_the_round_is_short_and_who_is_excluded(world):
    """Seen: the last decline returned `replacements: []` and nothing else."""
    submit(world.article)
    services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
    pending = list(ReviewAssignment.objects.filter(state=AssignmentState.PENDING))
    services.decline(actor=pending[0].reviewer.user, assignment=pending[0], reason="Away")
    last = ReviewAssignment.objects.filter(state=AssignmentState.PENDING).order_by("pk")
    for assignment in list(last)[:-1]:
        services.decline(actor=assignment.reviewer.user, assignment=assignment, reason="Away")
    final = ReviewAssignment.objects.get(state=AssignmentState.PENDING)

    response = client_for(final.reviewer.user).post(
        f"/api/v1/assignments/{final.pk}/decline/", {"reason": "Conflict of schedule"}, format="json"
    )

    body = response.json()
    assert (response.status_code, body["replacements"]) == (200, [])
    assert (body["staffing"]["state"], body["staffing"]["missing"]) == ("short", 2)
    assert body["staffing"]["counts_by_rule"] == {"declined": 3}

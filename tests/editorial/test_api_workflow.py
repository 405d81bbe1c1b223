"""The workflow endpoints: what editors and board members get back, including every refusal."""

from __future__ import annotations

import pytest

from editorial.models import AssignmentState
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import assign, submit
from tests.factories import BoardMemberFactory, SpecialtyFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    return client_for(world.editor)


def test_submit_returns_the_article_with_what_can_be_done_next(api):
    response = api.post("/api/v1/articles/phesgo/submit/", {"reason": "Ready"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["allowed_actions"]) == ("submitted", ["withdraw"])


def test_assigning_an_ineligible_member_is_a_409_with_the_reasons(api, world):
    ConflictOfInterest.objects.create(member=world.members[0], article=world.article, reason="Speaker fees")
    submit(world.article)

    response = api.post(
        "/api/v1/articles/phesgo/assignments/", {"reviewer": world.members[0].pk}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "not_eligible"
    assert [reason["code"] for reason in body["reasons"]] == ["conflict_of_interest"]


def test_an_editor_in_chief_overrides_the_specialty_with_a_reason(world):
    cardiologist = BoardMemberFactory(specialties=[SpecialtyFactory(slug="cardiology")])
    submit(world.article)
    payload = {
        "reviewer": cardiologist.pk,
        "override_reason": "Cardiac safety section",
        "reason": "Cardiology view",
    }

    refused = client_for(world.editor).post("/api/v1/articles/phesgo/assignments/", payload, format="json")
    accepted = client_for(world.chief).post("/api/v1/articles/phesgo/assignments/", payload, format="json")

    assert (refused.status_code, refused.json()["code"]) == (403, "override_not_permitted")
    assert accepted.status_code == 201
    assert (accepted.json()["override_reason"], accepted.json()["state"]) == (
        "Cardiac safety section",
        "pending",
    )


def test_an_unknown_reviewer_is_a_404(api, world):
    submit(world.article)
    response = api.post("/api/v1/articles/phesgo/assignments/", {"reviewer": 987654}, format="json")
    assert response.status_code == 404


def test_auto_assign_without_eligible_members_is_a_409(api, world):
    for member in world.members:
        member.is_active = False
        member.save()
    submit(world.article)
    response = api.post("/api/v1/articles/phesgo/auto-assign/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_eligible_reviewers"


def test_a_reviewer_must_comment_when_requesting_changes(world):
    submit(world.article)
    assignment = assign(world.article, world.members[0])
    reviewer = client_for(world.members[0].user)

    refused = reviewer.post(
        f"/api/v1/assignments/{assignment.pk}/decision/", {"decision": "request_changes"}, format="json"
    )
    assert (refused.status_code, list(refused.json()["fields"])) == (400, ["comment"])

    accepted = reviewer.post(
        f"/api/v1/assignments/{assignment.pk}/decision/",
        {"decision": "request_changes", "comment": "Cite the trial."},
        format="json",
    )
    assert accepted.status_code == 200
    assert (accepted.json()["decision"], accepted.json()["comment"]) == ("request_changes", "Cite the trial.")

    again = reviewer.post(
        f"/api/v1/assignments/{assignment.pk}/decision/", {"decision": "approve"}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")


def test_declining_returns_the_replacements_that_fill_the_round(world):
    submit(world.article)
    assignment = assign(world.article, world.members[0])

    response = client_for(world.members[0].user).post(
        f"/api/v1/assignments/{assignment.pk}/decline/", {"reason": "On leave"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["assignment"]["state"], body["assignment"]["comment"]) == ("declined", "On leave")
    # The high-risk round needs two approvals and now has no reviewer: two replacements.
    assert {item["reviewer"]["id"] for item in body["replacements"]} == {m.pk for m in world.members[1:]}
    assert {item["assigned_by"] for item in body["replacements"]} == {"system"}


def test_assignments_filter_by_state_reviewer_article_and_overdue(api, world):
    submit(world.article)
    first = assign(world.article, world.members[0])
    assign(world.article, world.members[1])
    client_for(world.members[0].user).post(f"/api/v1/assignments/{first.pk}/accept/")

    def ids(query):
        return [item["id"] for item in api.get(f"/api/v1/assignments/{query}").json()["results"]]

    assert ids(f"?state={AssignmentState.ACCEPTED}") == [first.pk]
    assert ids(f"?reviewer={world.members[0].pk}") == [first.pk]
    assert len(ids("?article=phesgo")) == 2
    assert ids("?overdue=true") == []
    assert len(ids("?overdue=false")) == 2


def test_rounds_show_assignments_and_decisions(api, world):
    submit(world.article)
    assignment = assign(world.article, world.members[0])
    client_for(world.members[0].user).post(
        f"/api/v1/assignments/{assignment.pk}/decision/",
        {"decision": "approve", "comment": "Fine."},
        format="json",
    )

    (round_,) = api.get("/api/v1/articles/phesgo/rounds/").json()["results"]

    assert (round_["version"], round_["required_approvals"], round_["outcome"]) == (1, 2, None)
    (decided,) = round_["assignments"]
    assert (decided["decision"], decided["comment"]) == ("approve", "Fine.")
    assert decided["decided_content_hash"] == world.article.current_version.content_hash


def test_history_lists_every_change_with_actor_reason_and_status_change(api, world):
    api.post("/api/v1/articles/phesgo/submit/", {"reason": "Ready for the board"}, format="json")

    entries = api.get("/api/v1/articles/phesgo/history/").json()["results"]

    latest = entries[0]
    assert (latest["change"], latest["from_status"], latest["to_status"]) == ("status", "draft", "submitted")
    assert (latest["actor"]["username"], latest["reason"], latest["version"]) == (
        "editor",
        "Ready for the board",
        1,
    )
    assert entries[-1]["change"] == "created"


def test_board_members_show_their_open_reviews(api, world):
    submit(world.article)
    assign(world.article, world.members[0])

    members = {item["id"]: item for item in api.get("/api/v1/board-members/").json()["results"]}

    assert members[world.members[0].pk]["open_reviews"] == 1
    assert members[world.members[1].pk]["open_reviews"] == 0
    assert members[world.members[0].pk]["specialties"] == ["medical-oncology"]
    assert members[world.members[0].pk]["credentials_current"] is True

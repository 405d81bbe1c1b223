"""The whole story through the API, with real tokens, as the site and the editors would live it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import BoardMemberFactory, EditorFactory

pytestmark = pytest.mark.django_db

PHESGO = "phesgo-docetaxel-cycles-her2-metastatic-breast-cancer"


def signed_in(user, password="secret-pass-123") -> APIClient:  # noqa: S107 - the factories' password
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    return client


def test_an_article_goes_from_draft_to_approved_and_stays_public_while_revised(oncology):
    editor = EditorFactory()
    first, second = (
        BoardMemberFactory(specialties=[oncology], display_name=name, credentials=creds)
        for name, creds in [("Dr Okafor", "MD, PhD"), ("Dr Lindqvist", "MD, FRCP")]
    )
    api = signed_in(editor)
    public = APIClient()

    created = api.post(
        "/api/v1/articles/",
        {
            "slug": PHESGO,
            "title": "How many cycles of Phesgo with docetaxel?",
            "specialty": "medical-oncology",
            "risk_level": "high",
            "body": "At least six cycles of docetaxel, then Phesgo alone.",
            "references": [{"citation": "ESMO guideline.", "source": "ESMO", "year": 2021}],
            "reason": "New article",
            "provenance": "human",
        },
        format="json",
    )
    assert created.status_code == 201, created.data
    assert (created.data["status"], created.data["current_version"]) == ("draft", 1)
    assert public.get(f"/api/v1/public/articles/{PHESGO}/").status_code == 404  # never approved: hidden

    version = api.post(
        f"/api/v1/articles/{PHESGO}/versions/",
        {
            "title": "How many cycles of Phesgo with docetaxel?",
            "body": "At least six cycles.",
            "reason": "Tighter",
            "provenance": "human",
        },
        format="json",
    )
    assert (version.status_code, version.data["number"]) == (201, 2)

    submitted = api.post(f"/api/v1/articles/{PHESGO}/submit/", {"reason": "Ready for review"}, format="json")
    assert (submitted.status_code, submitted.data["status"]) == (200, "submitted")

    assigned = api.post(f"/api/v1/articles/{PHESGO}/auto-assign/", {"reason": "Oncologists"}, format="json")
    assert assigned.status_code == 200
    assignments = assigned.data["assignments"]
    assert {a["reviewer"]["display_name"] for a in assignments} == {"Dr Okafor", "Dr Lindqvist"}

    for assignment, member in zip(
        sorted(assignments, key=lambda a: a["reviewer"]["id"]), [first, second], strict=True
    ):
        reviewer_api = signed_in(member.user)
        mine = reviewer_api.get("/api/v1/assignments/")
        assert [a["id"] for a in mine.data["results"]] == [assignment["id"]]
        decided = reviewer_api.post(
            f"/api/v1/assignments/{assignment['id']}/decision/", {"decision": "approve"}, format="json"
        )
        assert (decided.status_code, decided.data["state"]) == (200, "completed")

    article = api.get(f"/api/v1/articles/{PHESGO}/").data
    assert (article["status"], article["published_version"]) == ("approved", 2)
    page = public.get(f"/api/v1/public/articles/{PHESGO}/")
    assert page.status_code == 200
    assert (page.data["badge"], page.data["caution"], page.data["body"]) == (
        "approved",
        False,
        "At least six cycles.",
    )
    assert page.data["last_reviewed_at"] == article["last_reviewed_at"]
    assert {(r["name"], r["credentials"]) for r in page.data["reviewers"]} == {
        ("Dr Okafor", "MD, PhD"),
        ("Dr Lindqvist", "MD, FRCP"),
    }

    api.post(
        f"/api/v1/articles/{PHESGO}/versions/",
        {
            "title": "How many cycles of Phesgo with docetaxel?",
            "body": "Six cycles; new data.",
            "reason": "Update",
            "provenance": "human",
        },
        format="json",
    )
    resubmitted = api.post(f"/api/v1/articles/{PHESGO}/submit/", {"reason": "Update ready"}, format="json")
    assert resubmitted.data["status"] == "submitted"

    still = public.get(f"/api/v1/public/articles/{PHESGO}/")
    assert (still.data["badge"], still.data["body"]) == ("approved", "At least six cycles.")

    history = api.get(f"/api/v1/articles/{PHESGO}/history/").data["results"]
    statuses = [
        (entry["from_status"], entry["to_status"]) for entry in history if entry["change"] == "status"
    ]
    assert statuses == [
        ("approved", "submitted"),
        ("under_review", "approved"),
        ("submitted", "under_review"),
        ("draft", "submitted"),
    ]
    assert all(entry["actor"] and entry["reason"] for entry in history)

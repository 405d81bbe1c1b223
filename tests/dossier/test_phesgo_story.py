"""The demo's Phesgo story told again from its dossier alone: who wrote which version, who reviewed
it with which credentials and interests, what they decided, and when it was approved and by whom.
Nothing here reads the database: only the API's answers, against the demo's script
(editorial/demo.py)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.helpers import client_for

pytestmark = pytest.mark.django_db

SLUG = "phesgo-docetaxel-cycles-her2-metastatic-breast-cancer"


@pytest.fixture
def dossier(settings):
    settings.DEBUG = True  # seed_demo runs in development only
    call_command("seed_demo", verbosity=0)
    client = client_for(get_user_model().objects.get(username="chief"))
    entries, url, query = [], f"/api/v1/articles/{SLUG}/dossier/", {"page_size": 4}
    while url:
        page = client.get(url, query).json()
        entries += page["results"]
        url, query = page["next"], None
    return page["article"], entries


def days_ago(entry) -> float:
    at = datetime.datetime.fromisoformat(entry["at"])
    return (datetime.datetime.now(datetime.UTC) - at).total_seconds() / 86400


def of_kind(entries, kind, version=None):
    return [e for e in entries if e["kind"] == kind and (version is None or e["version"] == version)]


def test_who_wrote_each_version(dossier):
    article, entries = dossier

    versions = of_kind(entries, "version_created")
    assert [(v["version"], v["actor"]["username"]) for v in versions] == [(1, "editor"), (2, "editor")]
    assert [round(days_ago(v)) for v in versions] == [200, 3]
    assert versions[1]["version_created"]["change_summary"].startswith("Adds cardiac monitoring advice")
    hashes = {v["version"]: v["version_created"]["content_hash"] for v in versions}
    assert len(set(hashes.values())) == 2 and all(len(h) == 64 for h in hashes.values())
    assert (article["current_version"], article["published_version"]) == (2, 1)


def test_who_reviewed_version_1_with_which_credentials_and_interests_and_what_they_decided(dossier):
    _, entries = dossier
    hashes = {v["version"]: v["version_created"]["content_hash"] for v in of_kind(entries, "version_created")}

    decisions = of_kind(entries, "decision", version=1)

    told = [
        (
            d["actor"]["username"],
            d["decision"]["snapshot"]["reviewer"]["name"],
            d["decision"]["snapshot"]["reviewer"]["credentials"],
            [s["slug"] for s in d["decision"]["snapshot"]["reviewer"]["specialties"]],
            d["decision"]["snapshot"]["conflicts_of_interest"],
            d["decision"]["decision"],
            d["decision"]["comment"],
            round(days_ago(d)),
        )
        for d in decisions
    ]
    assert told == [
        ("dr_oncology1", "Dr Olivia Okafor", "MD, PhD", ["medical-oncology"], [], "approve",
         "Consistent with the ESMO guideline.", 190),
        ("dr_oncology2", "Dr Oskar Lindqvist", "MD, FRCP", ["medical-oncology"], [], "approve",
         "Dosing and cycle counts checked against CLEOPATRA.", 188),
    ]  # fmt: skip
    for decision in decisions:
        snapshot = decision["decision"]["snapshot"]
        assert decision["decision"]["content_hash"] == snapshot["version"]["content_hash"] == hashes[1]
        assert snapshot["article"]["risk_level"] == "high"
        assert snapshot["quorum"] == {"required_approvals": 2, "specialist_required": True}
        assert snapshot["as_specialist"] is True


def test_when_version_1_was_approved_and_by_whom(dossier):
    _, entries = dossier

    (approval,) = [e for e in of_kind(entries, "transition") if e["transition"]["to_status"] == "approved"]
    (closed,) = of_kind(entries, "round_closed", version=1)

    assert approval["version"] == 1
    assert round(days_ago(approval)) == 188
    assert approval["actor"]["username"] == "dr_oncology2"  # the approval that completed the quorum
    assert "Dr Olivia Okafor" in approval["transition"]["reason"]
    assert "Dr Oskar Lindqvist" in approval["transition"]["reason"]
    assert closed["round_closed"]["outcome"] == "approved"


def test_version_2_is_under_review_against_version_1_with_one_approval_so_far(dossier):
    article, entries = dossier

    (opened,) = of_kind(entries, "round_opened", version=2)
    decisions = of_kind(entries, "decision", version=2)

    assert (opened["round_opened"]["base_version"], opened["actor"]["username"]) == (1, "editor")
    assert [(d["actor"]["username"], d["decision"]["comment"]) for d in decisions] == [
        ("dr_oncology2", "The cardiac monitoring advice is correct.")
    ]
    assert of_kind(entries, "round_closed", version=2) == []
    assert article["status"] == "under_review"
    assert [e["transition"]["to_status"] for e in of_kind(entries, "transition")][-2:] == [
        "submitted",
        "under_review",
    ]

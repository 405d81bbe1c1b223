"""GET /api/v1/articles/{slug}/dossier/: who may read it, what it holds, its pages, its CSV, its
strict input and its fixed number of queries."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.pagination import Cursor

from articles.models import RiskLevel
from config.audit import audit
from editorial import services
from editorial.dossier.api import DossierPagination
from editorial.dossier.selectors import KINDS
from editorial.webhooks.models import WebhookEndpoint
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

DOSSIER = "/api/v1/articles/{}/dossier/"


@pytest.fixture
def story(oncology, editor, chief):
    """A high-risk article: v1 approved by two oncologists (one with a conflict declared about
    another article), v2 written and sent back with changes requested."""
    article = ArticleFactory(slug="phesgo", specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH)
    first = BoardMemberFactory(specialties=[oncology], display_name="Dr A", credentials="MD, PhD")
    second = BoardMemberFactory(specialties=[oncology], display_name="Dr B", credentials="MD")
    with audit(actor=chief, reason="Declared"):
        ConflictOfInterest.objects.create(member=first, keyword="Novartis", reason="Speaker fees")
    for assignment in in_review(article, first, second):
        approve(assignment, comment="Checked.")
    new_version(article, body="A revised text.")
    submit(article)
    assignment = assign(article, second)
    services.decide(actor=second.user, assignment=assignment, decision="request_changes", comment="Cite it.")
    return refreshed(article)


def every_entry(client, url, page_size=200, **query):
    entries, next_url = [], url
    params = {"page_size": page_size, **query}
    while next_url:
        response = client.get(next_url, params if next_url == url else None)
        assert response.status_code == 200, response.content
        entries += response.json()["results"]
        next_url = response.json()["next"]
    return entries


class TestWhoMayReadIt:
    @pytest.mark.parametrize("who", ["editor", "chief"])
    def test_editors_and_chiefs_read_it(self, story, request, who):
        response = client_for(request.getfixturevalue(who)).get(DOSSIER.format(story.slug))

        assert response.status_code == 200
        assert response.json()["article"]["slug"] == story.slug

    def test_a_board_member_is_refused(self, story, board_member):
        response = client_for(board_member.user).get(DOSSIER.format(story.slug))

        assert response.status_code == 403

    def test_anonymous_is_refused(self, story):
        response = client_for().get(DOSSIER.format(story.slug))

        assert response.status_code == 401

    def test_a_board_member_gets_no_csv_either(self, story, board_member):
        response = client_for(board_member.user).get(DOSSIER.format(story.slug), {"format": "csv"})

        assert (response.status_code, response["Content-Type"]) == (403, "application/json")


class TestWhatItHolds:
    def test_every_version_round_decision_and_transition_in_time_order(self, story, editor):
        entries = every_entry(client_for(editor), DOSSIER.format(story.slug))

        kinds = [entry["kind"] for entry in entries]
        assert kinds.count("version_created") == 2
        assert kinds.count("round_opened") == kinds.count("round_closed") == 2
        assert kinds.count("decision") == 3
        assert [entry["at"] for entry in entries] == sorted(entry["at"] for entry in entries)
        for entry in entries:  # each entry carries its own kind's record and no other
            assert [kind for kind in KINDS if entry[kind] is not None] == [entry["kind"]]
        versions = {e["version_created"]["number"]: e["version_created"]["content_hash"] for e in entries
                    if e["kind"] == "version_created"}  # fmt: skip
        assert versions == {v.number: v.content_hash for v in story.versions.all()}
        second_round = [e["round_opened"] for e in entries if e["kind"] == "round_opened"][1]
        assert (second_round["version"], second_round["base_version"]) == (2, 1)
        statuses = [e["transition"]["to_status"] for e in entries if e["kind"] == "transition"]
        assert statuses == [
            "draft", "submitted", "under_review", "approved",
            "submitted", "under_review", "changes_requested",
        ]  # fmt: skip

    def test_a_decision_shows_its_snapshot_comment_and_who_decided(self, story, editor):
        entries = every_entry(client_for(editor), DOSSIER.format(story.slug))

        decision = next(e for e in entries if e["kind"] == "decision" and e["decision"]["reviewer"] == "Dr A")
        assert decision["decision"]["decision"] == "approve"
        assert decision["decision"]["comment"] == "Checked."
        assert decision["decision"]["content_hash"] == story.versions.get(number=1).content_hash
        snapshot = decision["decision"]["snapshot"]
        assert snapshot["reviewer"]["credentials"] == "MD, PhD"
        assert [c["keyword"] for c in snapshot["conflicts_of_interest"]] == ["Novartis"]
        assert snapshot["quorum"] == {"required_approvals": 2, "specialist_required": True}
        assert decision["actor"]["username"] == snapshot["reviewer"]["username"]
        transition = next(
            e for e in entries if e["kind"] == "transition" and e["transition"]["to_status"] == "approved"
        )
        assert transition["transition"]["reason"].startswith("Approved by")

    def test_one_version_alone(self, story, editor):
        entries = every_entry(client_for(editor), DOSSIER.format(story.slug), version=2)

        assert {entry["version"] for entry in entries} == {2}
        assert [e["version_created"]["number"] for e in entries if e["kind"] == "version_created"] == [2]
        assert [e["decision"]["decision"] for e in entries if e["kind"] == "decision"] == ["request_changes"]

    def test_webhooks_delivered_are_listed(self, oncology, editor, chief, board_member):
        endpoint = WebhookEndpoint.objects.create(
            url="https://site.example.org/hooks",
            event_types=["review.decided", "article.approved"],
            created_by=chief,
        )
        article = ArticleFactory(specialty=oncology, actor=editor)
        (assignment,) = in_review(article, board_member)
        approve(assignment)

        entries = every_entry(client_for(editor), DOSSIER.format(article.slug))

        deliveries = [e["webhook_delivery"] for e in entries if e["kind"] == "webhook_delivery"]
        assert sorted(d["event_type"] for d in deliveries) == ["article.approved", "review.decided"]
        assert {d["endpoint"] for d in deliveries} == {endpoint.url}
        assert all(d["webhook_id"].startswith("msg_") for d in deliveries)


class TestPages:
    def test_pages_follow_each_other_both_ways_without_gaps_or_repeats(self, story, editor):
        client = client_for(editor)
        whole = every_entry(client, DOSSIER.format(story.slug))

        forwards = every_entry(client, DOSSIER.format(story.slug), page_size=3)
        assert forwards == whole

        last = client.get(DOSSIER.format(story.slug), {"page_size": 200}).json()
        assert last["next"] is None and last["previous"] is None
        page = client.get(DOSSIER.format(story.slug), {"page_size": 3}).json()
        while page["next"]:
            page = client.get(page["next"]).json()
        backwards = page["results"]
        while page["previous"]:
            page = client.get(page["previous"]).json()
            backwards = page["results"] + backwards
        assert backwards == whole

    @pytest.mark.parametrize(
        "position",
        ["not-a-position", "2026-01-01T00:00:00|1|1", "2026-01-01T00:00:00+00:00|9|1",
         f"2026-01-01T00:00:00+00:00|1|{2**64}"],
    )  # fmt: skip
    def test_a_cursor_that_is_not_one_is_a_404(self, story, editor, position):
        """Seen: a well-encoded cursor with an id past the database's integers was a 500."""
        paginator = DossierPagination()
        paginator.base_url = "http://testserver" + DOSSIER.format(story.slug)
        made_up = paginator.encode_cursor(Cursor(offset=0, reverse=False, position=position))
        client = client_for(editor)

        assert client.get(DOSSIER.format(story.slug), {"cursor": "not-a-cursor"}).status_code == 404
        assert client.get(made_up).status_code == 404


class TestCSV:
    def test_one_row_per_entry_in_time_order(self, story, editor):
        client = client_for(editor)
        whole = every_entry(client, DOSSIER.format(story.slug))

        response = client.get(DOSSIER.format(story.slug), {"format": "csv"})

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="dossier-phesgo.csv"'
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert list(rows[0]) == ["at", "kind", "version", "actor_username", "actor_name", "summary",
                                 "content_hash", "details"]  # fmt: skip
        assert [(row["at"], row["kind"], row["summary"]) for row in rows] == [
            (entry["at"], entry["kind"], entry["summary"]) for entry in whole
        ]
        decision = next(row for row in rows if row["kind"] == "decision")
        assert json.loads(decision["details"])["snapshot"]["reviewer"]["credentials"] in ("MD, PhD", "MD")
        assert decision["content_hash"] == story.versions.get(number=1).content_hash


class TestStrictInput:
    @pytest.mark.parametrize(
        ("query", "status"),
        [
            ({"version": "0"}, 400),
            ({"version": "two"}, 400),
            ({"version": "99"}, 404),
            ({"format": "xml"}, 400),
            ({"format": "api"}, 400),  # seen: the browsable API's page was a 500 here
            ({"page_size": "0"}, 400),
            ({"page_size": "201"}, 400),
        ],
    )
    def test_bad_input_is_refused_with_a_message(self, story, editor, query, status):
        response = client_for(editor).get(DOSSIER.format(story.slug), query)

        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]

    def test_an_unknown_article_is_a_404(self, editor):
        assert client_for(editor).get(DOSSIER.format("no-such-article")).status_code == 404


def article_with_rounds(oncology, editor, member, slug, rounds):
    """An article with ``rounds`` versions, each reviewed and sent back, then approved."""
    article = ArticleFactory(slug=slug, specialty=oncology, actor=editor)
    for number in range(rounds):
        if number:
            new_version(article, body=f"Revision {number}.")
        submit(article)
        assignment = assign(article, member)
        if number < rounds - 1:
            services.decide(
                actor=member.user, assignment=assignment, decision="request_changes", comment="More."
            )
        else:
            approve(assignment)
    return article


@pytest.mark.parametrize("query", [{"page_size": "200"}, {"format": "csv"}, {"version": "1"}])
def test_the_queries_do_not_grow_with_versions_and_rounds(
    oncology, editor, query, django_assert_max_num_queries
):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=100)
    one = article_with_rounds(oncology, editor, member, "one", 1)
    many = article_with_rounds(oncology, editor, member, "many", 8)
    client = client_for(editor)

    counts = []
    for article in (one, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(DOSSIER.format(article.slug), query)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(DOSSIER.format(many.slug), query)
    assert counts[0] <= 12


def test_options_describes_the_endpoint_in_json_whatever_the_format(story, editor):
    """Seen (schemathesis): OPTIONS with ?format=csv was a 500, the CSV renderer given the description."""
    response = client_for(editor).options(DOSSIER.format(story.slug) + "?format=csv")

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    assert response.json()["name"] == "Article Dossier"

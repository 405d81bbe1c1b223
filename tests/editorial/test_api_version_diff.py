"""GET /api/v1/articles/{slug}/versions/{number}/diff/: the rendered diff for the editors' tools,
against the base the version's review round recorded; and that base in the rounds' API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from editorial import services
from tests.editorial.conftest import approve, in_review, new_version
from tests.factories import ArticleFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    return client_for(world.editor)


def diff_url(article, number, query=""):
    return f"/api/v1/articles/{article.slug}/versions/{number}/diff/{query}"


@pytest.fixture
def revised(world):
    """Version 1 approved; version 2 adds the cardiac advice and is approved; version 3 is
    approved after it: version 2's round still compares with version 1."""
    article = ArticleFactory(
        slug="revised", specialty=world.article.specialty, actor=world.editor, body="Give six cycles."
    )
    member = world.members[0]
    (assignment,) = in_review(article, member)
    approve(assignment)
    new_version(article, body="Give six cycles.\n\n- Monitor cardiac function during treatment.")
    (assignment,) = in_review(article, member)
    approve(assignment)
    new_version(article, body="Give eight cycles.")
    (assignment,) = in_review(article, member)
    approve(assignment)
    article.refresh_from_db()
    assert article.published_version.number == 3
    return article


def test_a_version_s_diff_is_against_the_base_its_round_recorded(api, revised):
    response = api.get(diff_url(revised, 2))

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["base"], body["base_from"], body["against"]) == (2, 1, "round", 1)
    assert (
        '<li class="diff-inserted"><ins>Monitor cardiac function during treatment.</ins></li>' in body["html"]
    )
    assert "<del>" in body["html"]  # the title changed: "Revised" replaced version 1's title
    assert (body["title_changed"], body["text_changed"]) == (True, True)
    # new_version writes no references: version 1's one is shown as removed.
    assert body["references"] == [
        {
            "change": "removed",
            "position": None,
            "base_position": 1,
            "citation": "A guideline.",
            "source": "A guideline body",
            "year": 2024,
            "url": "",
            "doi": "",
            "pmid": "",
            "fields": [],
            "html": "<del>A guideline. (A guideline body, 2024)</del>",
        }
    ]
    assert "+- Monitor cardiac function during treatment." in body["diff"]  # the plain diff, as before


def test_another_base_can_be_asked_for(api, revised):
    body = api.get(diff_url(revised, 2, "?base=3")).json()

    assert (body["base"], body["base_from"]) == (3, "requested")
    assert '<li class="diff-inserted"><ins>Monitor cardiac' in body["html"]
    assert "<del>eight</del><ins>six</ins>" in body["html"]
    assert api.get(diff_url(revised, 2, "?against=3")).json()["base"] == 3  # the old name


def test_a_version_without_a_round_is_compared_with_the_last_approved_one(api, revised):
    new_version(revised, body="Give eight cycles, then maintenance.")

    body = api.get(diff_url(revised, 4)).json()

    assert (body["base"], body["base_from"]) == (3, "published")
    assert "<ins>, then maintenance</ins>" in body["html"]


def test_a_version_with_nothing_to_compare_is_all_added(api, world):
    body = api.get(diff_url(world.article, 1)).json()

    assert (body["base"], body["base_from"], body["title_changed"]) == (None, "none", True)
    assert '<p class="diff-inserted"><ins>The answer, with its evidence.</ins></p>' in body["html"]
    assert [reference["change"] for reference in body["references"]] == ["added"]


def test_the_fragment_alone_with_format_html(api, revised):
    response = api.get(diff_url(revised, 2, "?format=html"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == api.get(diff_url(revised, 2)).json()["html"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("?format=xml", 400, "format"),
        ("?format=html&format=json", 400, "format"),
        ("?base=1&against=1", 400, "against"),
        ("?base=0", 400, "base"),
        ("?base=99", 404, None),
        ("?format=html&base=99", 404, None),
    ],
)
def test_a_request_the_diff_cannot_answer_says_why_in_json(api, revised, query, status, field):
    response = api.get(diff_url(revised, 2, query))

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"]
    if field:
        assert field in body["fields"]


def test_a_board_member_cannot_read_diffs(world, revised):
    response = client_for(world.members[0].user).get(diff_url(revised, 2))

    assert response.status_code == 403


def test_the_rounds_api_shows_each_round_s_base_in_the_same_queries_for_many_rounds(api, world, revised):
    def rounds(slug):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/articles/{slug}/rounds/")
        return len(queries), response.json()

    one_article = ArticleFactory(slug="one", specialty=world.article.specialty, actor=world.editor)
    services.submit(actor=world.editor, article=one_article, reason="Ready")
    few, one = rounds("one")
    many, three = rounds("revised")

    assert [r["base_version"] for r in one["results"]] == [None]
    assert [(r["version"], r["base_version"]) for r in three["results"]] == [(3, 2), (2, 1), (1, None)]
    assert many == few


def test_the_staffing_api_shows_an_open_round_s_base(api, world, revised):
    new_version(revised, body="Give eight cycles, then maintenance.")
    round = services.submit(actor=world.editor, article=revised, reason="Ready")

    listed = api.get("/api/v1/rounds/?article=revised").json()["results"]
    detail = api.get(f"/api/v1/rounds/{round.pk}/").json()

    assert [(r["version"], r["base_version"]) for r in listed] == [(4, 3)]
    assert detail["base_version"] == 3


def test_the_staffing_list_reads_the_bases_in_the_same_queries_for_many_rounds(api, world):
    def open_revision(slug):
        article = ArticleFactory(slug=slug, specialty=world.article.specialty, actor=world.editor)
        (assignment,) = in_review(article, world.members[0])
        approve(assignment)
        new_version(article)
        services.submit(actor=world.editor, article=article, reason="Ready")

    def listed():
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/rounds/?page_size=50")
        return len(queries), [row["base_version"] for row in response.json()["results"]]

    open_revision("first")
    few, one = listed()
    for index in range(4):
        open_revision(f"more-{index}")
    many, five = listed()

    assert (one, five) == ([1], [1] * 5)
    assert many == few

"""The lists that grow with the catalogue (articles, assignments, the public list) are paged by
cursor: every row once whatever is written between two pages, forwards and back, in any order the
list offers, and no COUNT."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from editorial import services
from tests.factories import ArticleFactory, BoardMemberFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def walk(client, url):
    """Every page from ``url`` following ``next``; returns the pages' rows and the last page."""
    pages, page = [], client.get(url).json()
    pages.append(page["results"])
    while page["next"]:
        page = client.get(page["next"]).json()
        pages.append(page["results"])
    return pages, page


def walk_back(client, page):
    pages = [page["results"]]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        pages.insert(0, page["results"])
    return pages


def slugs(pages):
    return [row["slug"] for rows in pages for row in rows]


@pytest.fixture
def articles(world):
    """Seven articles besides the world's, some without a review date (NULL), two sharing one."""
    due = timezone.now() + datetime.timedelta(days=30)
    for index, days in enumerate([3, None, 1, 3, None, 2, 5]):
        article = ArticleFactory(slug=f"a{index}", specialty=world.article.specialty, actor=world.editor)
        if days is not None:
            Article.objects.filter(pk=article.pk).update(review_due_at=due + datetime.timedelta(days=days))
    return Article.objects.all()


@pytest.mark.parametrize(
    "ordering", ["slug", "-slug", "review_due_at", "-review_due_at", "title", "-status,slug"]
)
def test_every_article_once_forwards_and_back_in_each_ordering(world, articles, ordering):
    api = client_for(world.editor)
    order = [(term.lstrip("-"), term.startswith("-")) for term in ordering.split(",")]
    expected = list(Article.objects.order_by(*(f"{'-' if d else ''}{n}" for n, d in order), "slug"))
    if ordering.lstrip("-") == "review_due_at":  # NULL after every date, before every date backwards
        dated = sorted((a for a in expected if a.review_due_at), key=lambda a: (a.review_due_at, a.slug))
        undated = sorted((a for a in expected if not a.review_due_at), key=lambda a: a.slug)
        expected = dated + undated if ordering == "review_due_at" else (dated + undated)[::-1]

    pages, last = walk(api, f"/api/v1/articles/?page_size=3&ordering={ordering}")

    assert slugs(pages) == [a.slug for a in expected]
    assert [len(rows) for rows in pages] == [3, 3, 2]
    assert slugs(walk_back(api, last)) == [a.slug for a in expected]


def test_rows_written_between_pages_neither_repeat_nor_skip_others(world, articles):
    api = client_for(world.editor)
    first = api.get("/api/v1/articles/?page_size=3").json()
    assert slugs([first["results"]]) == ["a0", "a1", "a2"]
    # Before the next page is read: one article sorted before the first page's end, one after it.
    ArticleFactory(slug="a00", specialty=world.article.specialty, actor=world.editor)
    ArticleFactory(slug="a55", specialty=world.article.specialty, actor=world.editor)

    rest, _ = walk(api, first["next"])

    assert slugs([first["results"], *rest]) == ["a0", "a1", "a2", "a3", "a4", "a5", "a55", "a6", "phesgo"]


def test_a_filtered_list_keeps_its_filter_in_the_links(world, articles):
    api = client_for(world.editor)
    services.submit(actor=world.editor, article=Article.objects.get(slug="a3"), reason="r")
    services.submit(actor=world.editor, article=Article.objects.get(slug="a5"), reason="r")

    pages, _ = walk(api, "/api/v1/articles/?status=submitted&page_size=1")

    assert slugs(pages) == ["a3", "a5"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        base64.urlsafe_b64encode(b'{"o":["-slug"],"v":["a1"],"r":0}').decode(),  # another ordering
        base64.urlsafe_b64encode(b'{"o":["slug"],"v":[["a1"]],"r":0}').decode(),
        base64.urlsafe_b64encode(json.dumps({"o": ["slug"], "v": ["a\x00"], "r": 0}).encode()).decode(),
        base64.urlsafe_b64encode(b'{"o":["due_at","pk"],"v":["2030-01-01T10:00:00",1],"r":0}').decode(),
        base64.urlsafe_b64encode(b'{"o":["due_at","pk"],"v":["2030-01-01T10:00:00Z",1e30],"r":0}').decode(),
        base64.urlsafe_b64encode(
            b'{"o":["due_at","pk"],"v":["2030-01-01T10:00:00Z",99999999999999999999],"r":0}'
        ).decode(),
    ],
)
def test_a_cursor_that_is_not_a_links_is_a_404(world, articles, cursor):
    api = client_for(world.editor)
    for url in ("/api/v1/articles/", "/api/v1/assignments/"):
        response = api.get(url, {"cursor": cursor})
        assert response.status_code == 404, (url, response.content)


def test_the_public_list_counts_nothing(public_world):
    with CaptureQueriesContext(connection) as queries:
        response = client_for().get("/api/v1/public/articles/?page_size=2")

    assert response.status_code == 200 and len(response.json()["results"]) == 2
    assert response.json()["next"] and "count" not in response.json()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_members_assignments_are_read_in_one_query_without_a_count(public_world):
    member = public_world
    with CaptureQueriesContext(connection) as queries:
        response = client_for(member.user).get("/api/v1/assignments/?page_size=2")

    assert response.status_code == 200
    pages, _ = walk(client_for(member.user), "/api/v1/assignments/?page_size=2")
    assert sorted(row["article"] for rows in pages for row in rows) == ["p0", "p1", "p2"]
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.fixture
def public_world(world):
    """Three approved articles, each approved by the same member; returns the member."""
    member = BoardMemberFactory(specialties=[world.article.specialty], max_open_reviews=10)
    for index in range(3):
        article = ArticleFactory(slug=f"p{index}", specialty=world.article.specialty, actor=world.editor)
        services.submit(actor=world.editor, article=article, reason="r")
        assignment = services.assign(actor=world.editor, article=article, reviewer=member, reason="r")
        services.decide(actor=member.user, assignment=assignment, decision="approve")
    return member


@pytest.mark.parametrize(
    "url", ["/api/v1/articles/?status=draft&status=submitted", "/api/v1/assignments/?state=pending"]
)
def test_a_filter_by_status_reads_the_page_without_a_distinct(world, articles, url):
    # A DISTINCT sorts every matching row before the page (most of a second at 10^6 articles).
    with CaptureQueriesContext(connection) as queries:
        response = client_for(world.editor).get(url)

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]


def test_a_small_list_on_one_page_is_counted_without_a_count_query(world, articles):
    api = client_for(world.editor)
    with CaptureQueriesContext(connection) as queries:
        whole = api.get("/api/v1/board-members/").json()
    assert (whole["count"], len(whole["results"]), whole["next"]) == (3, 3, None)
    # (each member's open reviews are a COUNT of their own: the list's would be "__count")
    assert not [q for q in queries.captured_queries if '"__count"' in q["sql"]]

    first, second = api.get("/api/v1/board-members/?page_size=2").json(), None
    second = api.get(first["next"]).json()
    assert (first["count"], second["count"], len(first["results"]), len(second["results"])) == (3, 3, 2, 1)

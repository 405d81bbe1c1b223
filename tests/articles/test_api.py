"""The editors' article endpoints: list and create, metadata with ETag/If-Match, versions, diffs."""

from __future__ import annotations

import datetime

import pytest

from articles.models import Article
from editorial import services
from tests.editorial.conftest import approve, in_review, new_version
from tests.factories import ArticleFactory, SpecialtyFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    return client_for(world.editor)


def slugs(response):
    return [item["slug"] for item in response.json()["results"]]


def test_create_makes_the_article_with_version_one(api, world):
    response = api.post(
        "/api/v1/articles/",
        {
            "slug": "statins",
            "title": "Which LDL target after a heart attack?",
            "specialty": "medical-oncology",
            "body": "Below 1.4 mmol/L.",
            "change_summary": "First draft.",
            "references": [{"citation": "ESC guideline.", "year": 2019, "doi": "10.1093/eurheartj/ehz455"}],
            "reason": "Reader question",
            "provenance": "human",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["status"], body["current_version"], body["published_version"]) == (
        "statins", "draft", 1, None,
    )  # fmt: skip
    assert body["allowed_actions"] == ["submit"]
    assert response["ETag"] == Article.objects.get(slug="statins").etag()
    history = Article.objects.get(slug="statins").history.earliest()
    assert (history.history_user, history.history_change_reason) == (world.editor, "Reader question")


def test_a_taken_slug_is_a_conflict(api):
    response = api.post(
        "/api/v1/articles/",
        {"slug": "phesgo", "title": "T", "specialty": "medical-oncology", "body": "B", "provenance": "human"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_exists"


def test_list_filters_searches_orders_and_paginates(api, world, oncology):
    cardiology = SpecialtyFactory(slug="cardiology")
    ArticleFactory(slug="statins", title="LDL targets", specialty=cardiology, actor=world.editor)
    ArticleFactory(slug="digoxin", title="Digoxin today", specialty=cardiology, actor=world.editor)
    services.submit(actor=world.editor, article=Article.objects.get(slug="digoxin"), reason="r")

    assert slugs(api.get("/api/v1/articles/")) == ["digoxin", "phesgo", "statins"]
    assert slugs(api.get("/api/v1/articles/?specialty=cardiology")) == ["digoxin", "statins"]
    assert slugs(api.get("/api/v1/articles/?status=submitted")) == ["digoxin"]
    assert slugs(api.get("/api/v1/articles/?status=submitted&status=draft")) == [
        "digoxin",
        "phesgo",
        "statins",
    ]
    assert slugs(api.get("/api/v1/articles/?risk_level=high")) == ["phesgo"]
    assert slugs(api.get("/api/v1/articles/?search=ldl")) == ["statins"]
    assert slugs(api.get("/api/v1/articles/?ordering=-slug")) == ["statins", "phesgo", "digoxin"]
    first = api.get("/api/v1/articles/?page_size=2").json()
    second = api.get(first["next"]).json()
    assert ([item["slug"] for item in second["results"]], second["next"]) == (["statins"], None)
    assert "count" not in first and first["previous"] is None


def approved_article(world, slug="approved", body="The answer, with its evidence."):
    article = ArticleFactory(slug=slug, specialty=world.article.specialty, actor=world.editor, body=body)
    (assignment,) = in_review(article, world.members[0])
    approve(assignment)
    article.refresh_from_db()
    return article


def test_review_due_before_finds_articles_whose_review_is_due(api, world):
    due = approved_article(world).review_due_at

    def due_before(moment):
        return slugs(api.get("/api/v1/articles/", {"review_due_before": moment.isoformat()}))

    assert due_before(due) == []
    assert due_before(due + datetime.timedelta(seconds=1)) == ["approved"]


def test_patch_with_the_current_etag_changes_metadata_and_gives_a_new_etag(api, world):
    etag = api.get("/api/v1/articles/phesgo/")["ETag"]

    response = api.patch(
        "/api/v1/articles/phesgo/",
        {"title": "Phesgo cycles", "review_interval_days": 180, "reason": "Shorter interval"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["review_interval_days"]) == ("Phesgo cycles", 180)
    assert response["ETag"] != etag


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(api, world):
    stale = api.get("/api/v1/articles/phesgo/")["ETag"]
    first = api.patch(
        "/api/v1/articles/phesgo/", {"title": "First edit", "reason": "r"}, format="json", HTTP_IF_MATCH=stale
    )
    assert first.status_code == 200

    response = api.patch(
        "/api/v1/articles/phesgo/",
        {"title": "Second edit", "reason": "r"},
        format="json",
        HTTP_IF_MATCH=stale,
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["etag"] == api.get("/api/v1/articles/phesgo/")["ETag"]
    assert Article.objects.get(slug="phesgo").title == "First edit"


def test_patch_cannot_change_status_or_text(api):
    etag = api.get("/api/v1/articles/phesgo/")["ETag"]
    response = api.patch(
        "/api/v1/articles/phesgo/", {"status": "approved", "reason": "r"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400
    assert Article.objects.get(slug="phesgo").status == "draft"


def test_get_with_if_none_match_answers_304(api):
    etag = api.get("/api/v1/articles/phesgo/")["ETag"]
    assert api.get("/api/v1/articles/phesgo/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_versions_are_listed_newest_first_and_read_one_by_one(api, world):
    new_version(world.article, body="Second text.")

    listed = api.get("/api/v1/articles/phesgo/versions/").json()["results"]
    assert [item["number"] for item in listed] == [2, 1]
    assert "body" not in listed[0]

    detail = api.get("/api/v1/articles/phesgo/versions/2/").json()
    assert (detail["body"], detail["content_hash"]) == (
        "Second text.",
        world.article.versions.get(number=2).content_hash,
    )
    assert detail["references"] == []


def test_diff_defaults_to_the_published_version(api, world):
    article = approved_article(world, body="Old line.")
    new_version(article, body="New line.")

    response = api.get(f"/api/v1/articles/{article.slug}/versions/2/diff/")

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["against"]) == (2, 1)
    assert "-Old line." in body["diff"]
    assert "+New line." in body["diff"]


def test_diff_against_a_chosen_version(api, world):
    new_version(world.article, body="A new line.")
    response = api.get("/api/v1/articles/phesgo/versions/2/diff/?against=1")

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["against"]) == (2, 1)
    assert "-The answer, with its evidence." in body["diff"]
    assert "+A new line." in body["diff"]


# Without a base the diff shows everything as added (tests/editorial/test_api_version_diff.py).
@pytest.mark.parametrize(("query", "status"), [("?against=x", 400), ("?against=9", 404)])
def test_diff_without_a_usable_base_says_why(api, world, query, status):
    new_version(world.article)
    response = api.get(f"/api/v1/articles/phesgo/versions/2/diff/{query}")
    assert response.status_code == status
    assert response.json()["code"]

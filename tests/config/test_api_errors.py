"""Bad input of any kind gets a clear 4xx in the one error shape, and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from articles.models import Article, ArticleVersion
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    return client_for(world.editor)


def test_malformed_json_is_a_400_parse_error(api, world):
    response = api.post(
        "/api/v1/articles/phesgo/submit/", data='{"reason": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Article.objects.get(slug="phesgo").status == "draft"


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post("/api/v1/articles/phesgo/submit/", data="reason=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_oversized_body_is_a_400(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {"title": "T", "body": "x" * 20_000, "reason": "Long"}
    response = api.post("/api/v1/articles/phesgo/versions/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "request_too_large"
    assert ArticleVersion.objects.count() == 1


def test_field_errors_name_each_field(api):
    response = api.post(
        "/api/v1/articles/",
        {"slug": "not a slug", "title": "", "specialty": "nowhere", "body": 42, "risk_level": "extreme"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"slug", "title", "body", "risk_level"} <= set(body["fields"])
    assert not Article.objects.filter(slug="not a slug").exists()


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "See <img src=x onerror=alert(1)>", "Bold <b>text</b>", "<!-- hidden -->"],
)
def test_html_in_article_text_is_stored_as_typed(api, text):
    # Not refused: any text is accepted, and rendering shows HTML as typed (tests/articles/test_rendering.py).
    response = api.post(
        "/api/v1/articles/phesgo/versions/",
        {"title": "T", "body": text, "reason": "r", "provenance": "human"},
        format="json",
    )
    assert response.status_code == 201
    assert ArticleVersion.objects.get(article__slug="phesgo", number=2).body == text


def test_markdown_with_comparisons_and_autolinks_is_accepted(api):
    body = "Give it when ANC > 1.5 and platelets < 100 (see <https://www.esmo.org>)."
    response = api.post(
        "/api/v1/articles/phesgo/versions/",
        {"title": "T", "body": body, "reason": "r", "provenance": "human"},
        format="json",
    )
    assert response.status_code == 201


def test_a_nul_character_is_refused_not_stored(api):
    response = api.post(
        "/api/v1/articles/phesgo/versions/", {"title": "T", "body": "a\x00b", "reason": "r"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/articles/no-such-article/",
        "/api/v1/articles/phesgo/versions/7/",
        "/api/v1/articles/phesgo/versions/99999999999999999999/",
        "/api/v1/assignments/99999999999999999999999/decision/",
        "/api/v1/articles/not a slug!/",
        "/api/v1/nothing-here/",
    ],
)
def test_unknown_things_are_a_json_404(api, path):
    response = api.post(path, {}, format="json") if "decision" in path else api.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_404_outside_the_api_is_a_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_invalid_transition_is_a_409_with_the_status_and_what_is_allowed(api):
    response = api.post("/api/v1/articles/phesgo/withdraw/", {"reason": "Pull it"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "detail": "An article that is draft cannot be withdrawn from review.",
        "status": "draft",
        "allowed_transitions": ["submit"],
    }


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 5 * ["x"]}])
def test_a_transition_needs_a_reason(api, body):
    response = api.post("/api/v1/articles/phesgo/submit/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert Article.objects.get(slug="phesgo").status == "draft"


@pytest.mark.parametrize(
    "query",
    ["?page=0", "?page=abc", "?page=99999999999999999999", "?page_size=-1", "?review_due_before=soon",
     "?status=flying", "?ordering=-nonsense", "?review_due_before=0001-01-01T00:00:00%2B05:00"],
)  # fmt: skip
def test_odd_query_parameters_never_cause_a_server_error(api, query):
    response = api.get(f"/api/v1/articles/{query}")
    assert response.status_code in (200, 400, 404)
    if response.status_code != 200:
        assert response.json()["code"]

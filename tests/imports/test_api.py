"""POST /api/v1/articles/bulk/: JSON arrays and NDJSON, per-line results, the schema gate,
limits and permissions."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from articles import services
from articles.models import Article, ArticleVersion
from tests.factories import BoardMemberFactory, ChiefFactory
from tests.helpers import client_for
from tests.imports.conftest import line

pytestmark = pytest.mark.django_db

URL = "/api/v1/articles/bulk/"


def ndjson(lines) -> str:
    return "\n".join(json.dumps(item) for item in lines) + "\n"


def test_a_json_array_is_imported_and_each_line_reported(importer, cardiology):
    api = client_for(importer)
    api.post(URL, [line("aspirin")], format="json")

    response = api.post(
        URL, [line("aspirin"), line("aspirin-2"), line("astro", specialty="astrology")], format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"created": 0, "new_version": 0, "unchanged": 1, "refused": 1, "not_written": 1}
    assert body["lines"][0] == {"line": 1, "slug": "aspirin", "result": "unchanged", "version": 1}
    assert body["lines"][2] == {
        "line": 3,
        "slug": "astro",
        "result": "refused",
        "fields": {"specialty": ["There is no specialty “astrology”."]},
    }
    assert body["lines"][1]["result"] == "not_written"
    assert "line 3 of this batch was refused" in body["lines"][1]["detail"]


def test_ndjson_is_imported_with_history_in_the_callers_name(importer, cardiology):
    response = client_for(importer).post(
        URL,
        ndjson([line("aspirin"), line("statins", reason="October drafts")]),
        content_type="application/x-ndjson",
    )

    assert response.status_code == 200, response.content
    assert [item["result"] for item in response.json()["lines"]] == ["created", "created"]
    version = ArticleVersion.objects.get(article__slug="statins")
    (row,) = ArticleVersion.history.filter(id=version.pk)
    assert (row.history_user_id, row.history_change_reason) == (importer.pk, "October drafts")


def test_a_line_that_breaks_the_schema_is_a_400_naming_it_and_nothing_is_written(importer, cardiology):
    response = client_for(importer).post(
        URL,
        [line("a"), {**line("b"), "title": 3, "colour": "red"}, line("c", provenance="human")],
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]["lines"]) == {"2", "3"}
    assert body["fields"]["lines"]["2"] == {"colour": ["There is no such field here."]}
    assert set(body["fields"]["lines"]["3"]) == {"generator", "model_version"}
    assert not Article.objects.exists()


def test_ndjson_that_is_not_json_is_a_400_naming_the_line(importer, cardiology):
    body = ndjson([line("a")]) + "{not json\n"

    response = client_for(importer).post(URL, body, content_type="application/x-ndjson")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Line 2 is not JSON")


def test_too_many_lines_is_a_413(importer, cardiology, settings):
    settings.API_BULK_IMPORT_MAX_LINES = 2

    response = client_for(importer).post(URL, [line("a"), line("b"), line("c")], format="json")

    assert response.status_code == 413
    assert response.json() == {
        "code": "too_many_lines",
        "detail": "3 lines in one request; at most 2: send them in several requests.",
    }
    assert not Article.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-ndjson"])
def test_too_many_bytes_is_a_413(importer, cardiology, settings, content_type):
    settings.API_BULK_IMPORT_MAX_BYTES = 2048
    body = (
        json.dumps([line("a", body="x" * 3000)])
        if content_type == "application/json"
        else ndjson([line("a", body="x" * 3000)])
    )

    response = client_for(importer).post(URL, body, content_type=content_type)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not Article.objects.exists()


def test_the_batches_come_from_the_setting(importer, cardiology, settings):
    settings.BULK_IMPORT_BATCH_SIZE = 2

    response = client_for(importer).post(URL, [line("a"), line("b"), line("c", title=" ")], format="json")

    assert response.status_code == 400  # a blank title breaks the schema: nothing at all
    response = client_for(importer).post(URL, [line("a"), line("b"), line("c", specialty="x")], format="json")
    assert [item["result"] for item in response.json()["lines"]] == ["created", "created", "refused"]


def test_editors_in_chief_may_import_board_members_and_anonymous_may_not(importer, cardiology):
    member = BoardMemberFactory(specialties=[cardiology])

    assert client_for(ChiefFactory()).post(URL, [line("a")], format="json").status_code == 200
    assert client_for(member.user).post(URL, [line("b")], format="json").status_code == 403
    assert APIClient().post(URL, [line("c")], format="json").status_code == 401
    assert list(Article.objects.values_list("slug", flat=True)) == ["a"]


def test_the_route_wins_over_the_article_route_and_bulk_cannot_be_an_article(importer, cardiology):
    api = client_for(importer)

    assert api.get(URL).status_code == 405
    assert api.get("/api/v1/articles/bulk/versions/1/").status_code == 404
    with pytest.raises(ValidationError, match="is reserved"):
        services.create_article(
            actor=importer, slug="bulk", title="T", specialty=cardiology, body="B", reason="r"
        )
    assert not Article.objects.filter(slug="bulk").exists()

"""Request bodies are read as strictly as the OpenAPI schema states them (schemathesis found the
API accepting what the schema rules out, and refusing with 400 what it allows); a request naming
something that does not exist is a 404, one that conflicts with the data a 409."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleVersion
from editorial.models import ReviewAssignment
from tests.editorial.conftest import assign, submit
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NEW_ARTICLE = {
    "slug": "new-one",
    "title": "T",
    "specialty": "medical-oncology",
    "body": "B",
    "provenance": "human",
}


@pytest.fixture
def api(world):
    return client_for(world.editor)


def fields(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    return body["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": 42}, "title"),  # DRF's CharField took a number as text
        ({"title": "   "}, "title"),
        ({"review_interval_days": "30"}, "review_interval_days"),  # and IntegerField a string
        ({"review_interval_days": True}, "review_interval_days"),
        ({"review_interval_days": 1.5}, "review_interval_days"),
        ({"slug": "new-one\n"}, "slug"),  # SlugField's $ let a final newline through
        ({"slug": 7}, "slug"),
        ({"status": "approved"}, "status"),  # unknown fields were ignored
        ({"references": [{"citation": "C", "url": "ftp://example.org"}]}, "references"),
        ({"references": [{"citation": "C", "doi": "10.١٢٣٤/x"}]}, "references"),  # Arabic digits
        ({"references": [{"citation": "C", "pmid": "123\n"}]}, "references"),
        ({"references": [{"citation": "C", "year": "2015"}]}, "references"),
        ({"references": [{"citation": "C", "note": "x"}]}, "references"),
    ],
)
def test_a_body_value_the_schema_rules_out_is_a_400_naming_the_field(api, change, field):
    assert field in fields(api.post("/api/v1/articles/", {**NEW_ARTICLE, **change}, format="json"))
    assert not Article.objects.filter(slug="new-one").exists()


def test_the_maximum_length_counts_the_text_as_sent(api):
    # DRF trimmed first, so 300 characters and a space passed a 300-character limit.
    too_long = api.post("/api/v1/articles/", {**NEW_ARTICLE, "title": "x" * 300 + " "}, format="json")
    longest = api.post("/api/v1/articles/", {**NEW_ARTICLE, "title": " " + "x" * 299}, format="json")
    assert "title" in fields(too_long)
    assert longest.status_code == 201
    assert Article.objects.get(slug="new-one").title == "x" * 299


def test_text_is_kept_without_surrounding_whitespace_as_before(api):
    response = api.post(
        "/api/v1/articles/phesgo/versions/",
        {"title": "  New title ", "body": "\nText\n", "reason": " Revised ", "provenance": "human"},
        format="json",
    )
    assert response.status_code == 201
    version = ArticleVersion.objects.get(article__slug="phesgo", number=2)
    assert (version.title, version.body) == ("New title", "Text")


def test_a_reference_the_schema_allows_is_stored(api):
    reference = {
        "citation": "Swain SM et al.",
        "source": "",
        "year": 2015,
        "url": "https://pubmed.ncbi.nlm.nih.gov/25693012/",
        "doi": "10.1056/NEJMoa1413513",
        "pmid": "25693012",
    }
    response = api.post("/api/v1/articles/", {**NEW_ARTICLE, "references": [reference]}, format="json")
    assert response.status_code == 201
    assert ArticleVersion.objects.get(article__slug="new-one").references.get().url == reference["url"]


def test_a_specialty_that_does_not_exist_is_a_404(api):
    # It was a 400 (and a 500 with a NUL on PostgreSQL); a reviewer that does not exist was a 404.
    create = api.post("/api/v1/articles/", {**NEW_ARTICLE, "specialty": "astrology"}, format="json")
    change = {"specialty": "astrology", "reason": "r"}
    update = api.patch("/api/v1/articles/phesgo/", change, format="json", HTTP_IF_MATCH="*")
    for response in (create, update):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "There is no specialty “astrology”."}


def test_a_slug_already_taken_is_a_409(api):
    response = api.post("/api/v1/articles/", {**NEW_ARTICLE, "slug": "phesgo"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_exists",
        "detail": "An article with the slug “phesgo” already exists.",
    }
    assert Article.objects.filter(slug="phesgo").count() == 1


def test_a_patch_must_change_something_and_say_why(api):
    nothing = api.patch("/api/v1/articles/phesgo/", {"reason": "r"}, format="json", HTTP_IF_MATCH="*")
    no_reason = api.patch("/api/v1/articles/phesgo/", {"title": "T"}, format="json", HTTP_IF_MATCH="*")
    assert fields(nothing) == {"non_field_errors": ["Send at least one field to change."]}
    assert "reason" in fields(no_reason)


@pytest.mark.parametrize(
    "due_at",
    ["2099-01-01T10:00", "2099-01-01 10:00:00Z", "2099-01-01", "9999-12-31T23:59:59-23:59", 4102444800],
)
def test_a_due_date_that_is_not_an_rfc_3339_date_time_is_a_400(api, world, due_at):
    submit(world.article)
    response = api.post(
        "/api/v1/articles/phesgo/assignments/",
        {"reviewer": world.members[0].pk, "due_at": due_at},
        format="json",
    )
    assert "due_at" in fields(response)
    assert not ReviewAssignment.objects.exists()


def test_a_due_date_in_the_past_is_a_400_and_one_to_come_is_taken_in_utc(api, world):
    submit(world.article)
    url = "/api/v1/articles/phesgo/assignments/"
    reviewer = world.members[0].pk
    past = api.post(url, {"reviewer": reviewer, "due_at": "2001-01-01T00:00:00Z"}, format="json")
    future = api.post(url, {"reviewer": reviewer, "due_at": "2099-01-01T10:00:00+02:00"}, format="json")
    assert fields(past) == {"due_at": ["The due date must be in the future."]}
    assert future.status_code == 201
    assert future.json()["due_at"] == "2099-01-01T08:00:00Z"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"decision": "approve"}, 200),
        ({"decision": "approve", "comment": "  "}, 200),
        ({"decision": "reject"}, 400),
        ({"decision": "reject", "comment": " \n "}, 400),
        ({"decision": "request_changes", "comment": "Cite the trial."}, 200),
        ({"decision": "approve", "comment": 5}, 400),
    ],
)
def test_a_comment_is_required_unless_approving(world, body, status):
    submit(world.article)
    assignment = assign(world.article, world.members[0])
    response = client_for(world.members[0].user).post(
        f"/api/v1/assignments/{assignment.pk}/decision/", body, format="json"
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert "comment" in response.json()["fields"]

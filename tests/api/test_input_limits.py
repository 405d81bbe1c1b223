"""Limits on request bodies: nesting depth (API_MAX_JSON_DEPTH) and size (API_MAX_BODY_BYTES),
answered with 400 in the one error shape on every endpoint that reads a body, and nothing written.
Runs on SQLite and, with DATABASE_URL set, on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.models import Article, ArticleVersion
from config.api.parsers import nesting_depth
from editorial.models import ReviewAssignment
from tests.editorial.conftest import assign, submit
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

# (method, path, who sends it): every endpoint that reads a JSON body.
WRITES = [
    ("post", "/api/v1/articles/", "editor"),
    ("patch", "/api/v1/articles/phesgo/", "editor"),
    ("post", "/api/v1/articles/phesgo/versions/", "editor"),
    ("post", "/api/v1/articles/phesgo/submit/", "editor"),
    ("post", "/api/v1/articles/phesgo/withdraw/", "editor"),
    ("post", "/api/v1/articles/phesgo/retire/", "chief"),
    ("post", "/api/v1/articles/phesgo/restore/", "chief"),
    ("post", "/api/v1/articles/phesgo/assignments/", "editor"),
    ("post", "/api/v1/articles/phesgo/auto-assign/", "editor"),
    ("post", "/api/v1/assignments/{assignment}/decision/", "reviewer"),
    ("post", "/api/v1/assignments/{assignment}/decline/", "reviewer"),
    ("post", "/api/v1/auth/token/", "anonymous"),
]
IDS = [f"{method.upper()} {path}" for method, path, _ in WRITES]


@pytest.fixture
def scene(world):
    """The high-risk article in review with one reviewer assigned."""
    submit(world.article)
    assignment = assign(world.article, world.members[0])
    clients = {
        "editor": client_for(world.editor),
        "chief": client_for(world.chief),
        "reviewer": client_for(world.members[0].user),
        "anonymous": APIClient(),
    }
    return {"clients": clients, "assignment": assignment}


def send(scene, method, path, who, body: str):
    client = scene["clients"][who]
    url = path.format(assignment=scene["assignment"].pk)
    return getattr(client, method)(url, data=body, content_type="application/json", HTTP_IF_MATCH="*")


def written() -> tuple[int, ...]:
    """Counts that any write would change: rows and their history."""
    return (
        Article.history.count(),
        ArticleVersion.objects.count(),
        ReviewAssignment.history.count(),
        AuthToken.objects.count(),
    )


def nested(depth: int) -> str:
    return '{"reason": ' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(("method", "path", "who"), WRITES, ids=IDS)
def test_json_nested_a_thousand_levels_deep_is_a_400_not_a_server_error(scene, method, path, who):
    before = written()

    response = send(scene, method, path, who, nested(1000))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_deeply_nested"
    assert "at most 32 levels" in body["detail"]
    assert written() == before


@pytest.mark.parametrize(("method", "path", "who"), WRITES, ids=IDS)
def test_a_body_over_the_size_limit_is_a_400(scene, method, path, who, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = written()

    response = send(scene, method, path, who, json.dumps({"reason": "x" * 4096}))

    assert (response.status_code, response.json()["code"]) == (400, "request_too_large")
    assert written() == before


def test_nesting_up_to_the_limit_is_parsed_and_validated_as_usual(scene, settings):
    settings.API_MAX_JSON_DEPTH = 5
    client = scene["clients"]["editor"]

    at_limit = client.post("/api/v1/articles/phesgo/withdraw/", nested(5), content_type="application/json")
    beyond = client.post("/api/v1/articles/phesgo/withdraw/", nested(6), content_type="application/json")

    assert (at_limit.status_code, at_limit.json()["fields"]["reason"]) == (400, ["Not a valid string."])
    assert (beyond.status_code, beyond.json()["code"]) == (400, "too_deeply_nested")
    assert "at most 5 levels" in beyond.json()["detail"]


def test_brackets_inside_strings_do_not_count(scene):
    reason = "[" * 500 + '{"quoted \\" bracket": [' + "}" * 500
    response = scene["clients"]["editor"].post(
        "/api/v1/articles/phesgo/withdraw/", {"reason": reason}, format="json"
    )
    assert response.status_code == 200
    assert Article.history.latest().history_change_reason == reason


def test_malformed_json_is_still_a_parse_error(scene):
    for text in ['{"reason": "x"', '{"reason": "unterminated', "\\", '"\\"' * 10]:
        response = scene["clients"]["editor"].post(
            "/api/v1/articles/phesgo/withdraw/", text, content_type="application/json"
        )
        assert (response.status_code, response.json()["code"]) == (400, "parse_error"), text


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["]]]]", "[[[[", "\\"[["]', 1),
        ('["\\\\", [[]]]', 3),
        ("[" * 5000, 5000),
        ('"' + '\\"' * 100 + "[[", 0),
    ],
)
def test_nesting_depth_counts_arrays_and_objects_outside_strings(text, depth):
    assert nesting_depth(text) == depth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/assignments/{assignment}/accept/"),
        ("post", "/api/v1/auth/logout/"),
        ("post", "/api/v1/auth/logout-all/"),
    ],
)
def test_endpoints_that_take_no_body_never_read_one(scene, world, method, path):
    _, token = AuthToken.objects.create(user=world.members[0].user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = path.format(assignment=scene["assignment"].pk)

    response = client.post(url, data=nested(1000), content_type="application/json")

    assert response.status_code in (200, 204)

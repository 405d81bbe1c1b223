"""The OpenAPI schema states the rules the API enforces (schemathesis found several it did not:
minimums, due dates in the future, comments required unless approving, ...). The fuzz test checks
the API against the schema; these check that the schema says what a client needs to know."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def component(schema, name):
    return schema["components"]["schemas"][name]


def request_bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                ref = body["items"]["$ref"] if body.get("type") == "array" else body["$ref"]
                yield f"{method.upper()} {path}", ref.rsplit("/", 1)[1]


def strings(node, where=""):
    """Every string schema under ``node``, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            yield where, node
        for key, value in node.items():
            yield from strings(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, f"{where}/{index}")


def refuses_nul(string_schema) -> bool:
    patterns = [string_schema.get("pattern")] + [s.get("pattern") for s in string_schema.get("allOf", [])]
    patterns = [p for p in patterns if p]
    if "enum" in string_schema or string_schema.get("format") == "date-time":
        return True
    return any(not re.search(p.replace("\\u0000", "\\x00"), "a\x00b") for p in patterns)


def test_every_request_body_refuses_unknown_fields(schema):
    names = {name for _, name in request_bodies(schema)} | {"ReferenceWriteRequest"}
    open_bodies = {name for name in names if component(schema, name).get("additionalProperties") is not False}
    assert open_bodies == {"TokenRequestRequest"}  # a wrong field there is a wrong sign-in all the same


def test_every_string_a_client_sends_states_that_nul_is_refused(schema):
    bodies = {name for _, name in request_bodies(schema)} | {"ReferenceWriteRequest"}
    bodies.discard("TokenRequestRequest")
    texts = [(f"{name}{where}", s) for name in bodies for where, s in strings(component(schema, name))]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    texts += [(f"{method} {path} {parameter['name']}{w}", s) for w, s in strings(parameter)]
    assert len(texts) > 40
    assert [where for where, s in texts if not refuses_nul(s)] == []


def test_pages_and_page_sizes_have_their_limits(schema):
    board = {p["name"]: p for p in schema["paths"]["/api/v1/board-members/"]["get"]["parameters"]}
    assert board["page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    assert "page" not in parameters and parameters["cursor"]["schema"]["type"] == "string"
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert parameters["ordering"]["schema"]["items"]["enum"][:2] == ["-created_at", "-last_reviewed_at"]
    assert parameters["ordering"]["explode"] is False


def test_the_reviewer_filter_takes_a_whole_number(schema):
    operation = schema["paths"]["/api/v1/assignments/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["reviewer"]["type"] == "integer" and parameters["reviewer"]["minimum"] == 1


def test_a_decision_needs_a_comment_or_cited_comments_unless_it_approves(schema):
    decision = component(schema, "DecisionRequestRequest")
    approve, other = decision["oneOf"]
    assert approve["properties"]["decision"]["pattern"] == "^approve$"
    assert approve["properties"]["cited_comments"] == {"maxItems": 0}
    assert other["properties"]["decision"]["pattern"] == "^(request_changes|reject)$"
    comment, citations = other["anyOf"]
    assert comment["required"] == ["comment"] and comment["properties"]["comment"]["minLength"] == 1
    assert citations == {"properties": {"cited_comments": {"minItems": 1}}, "required": ["cited_comments"]}


def test_a_patch_needs_a_reason_and_something_to_change(schema):
    patch = component(schema, "PatchedArticleUpdateRequest")
    assert patch["required"] == ["reason"]
    assert {branch["required"][0] for branch in patch["anyOf"]} == {
        "title",
        "specialty",
        "risk_level",
        "review_interval_days",
    }


def test_limits_on_numbers_and_texts(schema):
    create = component(schema, "ArticleCreateRequest")["properties"]
    reference = component(schema, "ReferenceWriteRequest")["properties"]
    assert (create["review_interval_days"]["minimum"], create["review_interval_days"]["maximum"]) == (1, 3650)
    assert (reference["year"]["minimum"], reference["year"]["maximum"]) == (1800, 2100)
    assert create["references"]["maxItems"] == 100
    assert create["slug"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert create["title"]["maxLength"] == 300 and create["title"]["minLength"] == 1


def test_a_due_date_is_a_date_time_in_the_future(schema):
    due_at = component(schema, "AssignRequestRequest")["properties"]["due_at"]
    assert due_at["format"] == "date-time"
    assert "in the future" in due_at["description"]


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        ("POST /api/v1/articles/", "409"),
        ("POST /api/v1/articles/", "404"),
        ("PATCH /api/v1/articles/{slug}/", "409"),
        ("PATCH /api/v1/articles/{slug}/", "412"),
        ("PATCH /api/v1/articles/{slug}/", "428"),
        ("POST /api/v1/articles/{slug}/assignments/", "409"),
        ("POST /api/v1/assignments/{id}/decision/", "409"),
        ("GET /api/v1/articles/{slug}/", "304"),
    ],
)
def test_the_statuses_an_operation_can_answer_are_documented(schema, operation, status):
    method, path = operation.split(" ")
    assert status in schema["paths"][path][method.lower()]["responses"]

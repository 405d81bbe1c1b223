"""The OpenAPI schema states the concurrency contract: If-Match required on PATCH (428 and 412),
optional on the workflow POSTs (412)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WORKFLOW_POSTS = [
    "/api/v1/articles/{slug}/versions/",
    "/api/v1/articles/{slug}/submit/",
    "/api/v1/articles/{slug}/withdraw/",
    "/api/v1/articles/{slug}/retire/",
    "/api/v1/articles/{slug}/restore/",
    "/api/v1/articles/{slug}/assignments/",
    "/api/v1/articles/{slug}/auto-assign/",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def if_match_parameter(operation):
    (parameter,) = [p for p in operation.get("parameters", []) if p["name"] == "If-Match"]
    assert parameter["in"] == "header"
    return parameter


def error_body(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_patch_requires_if_match_and_documents_428_and_412(schema):
    operation = schema["paths"]["/api/v1/articles/{slug}/"]["patch"]

    assert if_match_parameter(operation)["required"] is True
    assert error_body(operation["responses"]["428"]) == "#/components/schemas/Error"
    assert error_body(operation["responses"]["412"]) == "#/components/schemas/Error"


@pytest.mark.parametrize("path", WORKFLOW_POSTS)
def test_workflow_posts_take_an_optional_if_match_and_document_412(schema, path):
    operation = schema["paths"][path]["post"]

    assert if_match_parameter(operation).get("required", False) is False
    assert error_body(operation["responses"]["412"]) == "#/components/schemas/Error"
    assert "428" not in operation["responses"]


def test_reads_do_not_take_if_match(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "head"):
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "If-Match" not in names, (method, path)

"""The NUL character is refused with 400 wherever a request can carry it: every field of every
request body, every query parameter (filters, search, ordering, pages), headers and the path.
PostgreSQL cannot store NUL in text, so on PostgreSQL a value that reached a query was a 500
(a specialty's slug in a body, for one); CI runs these there."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.models import Article, ArticleVersion
from editorial.comments import services as comment_services
from editorial.comments.models import CommentReply, ReviewComment
from editorial.comments.text import plain_text
from editorial.models import ReviewAssignment
from editorial.webhooks.models import WebhookEndpoint
from editorial.webhooks.services.endpoints import endpoint_create
from tests.editorial.conftest import assign, submit
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
NUL_MESSAGE = "Null characters are not allowed."
REFERENCE = {"citation": "Swain SM et al. N Engl J Med 2015.", "year": 2015, "pmid": "25693012"}

WEBHOOK_ENDPOINT = {
    "url": "https://receiver.example.org/hooks",
    "event_types": ["article.approved"],
    "description": "D",
    "is_active": True,
}

# A body each write operation would accept, and who sends it; each field in turn gets a NUL.
VALID_BODIES = {
    ("post", "/api/v1/articles/"): (
        "editor",
        {
            "slug": "new-article",
            "title": "T",
            "body": "B",
            "specialty": "medical-oncology",
            "risk_level": "standard",
            "review_interval_days": 30,
            "change_summary": "S",
            "references": [REFERENCE],
            "reason": "R",
            "provenance": "ai_generated",
            "generator": "G",
            "model_version": "M",
            "source_reference": "S",
        },
    ),
    ("patch", "/api/v1/articles/{slug}/"): (
        "editor",
        {
            "title": "T",
            "specialty": "medical-oncology",
            "risk_level": "high",
            "review_interval_days": 30,
            "reason": "R",
        },
    ),  # fmt: skip
    ("post", "/api/v1/articles/bulk/"): (
        "editor",
        {
            "slug": "imported",
            "title": "T",
            "specialty": "medical-oncology",
            "risk_level": "standard",
            "body": "B",
            "change_summary": "S",
            "references": [REFERENCE],
            "provenance": "ai_generated",
            "generator": "G",
            "model_version": "M",
            "source_reference": "S",
            "reason": "R",
        },
    ),
    ("post", "/api/v1/articles/{slug}/versions/"): (
        "editor",
        {
            "title": "T",
            "body": "B",
            "change_summary": "S",
            "references": [REFERENCE],
            "reason": "R",
            "provenance": "ai_assisted",
            "generator": "G",
            "model_version": "M",
            "source_reference": "S",
        },
    ),
    ("post", "/api/v1/articles/{slug}/submit/"): ("editor", {"reason": "R"}),
    ("post", "/api/v1/articles/{slug}/withdraw/"): ("editor", {"reason": "R"}),
    ("post", "/api/v1/articles/{slug}/retire/"): ("chief", {"reason": "R"}),
    ("post", "/api/v1/articles/{slug}/restore/"): ("chief", {"reason": "R"}),
    ("post", "/api/v1/articles/{slug}/assignments/"): (
        "editor",
        {"reviewer": "{member}", "due_at": "2099-01-01T00:00:00Z", "override_reason": "O", "reason": "R"},
    ),
    ("post", "/api/v1/articles/{slug}/auto-assign/"): ("editor", {"reason": "R"}),
    ("post", "/api/v1/assignments/{id}/decision/"): (
        "reviewer",
        {"decision": "reject", "comment": "C", "cited_comments": [1]},
    ),
    ("post", "/api/v1/assignments/{id}/decline/"): ("reviewer", {"reason": "R"}),
    ("post", "/api/v1/auth/token/"): ("anonymous", {"username": "u", "password": "p"}),
    ("post", "/api/v1/rounds/{id}/override-requests/"): ("editor", {"member": "{member}", "reason": "R"}),
    ("post", "/api/v1/override-requests/{id}/grant/"): (
        "chief",
        {"member": "{member}", "override_reason": "O"},
    ),
    ("post", "/api/v1/override-requests/{id}/decline/"): ("chief", {"reason": "R"}),
    ("post", "/api/v1/articles/{slug}/versions/{number}/comments/"): (
        "reviewer",
        {
            "body": "C",
            "quote": {"type": "TextQuoteSelector", "exact": "E", "prefix": "P", "suffix": "S"},
            "position": {"type": "TextPositionSelector", "start": 0, "end": 1},
        },
    ),
    ("post", "/api/v1/comments/{id}/replies/"): ("editor", {"body": "B"}),
    ("post", "/api/v1/comments/{id}/resolve/"): ("editor", {"reason": "R"}),
    ("post", "/api/v1/comments/{id}/reopen/"): ("editor", {"reason": "R"}),
    ("post", "/api/v1/webhooks/endpoints/"): ("chief", WEBHOOK_ENDPOINT),
    ("patch", "/api/v1/webhooks/endpoints/{id}/"): ("chief", WEBHOOK_ENDPOINT),
    ("post", "/api/v1/triage/page-views/"): (
        "chief",
        {"items": [{"slug": "phesgo", "date": "2030-01-01", "views": 5}]},
    ),
}


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def resolve(schema, openapi):
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def properties(schema, openapi) -> set[str]:
    """Every property a body schema names, in any of its alternatives."""
    schema = resolve(schema, openapi)
    names = set(schema.get("properties", {}))
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(keyword, []):
            names |= properties(branch, openapi)
    return names


def write_operations(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                yield method, path, operation["requestBody"]["content"]["application/json"]["schema"]


def test_every_write_operation_has_a_valid_body_here(openapi):
    assert {(method, path) for method, path, _ in write_operations(openapi)} == set(VALID_BODIES)


@pytest.fixture
def scene(world, oncology, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    submit(world.article)
    assignment = assign(world.article, world.members[0])
    version = world.article.current_version
    quote = plain_text(version)[:5]
    comment = comment_services.comment_create(
        actor=world.members[0].user, version=version, body="C", exact=quote, start=0, end=len(quote)
    )
    endpoint = endpoint_create(
        actor=world.chief, url="https://receiver.example.org/hooks", event_types=["article.approved"]
    )
    clients = {
        "editor": client_for(world.editor),
        "chief": client_for(world.chief),
        "reviewer": client_for(world.members[0].user),
        "anonymous": APIClient(),
    }
    values = {
        "slug": world.article.slug,
        "number": version.number,
        "id": assignment.pk,
        "member": world.members[1].pk,
    }
    # Paths whose {id} names something other than a review.
    ids = {"/api/v1/comments/": comment.pk, "/api/v1/webhooks/endpoints/": endpoint.pk}
    return {"clients": clients, "values": values, "ids": ids}


def url_of(path: str, scene) -> str:
    values = dict(scene["values"])
    for prefix, pk in scene["ids"].items():
        if path.startswith(prefix):
            values["id"] = pk
    return path.format(**values)


def written() -> tuple[int, ...]:
    return (
        Article.history.count(),
        ArticleVersion.objects.count(),
        ReviewAssignment.history.count(),
        AuthToken.objects.count(),
        ReviewComment.history.count(),
        CommentReply.objects.count(),
        WebhookEndpoint.objects.count(),
        WebhookEndpoint.objects.order_by().values_list("url", "description", "event_types").first(),
    )


def fill(value, values):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return values[value[1:-1]]
    return value


def test_every_body_field_with_nul_is_a_400_naming_the_field(openapi, scene):
    """Every field of every body, references' fields included, read from the OpenAPI schema so
    that a new field is tested without being listed here."""
    tried = []
    for method, path, body_schema in write_operations(openapi):
        who, valid = VALID_BODIES[(method, path)]
        # A body that is an array of objects (the bulk import): each field of its one item.
        many = resolve(body_schema, openapi).get("type") == "array"
        if many:
            body_schema = resolve(body_schema, openapi)["items"]
        url = url_of(path, scene)
        base = {key: fill(value, scene["values"]) for key, value in valid.items()}
        fields = properties(body_schema, openapi)
        assert fields <= set(base), f"{method} {path}: add {fields - set(base)} to VALID_BODIES"
        reference_fields = properties(openapi["components"]["schemas"]["ReferenceWriteRequest"], openapi)
        variants = [(field, {**base, field: NUL}) for field in fields]
        if "references" in fields:
            variants += [
                (f"references[0].{field}", {**base, "references": [{**REFERENCE, field: NUL}]})
                for field in reference_fields
            ]
        for field, body in variants:
            before = written()
            sent = [body] if many else body
            response = getattr(scene["clients"][who], method)(url, sent, format="json", HTTP_IF_MATCH="*")
            assert response.status_code == 400, (method, path, field, response.content)
            error = response.json()
            assert error["code"] == "invalid"
            named = error["fields"]["lines"]["1"] if many else error["fields"]
            assert field.split("[")[0] in named, (method, path, field, error)
            assert written() == before, (method, path, field)
            tried.append((method, path, field))
    assert len(tried) > 40


def test_a_nul_in_a_key_is_refused_too(scene):
    response = scene["clients"]["editor"].post(
        "/api/v1/articles/phesgo/withdraw/", {"reason": "R", "x\x00": 1}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def read_operations(openapi):
    for path, operations in openapi["paths"].items():
        if "get" in operations:
            yield path, [p for p in operations["get"].get("parameters", []) if p["in"] == "query"]


def test_every_query_parameter_with_nul_is_a_400_naming_it(openapi, scene):
    tried = []
    for path, parameters in read_operations(openapi):
        url = path.format(slug="phesgo", number=1, id=1)
        who = "anonymous" if "/public/" in path else "editor"
        for parameter in parameters:
            response = scene["clients"][who].get(url, {parameter["name"]: NUL})
            assert response.status_code == 400, (path, parameter["name"], response.content)
            assert response.json() == {
                "code": "invalid",
                "detail": "Some fields are invalid; see fields.",
                "fields": {parameter["name"]: ["Null characters are not allowed."]},
            }
            tried.append((path, parameter["name"]))
    assert {"search", "ordering", "specialty", "review_due_before", "article", "page"} <= {
        name for _, name in tried
    }


def test_nul_in_the_path_or_a_header_is_a_400(scene, world):
    _, token = AuthToken.objects.create(user=world.editor)
    client = APIClient()

    in_path = client.get("/api/v1/public/articles/a%00b/")
    in_token = client.get("/api/v1/articles/", HTTP_AUTHORIZATION=f"Token {token[:8]}\x00")
    in_cookie = client.get("/api/v1/articles/", HTTP_COOKIE="sessionid=abcdefgh\x00")

    assert (in_path.status_code, in_path.json()["fields"]) == (400, {"path": [NUL_MESSAGE]})
    assert (in_token.status_code, in_token.json()["fields"]) == (400, {"Authorization": [NUL_MESSAGE]})
    assert (in_cookie.status_code, in_cookie.json()["fields"]) == (400, {"Cookie": [NUL_MESSAGE]})

"""Every role on every endpoint and method, with the status each must get.

Roles: anonymous, editor, editor-in-chief, the board member assigned to the review in question,
and a board member who is not. Every request uses a real API token.
"""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.models import Article, RiskLevel
from editorial import services
from editorial.staffing.overrides import request_override
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "editor", "chief", "assigned_member", "other_member"]

VERSION = {"title": "T", "body": "B", "reason": "Revision", "provenance": "human"}
NEW_ARTICLE = {
    "slug": "new-one",
    "title": "T",
    "specialty": "medical-oncology",
    "body": "B",
    "provenance": "ai_generated",
    "generator": "G",
    "model_version": "M",
}
BULK_LINE = {**NEW_ARTICLE, "slug": "imported-one"}

# (endpoint, method, path, body, {role: status}); a role not listed is refused with 403.
MATRIX = [
    ("articles", "get", "/api/v1/articles/", None, {"editor": 200, "chief": 200}),
    ("articles", "post", "/api/v1/articles/", NEW_ARTICLE, {"editor": 201, "chief": 201}),
    ("bulk import", "post", "/api/v1/articles/bulk/", [BULK_LINE], {"editor": 200, "chief": 200}),
    ("article", "get", "/api/v1/articles/{in_review}/", None, {"editor": 200, "chief": 200}),
    (
        "article",
        "patch",
        "/api/v1/articles/{in_review}/",
        {"title": "New", "reason": "r"},
        {"editor": 200, "chief": 200},
    ),
    ("versions", "get", "/api/v1/articles/{in_review}/versions/", None, {"editor": 200, "chief": 200}),
    ("versions", "post", "/api/v1/articles/{draft}/versions/", VERSION, {"editor": 201, "chief": 201}),
    ("version", "get", "/api/v1/articles/{in_review}/versions/1/", None, {"editor": 200, "chief": 200}),
    ("diff", "get", "/api/v1/articles/{approved}/versions/1/diff/", None, {"editor": 200, "chief": 200}),
    ("submit", "post", "/api/v1/articles/{draft}/submit/", {"reason": "r"}, {"editor": 200, "chief": 200}),
    (
        "withdraw",
        "post",
        "/api/v1/articles/{in_review}/withdraw/",
        {"reason": "r"},
        {"editor": 200, "chief": 200},
    ),
    ("retire", "post", "/api/v1/articles/{draft}/retire/", {"reason": "r"}, {"editor": 403, "chief": 200}),
    (
        "restore",
        "post",
        "/api/v1/articles/{retired}/restore/",
        {"reason": "r"},
        {"editor": 403, "chief": 200},
    ),
    ("history", "get", "/api/v1/articles/{in_review}/history/", None, {"editor": 200, "chief": 200}),
    ("rounds", "get", "/api/v1/articles/{in_review}/rounds/", None, {"editor": 200, "chief": 200}),
    (
        "assign",
        "post",
        "/api/v1/articles/{in_review}/assignments/",
        {"reviewer": "{other_member_id}"},
        {"editor": 201, "chief": 201},
    ),
    ("auto-assign", "post", "/api/v1/articles/{in_review}/auto-assign/", {}, {"editor": 200, "chief": 200}),
    (
        "assignments",
        "get",
        "/api/v1/assignments/",
        None,
        {"editor": 200, "chief": 200, "assigned_member": 200, "other_member": 200},
    ),
    (
        "decision",
        "post",
        "/api/v1/assignments/{assignment}/decision/",
        {"decision": "approve"},
        {"editor": 403, "chief": 403, "assigned_member": 200, "other_member": 404},
    ),
    (
        "decline",
        "post",
        "/api/v1/assignments/{assignment}/decline/",
        {"reason": "On leave"},
        {"editor": 403, "chief": 403, "assigned_member": 200, "other_member": 404},
    ),
    (
        "accept",
        "post",
        "/api/v1/assignments/{assignment}/accept/",
        None,
        {"editor": 403, "chief": 403, "assigned_member": 200, "other_member": 404},
    ),
    ("board-members", "get", "/api/v1/board-members/", None, {"editor": 200, "chief": 200}),
    ("stuck rounds", "get", "/api/v1/rounds/?staffing=short", None, {"editor": 200, "chief": 200}),
    ("round staffing", "get", "/api/v1/rounds/{round}/", None, {"editor": 200, "chief": 200}),
    (
        "ask override",
        "post",
        "/api/v1/rounds/{other_round}/override-requests/",
        {"reason": "Nobody left"},
        {"editor": 201, "chief": 201},
    ),
    ("override requests", "get", "/api/v1/override-requests/", None, {"editor": 200, "chief": 200}),
    (
        "grant override",
        "post",
        "/api/v1/override-requests/{override}/grant/",
        {"member": "{other_member_id}", "override_reason": "Needed"},
        {"editor": 403, "chief": 201},
    ),
    (
        "decline override",
        "post",
        "/api/v1/override-requests/{override}/decline/",
        {"reason": "Not now"},
        {"editor": 403, "chief": 200},
    ),
    ("triage queue", "get", "/api/v1/triage/queue/", None, {"chief": 200}),
    (
        "page views",
        "post",
        "/api/v1/triage/page-views/",
        {"items": [{"slug": "draft-one", "date": "2030-01-01", "views": 5}]},
        {"chief": 200},
    ),
    ("public list", "get", "/api/v1/public/articles/", None, dict.fromkeys(ROLES, 200)),
    ("public page", "get", "/api/v1/public/articles/{approved}/", None, dict.fromkeys(ROLES, 200)),
    ("schema", "get", "/api/schema/", None, dict.fromkeys(ROLES, 200)),
    ("docs", "get", "/api/docs/", None, dict.fromkeys(ROLES, 200)),
    (
        "logout",
        "post",
        "/api/v1/auth/logout/",
        None,
        {"editor": 204, "chief": 204, "assigned_member": 204, "other_member": 204},
    ),
    (
        "logout all",
        "post",
        "/api/v1/auth/logout-all/",
        None,
        {"editor": 204, "chief": 204, "assigned_member": 204, "other_member": 204},
    ),
    (
        "token",
        "post",
        "/api/v1/auth/token/",
        {"username": "nobody", "password": "x"},
        dict.fromkeys(ROLES, 400),
    ),
]

# Methods an endpoint does not have: refused with 405 to whoever passes the endpoint's role check
# (which DRF makes first), so anonymous callers still get 401 and board members 403 on editors'
# endpoints. (method, path, roles that pass the role check)
EDITORS = {"editor", "chief"}
EVERYONE = set(ROLES)
NOT_ALLOWED = [
    ("put", "/api/v1/articles/{in_review}/", EDITORS),
    ("get", "/api/v1/articles/bulk/", EDITORS),
    ("delete", "/api/v1/articles/{in_review}/", EDITORS),
    ("delete", "/api/v1/articles/{in_review}/versions/1/", EDITORS),
    ("patch", "/api/v1/articles/{in_review}/versions/1/", EDITORS),
    ("get", "/api/v1/articles/{in_review}/submit/", EDITORS),
    ("delete", "/api/v1/assignments/{assignment}/decision/", EDITORS | {"assigned_member", "other_member"}),
    ("post", "/api/v1/public/articles/", EVERYONE),
    ("delete", "/api/v1/public/articles/{approved}/", EVERYONE),
]


def expected_status(role: str, statuses: dict[str, int]) -> int:
    if role in statuses:
        return statuses[role]
    if role == "anonymous":
        return 401
    return 403


@pytest.fixture
def setting(oncology):
    editor, chief = EditorFactory(), ChiefFactory()
    assigned, other, approver = (BoardMemberFactory(specialties=[oncology]) for _ in range(3))
    in_review = ArticleFactory(slug="in-review", specialty=oncology, risk_level=RiskLevel.HIGH, actor=editor)
    services.submit(actor=editor, article=in_review, reason="r")
    assignment = services.assign(actor=editor, article=in_review, reviewer=assigned, reason="r")
    draft = ArticleFactory(slug="draft-one", specialty=oncology, actor=editor)
    retired = ArticleFactory(slug="retired-one", specialty=oncology, actor=editor)
    services.retire(actor=chief, article=retired, reason="r")
    approved = ArticleFactory(slug="approved-one", specialty=oncology, actor=editor)
    services.submit(actor=editor, article=approved, reason="r")
    approval = services.assign(actor=editor, article=approved, reviewer=approver, reason="r")
    services.decide(actor=approver.user, assignment=approval, decision="approve")
    round = in_review.review_rounds.get(closed_at=None)
    override = request_override(actor=editor, round=round, reason="Nobody eligible is free")
    waiting = ArticleFactory(slug="waiting-one", specialty=oncology, actor=editor)
    services.submit(actor=editor, article=waiting, reason="r")
    users = {"editor": editor, "chief": chief, "assigned_member": assigned.user, "other_member": other.user}
    return {
        "users": users,
        "values": {
            "in_review": in_review.slug,
            "draft": draft.slug,
            "retired": retired.slug,
            "approved": approved.slug,
            "assignment": assignment.pk,
            "other_member_id": other.pk,
            "round": round.pk,
            "other_round": waiting.review_rounds.get(closed_at=None).pk,
            "override": override.pk,
        },
    }


def client_as(role: str, setting: dict) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        _, token = AuthToken.objects.create(user=setting["users"][role])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def fill(template, values):
    if isinstance(template, str):
        filled = template.format(**values)
        return int(filled) if template.startswith("{") and filled.isdigit() else filled
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("endpoint", "method", "path", "body", "statuses"),
    MATRIX,
    ids=[f"{method.upper()} {endpoint}" for endpoint, method, *_ in MATRIX],
)
def test_each_role_gets_the_expected_status(setting, role, endpoint, method, path, body, statuses):
    client = client_as(role, setting)
    url = fill(path, setting["values"])
    kwargs = {"format": "json"} if method != "get" else {}
    if method == "patch":  # the article's current ETag, as an editor who had just read it would send
        kwargs["HTTP_IF_MATCH"] = Article.objects.get(slug=setting["values"]["in_review"]).etag()
    response = getattr(client, method)(url, fill(body, setting["values"]), **kwargs)

    assert response.status_code == expected_status(role, statuses), response.content[:300]
    if response.status_code >= 400:
        assert response.json()["code"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "passing"), NOT_ALLOWED)
def test_methods_an_endpoint_does_not_have_are_refused(setting, role, method, path, passing):
    response = getattr(client_as(role, setting), method)(fill(path, setting["values"]), {}, format="json")

    expected = 405 if role in passing else 401 if role == "anonymous" else 403
    assert response.status_code == expected
    assert response.json()["code"]

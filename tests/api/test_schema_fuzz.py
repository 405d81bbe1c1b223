"""Schemathesis: requests generated from the OpenAPI schema, valid and invalid, for every role
(anonymous, editor, editor-in-chief, board member), with every check schemathesis has: no server
error, every status and header and body as documented, valid input accepted and invalid input
refused, required headers enforced, authentication not ignored, and the rest
(``schemathesis.checks.CHECKS``; the stateful ones need links between operations, which this
schema does not declare, so they pass without testing anything).

Where schemathesis cannot know the state of the data, its configuration says so (``CONFIG``),
each with its reason; no operation and no check is left out.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import urllib.parse

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import CHECKS, load_all_checks

from articles.models import RiskLevel
from editorial import services
from tests.factories import (
    ArticleFactory,
    BoardMemberFactory,
    ChiefFactory,
    EditorFactory,
    SpecialtyFactory,
)

POSITIVE_DEFAULTS = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
MISSING_HEADER_DEFAULTS = ["400", "401", "403", "406", "415", "422"]
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            # States of the data schemathesis cannot know, like the 409 it expects already: a
            # well-formed If-Match naming an ETag the article no longer has (412), an
            # Idempotency-Key already used for another request (422, as the IETF draft says).
            "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULTS, "412", "422"]},
            # A missing If-Match is answered 428 Precondition Required, the status RFC 6585 made
            # for it.
            "missing_required_header": {"expected-statuses": [*MISSING_HEADER_DEFAULTS, "428"]},
        },
        "operations": [
            {
                # Credentials that match no user are refused with 400, as schemathesis allows for
                # an operation it knows to mint credentials (it learns that from an OAuth2
                # tokenUrl, which a knox token endpoint has no reason to declare).
                "include-path": "/api/v1/auth/token/",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULTS, "400"]}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


@schema.hook
def map_body(context, body):
    """Rules the schema states in words, which is all JSON Schema allows, and the API enforces with
    a 400, kept by the requests meant to be valid: a due date must be in the future (a passed one
    is moved a week ahead), and a webhook endpoint's URL must not name a non-public address (a
    generated non-public IP literal, 10.0.0.1 or 253.7.97.2, is replaced by a public host name)."""
    body = _public_webhook_url(body)
    due_at = body.get("due_at") if isinstance(body, dict) else None
    if isinstance(due_at, str) and DATE_TIME.fullmatch(due_at.upper()):
        try:
            passed = datetime.datetime.fromisoformat(due_at.upper().replace("Z", "+00:00")) <= (
                datetime.datetime.now(datetime.UTC)
            )
        except (ValueError, OverflowError):
            passed = False
        if passed:
            future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
            body = {**body, "due_at": future.isoformat().replace("+00:00", "Z")}
    return body


def _public_webhook_url(body):
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str):
        return body
    try:
        parts = urllib.parse.urlsplit(url)
        address = ipaddress.ip_address((parts.hostname or "").split("%")[0])
        netloc = "hooks.example.com" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return body  # not an IP literal (names are resolved when a delivery is sent), or no URL
    if address.is_global:
        return body
    return {**body, "url": urllib.parse.urlunsplit(parts._replace(netloc=netloc))}


@pytest.fixture
def in_test_transaction():
    """Requests go straight to the WSGI app, not through Django's test client, so stop Django
    from closing the test's database connection at each request as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def users(db, in_test_transaction):
    """One user per role, and data for the generated requests to find: articles in draft, in
    review (with a review for the board member), approved and retired."""
    specialty = SpecialtyFactory(slug="medical-oncology")
    editor = EditorFactory()
    member, *others = (BoardMemberFactory(specialties=[specialty]) for _ in range(3))
    in_review = ArticleFactory(slug="phesgo", specialty=specialty, risk_level=RiskLevel.HIGH, actor=editor)
    services.submit(actor=editor, article=in_review, reason="r")
    services.assign(actor=editor, article=in_review, reviewer=member, reason="r")
    services.assign(actor=editor, article=in_review, reviewer=others[0], reason="r")
    approved = ArticleFactory(slug="approved", specialty=specialty, actor=editor)
    services.submit(actor=editor, article=approved, reason="r")
    assignment = services.assign(actor=editor, article=approved, reviewer=others[1], reason="r")
    services.decide(actor=others[1].user, assignment=assignment, decision="approve")
    ArticleFactory(slug="draft", specialty=specialty, actor=editor)
    chief = ChiefFactory()
    services.retire(
        actor=chief, article=ArticleFactory(slug="retired", specialty=specialty, actor=editor), reason="r"
    )
    return {"editor": editor, "chief": chief, "board_member": member.user}


def fuzz(role: str):
    @pytest.mark.django_db
    @schema.parametrize()
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case, users):
        headers = {}
        if role != "anonymous":
            _, token = AuthToken.objects.create(user=users[role])
            headers["Authorization"] = f"Token {token}"
        case.call_and_validate(headers=headers, checks=ALL_CHECKS)

    test.__doc__ = f"Every operation, as {role.replace('_', ' ')}: no 5xx, and every response as documented."
    return test


test_as_anonymous = fuzz("anonymous")
test_as_editor = fuzz("editor")
test_as_editor_in_chief = fuzz("chief")
test_as_board_member = fuzz("board_member")


def test_every_check_schemathesis_has_runs():
    names = {check.__name__ for check in ALL_CHECKS}
    assert {"negative_data_rejection", "positive_data_acceptance", "response_schema_conformance",
            "status_code_conformance", "content_type_conformance", "response_headers_conformance",
            "missing_required_header", "ignored_auth", "use_after_free", "ensure_resource_availability",
            "unsupported_method", "not_a_server_error"} <= names  # fmt: skip

"""Schemathesis: requests generated from the OpenAPI schema, valid and invalid, sent with an
editor's token. No input may cause a server error, and every response must match the schema
(its status documented, its body of the documented shape)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from articles.models import RiskLevel
from editorial import services
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory, SpecialtyFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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
def editor_token(db, in_test_transaction):
    """An editor's token, and data for the generated requests to find: an article in review with
    a reviewer, and an approved one."""
    specialty = SpecialtyFactory(slug="medical-oncology")
    editor = EditorFactory()
    members = [BoardMemberFactory(specialties=[specialty]) for _ in range(2)]
    in_review = ArticleFactory(slug="phesgo", specialty=specialty, risk_level=RiskLevel.HIGH, actor=editor)
    services.submit(actor=editor, article=in_review, reason="r")
    services.assign(actor=editor, article=in_review, reviewer=members[0], reason="r")
    approved = ArticleFactory(slug="approved", specialty=specialty, actor=editor)
    services.submit(actor=editor, article=approved, reason="r")
    assignment = services.assign(actor=editor, article=approved, reviewer=members[1], reason="r")
    services.decide(actor=members[1].user, assignment=assignment, decision="approve")
    _, token = AuthToken.objects.create(user=editor)
    return token


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_errors_and_matches_its_schema(case, editor_token):
    case.call_and_validate(headers={"Authorization": f"Token {editor_token}"}, checks=CHECKS)

"""Idempotency-Key on POST: a retry gets the first response and writes nothing; the same key with
another request gets 422; keys are per user and kept 24 hours."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article, ArticleVersion
from config.idempotency.models import IdempotencyKey
from config.idempotency.services import purge_expired
from editorial.models import ReviewAssignment
from tests.editorial.conftest import submit
from tests.factories import EditorFactory
from tests.helpers import client_for, run_at_once
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db

VERSIONS = "/api/v1/articles/phesgo/versions/"


def new_version(client, key, body="Revised after the 2026 guideline."):
    return client.post(
        VERSIONS,
        {"title": "Phesgo cycles", "body": body, "reason": "New guideline", "provenance": "human"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_version_post_is_written_once(world):
    """Seen: the client's retry of POST versions (after a timeout) wrote a duplicate version."""
    client, key = client_for(world.editor), str(uuid.uuid4())

    first = new_version(client, key)
    retry = new_version(client, key)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ArticleVersion.objects.filter(article=world.article).count() == 2  # the first and this one


def test_the_same_key_with_another_body_is_refused_with_422(world):
    client, key = client_for(world.editor), str(uuid.uuid4())
    new_version(client, key)

    response = new_version(client, key, body="Something else entirely.")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert ArticleVersion.objects.filter(article=world.article).count() == 2


def test_keys_are_per_user(world):
    key = str(uuid.uuid4())
    assert new_version(client_for(world.editor), key).status_code == 201
    assert new_version(client_for(EditorFactory()), key, body="Another editor's text.").status_code == 201
    assert ArticleVersion.objects.filter(article=world.article).count() == 3


def test_a_request_that_failed_keeps_nothing_and_can_be_retried_with_its_key(world):
    submit(world.article)
    client, key = client_for(world.editor), str(uuid.uuid4())
    url = "/api/v1/articles/phesgo/withdraw/"

    refused = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    corrected = client.post(url, {"reason": "Not ready"}, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert (refused.status_code, corrected.status_code) == (400, 200)
    assert corrected.json()["status"] == "draft"
    assert IdempotencyKey.objects.get().status_code == 200


def test_a_retried_assignment_assigns_once_and_a_retried_decision_decides_once(world):
    submit(world.article)
    editor, key = client_for(world.editor), str(uuid.uuid4())
    body = {"reviewer": world.members[0].pk}
    first = editor.post("/api/v1/articles/phesgo/assignments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = editor.post("/api/v1/articles/phesgo/assignments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert ReviewAssignment.objects.count() == 1

    member, key = client_for(world.members[0].user), str(uuid.uuid4())
    url = f"/api/v1/assignments/{first.json()['id']}/decision/"
    decided = member.post(url, {"decision": "approve"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retried = member.post(url, {"decision": "approve"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (decided.status_code, retried.status_code) == (200, 200)
    assert retried.json() == decided.json()  # not "already decided": the first answer again


def test_a_malformed_key_is_refused(world):
    response = new_version(client_for(world.editor), "x" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert ArticleVersion.objects.filter(article=world.article).count() == 1


def test_an_article_created_twice_with_one_key_exists_once(editor, oncology):
    client, key = client_for(editor), str(uuid.uuid4())
    body = {
        "slug": "new-one",
        "title": "New?",
        "specialty": oncology.slug,
        "body": "Text.",
        "provenance": "human",
    }
    first = client.post("/api/v1/articles/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post("/api/v1/articles/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["ETag"] == first["ETag"]
    assert Article.objects.filter(slug="new-one").count() == 1


def test_keys_are_kept_a_day(world):
    client, key = client_for(world.editor), str(uuid.uuid4())
    new_version(client, key)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        # A day later the key is free again: the request runs anew.
        assert new_version(client, key, body="A day later.").status_code == 201
        assert ArticleVersion.objects.filter(article=world.article).count() == 3
        assert purge_expired(now=timezone.now() + datetime.timedelta(hours=25)) == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_write_one_version(world):
    key = str(uuid.uuid4())

    first, second = run_at_once(
        lambda: new_version(client_for(world.editor), key), lambda: new_version(client_for(world.editor), key)
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert ArticleVersion.objects.filter(article=world.article).count() == 2

"""Provenance of every version (issue 15): the API asks every caller who or what wrote a version,
refuses what does not hold together, and every read of a version says it; the database refuses a
generator on a person's version whatever path writes it; versions from before it are
``not_recorded``."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from articles.models import Article, ArticleVersion
from articles.provenance import Provenance
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

VERSIONS = "/api/v1/articles/phesgo/versions/"
AI_DRAFT = {
    "provenance": "ai_generated",
    "generator": "Drafting pipeline",
    "model_version": "model-x 2026-01",
    "source_reference": "job-4711",
}


@pytest.fixture
def api(world):
    return client_for(world.editor)


def new_article(**fields):
    return {"slug": "new-one", "title": "T", "specialty": "medical-oncology", "body": "B", **fields}


def new_version(**fields):
    return {"title": "T2", "body": "Second text.", "reason": "Revision", **fields}


def written() -> tuple[int, int, int]:
    return Article.objects.count(), ArticleVersion.objects.count(), ArticleVersion.history.count()


REFUSALS = [
    pytest.param({}, "provenance", "Say who or what wrote this version", id="missing"),
    pytest.param({"provenance": "not_recorded"}, "provenance", "you can declare", id="not_recorded"),
    pytest.param({"provenance": "robot"}, "provenance", "you can declare", id="unknown"),
    pytest.param(
        {"provenance": "human", "generator": "Drafting pipeline"},
        "generator",
        "use provenance “ai_assisted” if a model helped",
        id="generator-on-human",
    ),
    pytest.param(
        {"provenance": "human", "model_version": "model-x"},
        "model_version",
        "has no model version",
        id="model-on-human",
    ),
    pytest.param(
        {"provenance": "ai_generated", "generator": "Drafting pipeline"},
        "model_version",
        "must name its model version",
        id="ai-without-model",
    ),
    pytest.param(
        {"provenance": "ai_assisted", "model_version": "model-x", "generator": "  "},
        "generator",
        "must name its generator",
        id="ai-with-blank-generator",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "field", "message"), REFUSALS)
def test_a_new_article_without_a_coherent_provenance_is_a_400_naming_the_field(api, fields, field, message):
    before = written()

    response = api.post("/api/v1/articles/", new_article(**fields), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert message in " ".join(body["fields"][field])
    assert written() == before


@pytest.mark.parametrize(("fields", "field", "message"), REFUSALS)
def test_a_new_version_without_a_coherent_provenance_is_a_400_naming_the_field(api, fields, field, message):
    before = written()

    response = api.post(VERSIONS, new_version(**fields), format="json")

    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["fields"][field])
    assert written() == before


def test_an_ai_draft_is_refused_for_its_provenance_before_its_specialty_is_looked_up(api):
    # A malformed body is a 400 even when it names a specialty that does not exist (404 otherwise).
    response = api.post(
        "/api/v1/articles/", new_article(specialty="astrology", provenance="ai_generated"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"generator", "model_version"}


def test_an_ai_drafted_article_is_created_and_every_read_says_so(api):
    response = api.post("/api/v1/articles/", new_article(**AI_DRAFT), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["current_version_provenance"] == "ai_generated"
    version = ArticleVersion.objects.get(article__slug="new-one")
    assert (version.provenance, version.generator, version.model_version, version.source_reference) == (
        "ai_generated",
        "Drafting pipeline",
        "model-x 2026-01",
        "job-4711",
    )
    detail = api.get("/api/v1/articles/new-one/versions/1/").json()
    listed = api.get("/api/v1/articles/new-one/versions/").json()["results"][0]
    for read in (detail, listed):
        assert {key: read[key] for key in AI_DRAFT} == AI_DRAFT
    assert api.get("/api/v1/articles/new-one/").json()["current_version_provenance"] == "ai_generated"


def test_a_new_version_records_its_provenance_and_the_article_shows_the_current_one(api):
    assisted = {"provenance": "ai_assisted", "generator": "Editor's assistant", "model_version": "m-2"}

    response = api.post(VERSIONS, new_version(**assisted), format="json")

    assert response.status_code == 201, response.content
    assert {key: response.json()[key] for key in assisted} == assisted
    assert response.json()["source_reference"] == ""
    assert api.get("/api/v1/articles/phesgo/").json()["current_version_provenance"] == "ai_assisted"
    first = api.get("/api/v1/articles/phesgo/versions/1/").json()
    assert (first["provenance"], first["generator"], first["model_version"]) == ("human", "", "")


def test_a_person_s_version_may_send_empty_generator_and_model(api):
    body = new_version(provenance="human", generator=" ", model_version="", source_reference="memo 12")
    response = api.post(VERSIONS, body, format="json")
    assert response.status_code == 201, response.content
    version = ArticleVersion.objects.get(article__slug="phesgo", number=2)
    assert (version.provenance, version.generator, version.source_reference) == ("human", "", "memo 12")


def test_the_schema_states_the_provenance_rule(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for name in ("ArticleCreateRequest", "VersionWriteRequest"):
        body = schema["components"]["schemas"][name]
        assert "provenance" in body["required"]
        human, machine = body["oneOf"]
        assert human["properties"]["provenance"] == {"pattern": "^human$"}
        assert machine["required"] == ["provenance", "generator", "model_version"]
    declared = schema["components"]["schemas"]["DeclaredProvenanceEnum"]["enum"]
    assert declared == ["human", "ai_assisted", "ai_generated"]


# --- The database -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provenance", "generator", "model_version"),
    [
        ("human", "Drafting pipeline", ""),
        ("not_recorded", "", "model-x"),
        ("ai_generated", "", "model-x"),
        ("ai_assisted", "Drafting pipeline", ""),
    ],
)
def test_the_database_refuses_a_version_whose_provenance_does_not_hold_together(
    world, provenance, generator, model_version
):
    # An insert that bypasses the services (bulk_create runs no validation) still meets the
    # check constraint.
    version = world.article.current_version
    row = ArticleVersion(
        article=world.article,
        number=2,
        title=version.title,
        body=version.body,
        content_hash="0" * 64,
        author=world.editor,
        provenance=provenance,
        generator=generator,
        model_version=model_version,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVersion.objects.bulk_create([row])
    assert ArticleVersion.objects.filter(article=world.article).count() == 1


# --- The migration ------------------------------------------------------------------------------

BEFORE = ("articles", "0004_text_is_markdown_not_html")


def _migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_versions_written_before_provenance_become_not_recorded(world):
    # The test database is migrated to the end: step back to before provenance, write a version
    # as the code of then did, and migrate forward.
    executor = _migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldVersion = old_apps.get_model("articles", "ArticleVersion")
    old = OldVersion.objects.create(
        article_id=world.article.pk,
        number=2,
        title="Written before provenance",
        body="Old text.",
        content_hash="1" * 64,
        author_id=world.editor.pk,
    )

    _migrate()

    assert ArticleVersion.objects.get(pk=old.pk).provenance == Provenance.NOT_RECORDED
    assert ArticleVersion.objects.get(pk=world.article.current_version_id).provenance == (
        Provenance.NOT_RECORDED
    )
    assert set(ArticleVersion.history.values_list("provenance", flat=True)) == {Provenance.NOT_RECORDED}
    # New versions after the migration default to a person's.
    assert ArticleVersion._meta.get_field("provenance").default == Provenance.HUMAN

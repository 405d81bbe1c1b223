"""The bulk import checks a line as articles.services.create_article checks the same values: the
same fields refused, the same values accepted, the same content hash (articles.imports.checks
runs the model fields' own validation on plain values instead of full_clean on instances)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from articles import services
from articles.content import ReferenceContent, VersionContent, normalise_text, normalised_sha256
from articles.imports.lines import Outcome
from articles.imports.writer import import_articles
from articles.models import Article
from articles.provenance import VersionProvenance
from tests.imports.conftest import line

pytestmark = pytest.mark.django_db


def reference(**changes):
    return {"citation": "ESC Guidelines 2023", "source": "ESC", "year": 2023, **changes}


# (what the line changes, the fields both paths refuse: empty when both accept it)
CASES = [
    ({}, set()),
    ({"slug": "not a slug"}, {"slug"}),
    ({"slug": "bulk"}, {"slug"}),
    ({"slug": "x" * 201}, {"slug"}),
    ({"slug": "x" * 200}, set()),
    ({"title": ""}, {"title"}),
    ({"title": "   "}, {"title"}),
    ({"title": "x" * 301}, {"title"}),
    ({"title": f"  {'x' * 300}\r\n"}, set()),
    ({"body": " \r\n "}, {"body"}),
    ({"body": "Caf\u0065\u0301 \r\n\r\n<b>HbA1c ≥ 48</b>\t"}, set()),
    ({"change_summary": "x" * 501}, {"change_summary"}),
    ({"change_summary": ""}, set()),
    ({"risk_level": "extreme"}, {"risk_level"}),
    ({"risk_level": "high"}, set()),
    ({"provenance": "not_recorded"}, {"provenance"}),
    ({"provenance": "robot"}, {"provenance"}),
    ({"provenance": "ai_generated", "generator": ""}, {"generator"}),
    ({"provenance": "ai_assisted", "model_version": " "}, {"model_version"}),
    ({"provenance": "human"}, {"generator", "model_version"}),
    ({"provenance": "human", "generator": "", "model_version": ""}, set()),
    ({"model_version": "x" * 201}, {"model_version"}),
    ({"generator": "x" * 201}, {"generator"}),
    ({"source_reference": "x" * 501}, {"source_reference"}),
    ({"source_reference": "x" * 500}, set()),
    ({"references": []}, set()),
    ({"references": [reference(year=1200)]}, {"references"}),
    ({"references": [reference(year=2101)]}, {"references"}),
    ({"references": [reference(year="2019")]}, set()),
    ({"references": [reference(year="")]}, set()),
    ({"references": [reference(year="abc")]}, {"references"}),
    ({"references": [reference(year=True)]}, {"references"}),
    ({"references": [reference(citation="")]}, {"references"}),
    ({"references": [reference(citation=" \r\n")]}, {"references"}),
    ({"references": [reference(source="x" * 201)]}, {"references"}),
    ({"references": [reference(url="not a url")]}, {"references"}),
    ({"references": [reference(url=" https://example.org/a ")]}, set()),
    ({"references": [reference(doi="10.1/x")]}, {"references"}),
    ({"references": [reference(doi="10.1056/NEJMoa1113216")]}, set()),
    ({"references": [reference(pmid="12a")]}, {"references"}),
    ({"references": [reference(pmid="22149876")]}, set()),
    ({"references": [reference(colour="red")]}, {"references"}),
    ({"references": [reference()] * 101}, {"references"}),
    ({"references": [reference()] * 100}, set()),
    # Every field is checked, not only the first wrong one (a line that breaks the schema, a field
    # missing or of the wrong type, is refused for that alone: tests/imports/test_writer.py).
    (
        {"title": "x" * 301, "references": [reference(year=1)], "provenance": "robot"},
        {"title", "references", "provenance"},
    ),
    ({"reason": "x" * 2001}, {"reason"}),
]


def bulk(fields):
    with transaction.atomic():
        (result,) = [
            result
            for batch in import_articles(actor=fields["actor"], lines=[(1, fields["line"])], batch_size=1)
            for result in batch
        ]
        content_hash = None
        if result.outcome == Outcome.CREATED:
            content_hash = Article.objects.get(slug=fields["line"]["slug"]).current_version.content_hash
        transaction.set_rollback(True)
    return set(result.fields), content_hash


def service(fields, specialty):
    given = fields["line"]
    with transaction.atomic():
        try:
            article = services.create_article(
                actor=fields["actor"],
                slug=given["slug"],
                title=given["title"],
                specialty=specialty,
                risk_level=given["risk_level"],
                body=given["body"],
                reason=given.get("reason", "Bulk import"),
                change_summary=given["change_summary"],
                references=given["references"],
                provenance=VersionProvenance(
                    kind=given["provenance"],
                    generator=given["generator"],
                    model_version=given["model_version"],
                    source_reference=given["source_reference"],
                ),
            )
        except ValidationError as error:
            return set(error.message_dict), None
        finally:
            transaction.set_rollback(True)
    return set(), article.current_version.content_hash


@pytest.mark.parametrize(("changes", "refused"), CASES, ids=[str(index) for index in range(len(CASES))])
def test_a_line_is_refused_by_the_bulk_import_as_by_create_article(importer, cardiology, changes, refused):
    fields = {"actor": importer, "line": {**line("aspirin"), **changes}}

    by_bulk, bulk_hash = bulk(fields)
    by_service, service_hash = service(fields, cardiology)

    assert by_bulk == by_service == refused
    assert bulk_hash == service_hash
    if not refused:
        assert bulk_hash is not None


def test_the_bulk_hash_of_normalised_values_is_the_content_hash():
    tricky = [
        "Cafe\u0301",
        " \r\n padded \r\n",
        "tab\there",
        "\u212b ring",
        "x\r\ry",
        "back\\slash",
        "\u00a0nbsp ",
    ]
    for text in tricky:
        normalised = normalise_text(text)
        assert normalise_text(normalised) == normalised
        row = {
            "position": 1,
            "citation": normalised,
            "source": "",
            "year": 2001,
            "url": "",
            "doi": "",
            "pmid": "",
        }
        assert (
            normalised_sha256(title=normalised, body=normalised, references=[row])
            == VersionContent(
                title=text, body=text, references=(ReferenceContent(citation=text, year=2001),)
            ).sha256()
        )

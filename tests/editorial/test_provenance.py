"""Provenance where the workflow shows it (issue 15): the public page's caution line and
provenance, its schema.org markup, the review desk, the decision snapshot and the dossier, and the
demo data."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from articles.models import Article
from articles.provenance import Provenance, VersionProvenance
from editorial import services
from tests.editorial.conftest import approve, assign, in_review, refreshed, submit
from tests.factories import ArticleFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/articles/{}/"
AI_DRAFT = VersionProvenance(
    kind=Provenance.AI_GENERATED,
    generator="Drafting pipeline",
    model_version="model-x 2026-01",
    source_reference="job-4711",
)


@pytest.fixture
def public():
    return APIClient()


@pytest.fixture
def ai_article(oncology, editor):
    return ArticleFactory(specialty=oncology, actor=editor, provenance=AI_DRAFT)


def ai_version(article, provenance=AI_DRAFT):
    return services.add_version(
        actor=article.created_by,
        article=article,
        title="Revised by the pipeline",
        body="A newer machine-drafted text.",
        reason="New draft from the pipeline",
        provenance=provenance,
    )


def provenance_of(page: dict) -> tuple[str, str, str, str]:
    return page["provenance"], page["generator"], page["model_version"], page["source_reference"]


# --- The public page ----------------------------------------------------------------------------


def test_ai_drafted_text_pending_review_says_so_on_the_public_page(public, ai_article, settings):
    settings.PUBLIC_SHOW_UNREVIEWED = True
    submit(ai_article)

    page = public.get(PAGE.format(ai_article.slug)).json()

    assert (page["badge"], page["caution"]) == ("submitted", True)
    assert page["caution_text"] == "AI-drafted, pending review by the Medical Advisory Board."
    assert provenance_of(page) == ("ai_generated", "Drafting pipeline", "model-x 2026-01", "job-4711")
    assert page["jsonld"]["digitalSourceType"] == {
        "@type": "IPTCDigitalSourceEnumeration",
        "@id": "https://schema.org/TrainedAlgorithmicMediaDigitalSource",
    }


def test_a_person_s_text_pending_review_keeps_the_usual_caution_line(public, article, settings):
    settings.PUBLIC_SHOW_UNREVIEWED = True
    submit(article)

    page = public.get(PAGE.format(article.slug)).json()

    assert page["caution_text"] == settings.PUBLIC_CAUTION_TEXT
    assert provenance_of(page) == ("human", "", "", "")
    assert "digitalSourceType" not in page["jsonld"]


def test_approved_ai_text_loses_the_caution_but_keeps_its_provenance(public, ai_article, specialists):
    (assignment,) = in_review(ai_article, specialists[0])
    approve(assignment)

    page = public.get(PAGE.format(ai_article.slug)).json()

    assert (page["badge"], page["caution"], page["caution_text"]) == ("approved", False, "")
    assert provenance_of(page) == ("ai_generated", "Drafting pipeline", "model-x 2026-01", "job-4711")
    assert page["jsonld"]["digitalSourceType"]["@id"].endswith("TrainedAlgorithmicMediaDigitalSource")


def test_a_newer_ai_draft_does_not_change_the_approved_text_s_provenance(public, article, specialists):
    (assignment,) = in_review(article, specialists[0])
    approve(assignment)
    ai_version(refreshed(article))
    submit(refreshed(article))

    page = public.get(PAGE.format(article.slug)).json()

    assert (page["badge"], page["caution"], page["caution_text"]) == ("approved", False, "")
    assert page["content_hash"] == refreshed(article).published_version.content_hash
    assert provenance_of(page) == ("human", "", "", "")
    assert "digitalSourceType" not in page["jsonld"]


def test_ai_text_whose_approval_no_longer_stands_is_pending_review_again(
    public, ai_article, specialists, system_user
):
    (assignment,) = in_review(ai_article, specialists[0])
    approve(assignment)
    with time_machine.travel(refreshed(ai_article).review_due_at + datetime.timedelta(days=1)):
        services.expire(actor=system_user, article=refreshed(ai_article), reason="Review date passed")
        page = public.get(PAGE.format(ai_article.slug)).json()

    assert (page["badge"], page["caution"]) == ("expired", True)
    assert page["caution_text"] == "AI-drafted, pending review by the Medical Advisory Board."
    assert page["review"]["state"] == "past"


def test_ai_assisted_text_is_marked_as_composite_in_the_markup(public, oncology, editor, settings):
    settings.PUBLIC_SHOW_UNREVIEWED = True
    assisted = VersionProvenance(kind=Provenance.AI_ASSISTED, generator="Assistant", model_version="m-2")
    article = ArticleFactory(specialty=oncology, actor=editor, provenance=assisted)

    page = public.get(PAGE.format(article.slug)).json()

    assert page["caution_text"] == "AI-drafted, pending review by the Medical Advisory Board."
    assert page["jsonld"]["digitalSourceType"]["@id"] == (
        "https://schema.org/CompositeWithTrainedAlgorithmicMediaDigitalSource"
    )


# --- The review desk ----------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_review_page_says_the_version_was_drafted_by_ai_and_by_what(ai_article, specialists):
    submit(ai_article)
    assignment = assign(ai_article, specialists[0])
    client = signed_in(specialists[0].user)

    page = client.get(reverse("admin:editorial_reviewassignment_change", args=[assignment.pk]))

    html = page.content.decode()
    assert 'id="review-provenance"' in html
    assert "review-provenance-machine" in html
    line = html.split('id="review-provenance">', 1)[1].split("</p>", 1)[0]
    assert "Drafted by AI" in line
    assert "generator Drafting pipeline, model model-x 2026-01, source job-4711" in line
    # Near the top: before the version's details and its text.
    assert html.index('id="review-provenance"') < html.index('class="review-meta"')

    queue = client.get(reverse("admin:editorial_reviewassignment_changelist")).content.decode()
    assert '<span class="review-provenance-marker" title="Drafted by AI">AI draft</span>' in queue


def test_the_review_page_of_a_person_s_version_says_so_plainly(article, specialists):
    submit(article)
    assignment = assign(article, specialists[0])
    client = signed_in(specialists[0].user)

    html = client.get(
        reverse("admin:editorial_reviewassignment_change", args=[assignment.pk])
    ).content.decode()

    line = html.split('id="review-provenance">', 1)[1].split("</p>", 1)[0]
    assert "Written by a person." in line
    assert "review-provenance-machine" not in html
    queue = client.get(reverse("admin:editorial_reviewassignment_changelist")).content.decode()
    assert "review-provenance-marker" not in queue


# --- The decision snapshot and the dossier ------------------------------------------------------


def test_the_decision_records_the_provenance_it_was_made_on(ai_article, specialists, editor):
    (assignment,) = in_review(ai_article, specialists[0])
    approve(assignment)
    ai_version(refreshed(ai_article), VersionProvenance())  # a later person's version changes nothing

    snapshot = refreshed(assignment).decision_snapshot

    assert snapshot["schema"] == 2
    assert snapshot["version"] == {
        "number": 1,
        "content_hash": ai_article.current_version.content_hash,
        "provenance": "ai_generated",
        "generator": "Drafting pipeline",
        "model_version": "model-x 2026-01",
        "source_reference": "job-4711",
    }

    dossier = client_for(editor).get(f"/api/v1/articles/{ai_article.slug}/dossier/").json()["results"]
    decision = next(entry for entry in dossier if entry["kind"] == "decision")
    assert decision["decision"]["snapshot"]["version"]["provenance"] == "ai_generated"
    assert (
        "(Drafted by AI: generator Drafting pipeline, model model-x 2026-01, source job-4711)"
        in (decision["summary"])
    )
    created = [entry for entry in dossier if entry["kind"] == "version_created"]
    assert [entry["version_created"]["provenance"] for entry in created] == ["ai_generated", "human"]

    response = client_for(editor).get(f"/api/v1/articles/{ai_article.slug}/dossier/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    decided = next(row for row in rows if row["kind"] == "decision")
    assert "Drafted by AI" in decided["summary"]
    assert '"provenance": "ai_generated"' in decided["details"]
    first = next(row for row in rows if row["kind"] == "version_created")
    assert first["summary"].startswith("Version 1 written by")
    assert "Drafted by AI: generator Drafting pipeline" in first["summary"]


# --- The demo -----------------------------------------------------------------------------------


def test_the_demo_has_an_ai_drafted_article_pending_review(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)

    drafted = Article.objects.filter(current_version__provenance=Provenance.AI_GENERATED)
    assert [(article.slug, article.status) for article in drafted] == [
        ("immunotherapy-colitis-management", "under_review")
    ]
    version = drafted.get().current_version
    assert version.generator and version.model_version

"""The anonymous public endpoints: what the site shows, and when it shows the caution line."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from articles import rendering
from editorial import services
from tests.editorial.conftest import approve, assign, in_review, new_version, submit

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/articles/{}/"


@pytest.fixture
def public():
    return APIClient()


def approved(article, member):
    (assignment,) = in_review(article, member)
    approve(assignment)
    article.refresh_from_db()
    return article


def test_an_approved_article_shows_its_text_badge_dates_reviewers_and_references(
    public, article, specialists
):
    specialists[0].display_name, specialists[0].credentials = "Dr Olivia Okafor", "MD, PhD"
    specialists[0].save()
    approved(article, specialists[0])

    response = public.get(PAGE.format(article.slug))

    assert response.status_code == 200
    page = response.json()
    version = article.published_version
    assert page["title"] == version.title
    assert page["body"] == version.body
    assert (page["badge"], page["caution"], page["caution_text"]) == ("approved", False, "")
    assert page["last_reviewed_at"] == article.last_reviewed_at.isoformat().replace("+00:00", "Z")
    assert page["next_review_due_at"] == article.review_due_at.isoformat().replace("+00:00", "Z")
    assert page["reviewers"] == [
        {"name": "Dr Olivia Okafor", "credentials": "MD, PhD", "specialties": ["Medical oncology"]}
    ]
    assert page["references"][0]["citation"] == "A guideline."
    assert page["content_hash"] == version.content_hash


def test_the_approved_text_stays_public_while_a_new_version_is_in_review(public, article, specialists):
    approved(article, specialists[0])
    published_body = article.published_version.body
    new_version(article, body="A newer, unreviewed text.")
    submit(article)

    page = public.get(PAGE.format(article.slug)).json()
    assert (page["badge"], page["caution"], page["body"]) == ("approved", False, published_body)


def test_an_overdue_review_shows_the_status_with_the_caution_line(public, article, specialists, settings):
    specialists[1].credentials_verified_until = timezone.localdate() + datetime.timedelta(days=800)
    specialists[1].save()
    approved(article, specialists[0])
    with time_machine.travel(article.review_due_at + datetime.timedelta(days=1)):
        page = public.get(PAGE.format(article.slug)).json()
        assert (page["badge"], page["caution"], page["caution_text"]) == (
            "expired",
            True,
            settings.PUBLIC_OVERDUE_TEXT,
        )

        new_version(article)
        submit(article)
        assign(article, specialists[1])
        page = public.get(PAGE.format(article.slug)).json()
        assert (page["badge"], page["caution"]) == ("under_review", True)


def test_articles_never_approved_are_hidden_by_default(public, article):
    submit(article)
    assert public.get(PAGE.format(article.slug)).status_code == 404
    assert public.get("/api/v1/public/articles/").json()["results"] == []


def test_a_setting_shows_unreviewed_articles_with_the_caution_line(public, article, settings):
    settings.PUBLIC_SHOW_UNREVIEWED = True
    submit(article)

    page = public.get(PAGE.format(article.slug)).json()
    assert (page["badge"], page["caution"], page["caution_text"]) == (
        "submitted",
        True,
        settings.PUBLIC_CAUTION_TEXT,
    )
    assert page["reviewers"] == []
    listed = public.get("/api/v1/public/articles/").json()["results"]
    assert [(item["slug"], item["badge"], item["caution"]) for item in listed] == [
        (article.slug, "submitted", True)
    ]


def test_retired_articles_are_not_shown(public, article, specialists, chief):
    approved(article, specialists[0])
    services.retire(actor=chief, article=article, reason="Out of date")
    assert public.get(PAGE.format(article.slug)).status_code == 404
    assert public.get("/api/v1/public/articles/").json()["results"] == []


def test_the_page_has_an_etag_and_cache_control_and_answers_304(public, article, specialists, settings):
    settings.PUBLIC_CACHE_SECONDS = 120
    approved(article, specialists[0])
    first = public.get(PAGE.format(article.slug))
    assert first["Cache-Control"] == "public, max-age=120"
    assert "Cookie" not in first.get("Vary", "")

    again = public.get(PAGE.format(article.slug), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]

    with time_machine.travel(article.review_due_at + datetime.timedelta(seconds=1)):
        changed = public.get(PAGE.format(article.slug), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200  # the badge changed, so the ETag did too


def test_the_rendered_body_is_sanitised(public, article, specialists, editor):
    new_version(article, body="## Dose\n\n[click](javascript:alert(1)) and [ESMO](https://www.esmo.org)")
    approved(article, specialists[0])

    html = public.get(PAGE.format(article.slug)).json()["body_html"]
    assert "<h2>Dose</h2>" in html
    assert "javascript" not in html
    assert 'href="https://www.esmo.org"' in html


def test_the_page_renders_its_text_once_for_the_body_and_the_json_ld(public, article, specialists):
    new_version(article, body="## Dose\n\nOnce *weekly*, with food.")
    approved(article, specialists[0])

    with mock.patch.object(rendering, "_markdown", wraps=rendering._markdown) as markdown:
        page = public.get(PAGE.format(article.slug)).json()

    assert markdown.call_count == 1
    assert page["body_html"] == "<h2>Dose</h2>\n<p>Once <em>weekly</em>, with food.</p>"
    assert page["jsonld"]["text"] == "Dose\nOnce weekly, with food."


def test_the_list_shows_badge_and_dates_newest_state(public, article, specialists):
    approved(article, specialists[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        item = public.get("/api/v1/public/articles/").json()["results"][0]
    assert (item["slug"], item["badge"], item["caution"]) == (article.slug, "expired", True)
    assert item["last_reviewed_at"] is not None

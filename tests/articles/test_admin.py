from __future__ import annotations

import pytest
from django.urls import reverse

from articles.models import ArticleVersion, RiskLevel
from reviewers.models import Specialty
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return ArticleFactory(body="Original text.").current_version


def test_a_version_can_be_read_in_the_admin_but_not_edited(admin_client, version):
    url = reverse("admin:articles_articleversion_change", args=[version.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Original text." in page.content.decode()
    assert 'name="_save"' not in page.content.decode()

    response = admin_client.post(url, {"title": "New", "body": "Tampered", "change_reason": "x"})
    assert response.status_code == 403
    assert ArticleVersion.objects.get(pk=version.pk).body == "Original text."


def test_versions_cannot_be_added_or_deleted_in_the_admin(admin_client, version):
    assert admin_client.get(reverse("admin:articles_articleversion_add")).status_code == 403
    delete_url = reverse("admin:articles_articleversion_delete", args=[version.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ArticleVersion.objects.filter(pk=version.pk).exists()


def test_the_article_history_page_shows_who_and_why(admin_client, version):
    url = reverse("admin:articles_article_history", args=[version.article_id])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "First draft" in page.content.decode()


def test_an_admin_edit_needs_a_reason_and_records_it(admin_client, admin_user):
    specialty = Specialty.objects.create(name="Cardiology", slug="cardiology")
    url = reverse("admin:reviewers_specialty_change", args=[specialty.pk])
    form = {"name": "Cardiology", "slug": "cardiology", "review_interval_days": "180"}

    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    specialty.refresh_from_db()
    assert specialty.review_interval_days is None

    accepted = admin_client.post(url, form | {"change_reason": "Guidelines change fast"})
    assert accepted.status_code == 302
    latest = specialty.history.latest()
    assert (latest.review_interval_days, latest.history_user, latest.history_change_reason) == (
        180,
        admin_user,
        "Guidelines change fast",
    )


def test_article_metadata_edits_in_the_admin_go_through_the_service(admin_client, admin_user, version):
    article = version.article
    url = reverse("admin:articles_article_change", args=[article.pk])
    form = {
        "title": article.title,
        "specialty": article.specialty_id,
        "risk_level": RiskLevel.HIGH,
        "review_interval_days": "",
        "change_reason": "Dosing advice: high risk",
    }
    response = admin_client.post(url, form)

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.risk_level == RiskLevel.HIGH
    latest = article.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (admin_user, "Dosing advice: high risk")


def test_articles_cannot_be_added_or_deleted_in_the_admin(admin_client, version):
    assert admin_client.get(reverse("admin:articles_article_add")).status_code == 403
    delete_url = reverse("admin:articles_article_delete", args=[version.article_id])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403

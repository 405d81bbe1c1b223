"""The review dossier in the admin: the article page's "Review dossier" button, and the printable
page for editors-in-chief (and editors who may view the article), refused to everyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from articles.models import RiskLevel
from config.audit import audit
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, in_review, refreshed
from tests.factories import ArticleFactory, BoardMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

DOSSIER = "/admin/articles/article/{}/dossier/"


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def approved(oncology, editor, chief):
    member = BoardMemberFactory(
        specialties=[oncology], display_name="Dr Olivia Okafor", credentials="MD, PhD"
    )
    with audit(actor=chief, reason="Declared"):
        ConflictOfInterest.objects.create(member=member, keyword="Novartis", reason="Paid speaker")
    article = ArticleFactory(
        specialty=oncology, actor=editor, risk_level=RiskLevel.STANDARD, title="Phesgo cycles"
    )
    (assignment,) = in_review(article, member)
    approve(assignment, comment="Consistent with the guideline.")
    return refreshed(article)


def test_the_article_page_has_the_review_dossier_button_for_a_chief(approved, chief):
    page = signed_in(chief).get(f"/admin/articles/article/{approved.pk}/change/")

    assert page.status_code == 200
    assert f'href="{DOSSIER.format(approved.pk)}">Review dossier</a>' in page.content.decode()


def test_the_button_is_not_shown_to_a_superuser_who_is_not_an_editor(approved):
    admin = UserFactory(is_staff=True, is_superuser=True)

    page = signed_in(admin).get(f"/admin/articles/article/{approved.pk}/change/")

    assert page.status_code == 200
    assert "Review dossier" not in page.content.decode()
    assert signed_in(admin).get(DOSSIER.format(approved.pk)).status_code == 403


def test_the_printable_dossier_shows_the_decision_as_it_was_made(approved, chief):
    page = signed_in(chief).get(DOSSIER.format(approved.pk))

    assert page.status_code == 200
    html = page.content.decode()
    assert "editorial/dossier.css" in html  # the print style
    assert "Review dossier" in html
    assert "Dr Olivia Okafor, MD, PhD" in html
    assert "Consistent with the guideline." in html
    assert "“Novartis”: Paid speaker" in html and "in force" in html
    assert approved.published_version.content_hash in html
    assert "Approved" in html
    assert f"/api/v1/articles/{approved.slug}/dossier/?format=csv" in html


def test_the_pages_csv_link_works_with_the_chiefs_admin_session(approved, chief):
    response = signed_in(chief).get(f"/api/v1/articles/{approved.slug}/dossier/?format=csv")

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert "Dr Olivia Okafor" in response.content.decode()


def test_one_version_alone_and_a_version_it_does_not_have(approved, chief):
    client = signed_in(chief)

    assert client.get(DOSSIER.format(approved.pk), {"version": "1"}).status_code == 200
    assert client.get(DOSSIER.format(approved.pk), {"version": "7"}).status_code == 404
    assert client.get(DOSSIER.format(approved.pk), {"version": "one"}).status_code == 404


def test_a_board_member_is_refused(approved, board_member):
    assert signed_in(board_member.user).get(DOSSIER.format(approved.pk)).status_code == 403


def test_an_editor_without_the_admin_is_sent_to_sign_in(approved, editor):
    response = signed_in(editor).get(DOSSIER.format(approved.pk))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_is_sent_to_sign_in(approved):
    response = Client().get(DOSSIER.format(approved.pk))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_unknown_article_is_a_404(chief):
    assert signed_in(chief).get(DOSSIER.format(999999)).status_code == 404

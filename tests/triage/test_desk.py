"""The triage queue on the chiefs' desk (/admin/desk/triage/): the forecast, the capacity and the top
of the queue with each score's parts; for editors-in-chief only; a fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import RiskLevel
from articles.provenance import Provenance
from tests.factories import BoardMemberFactory
from tests.triage.conftest import pending

pytestmark = pytest.mark.django_db

PAGE = reverse("admin:editorial_triage_queue")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_forecast_capacity_and_the_ranked_queue(oncology, editor, chief):
    BoardMemberFactory(specialties=[oncology], max_open_reviews=3)
    pending(oncology, editor, slug="human", age_days=4)
    pending(oncology, editor, slug="machine", risk=RiskLevel.HIGH, provenance=Provenance.AI_GENERATED)

    response = signed_in(chief).get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The board completed no review round in the last 4 weeks" in page
    assert "<strong>2</strong> articles waiting to be submitted" in page
    assert "<strong>3</strong> free review seats on the board" in page
    assert "Automatic submission: <strong>off</strong>" in page
    assert [entry.slug for entry in response.context["entries"]] == ["machine", "human"]
    assert 'data-label="Score"><strong>70.0</strong>' in page
    assert 'Drafted by AI <span class="help">+40</span>' in page


def test_the_chiefs_desk_links_to_it(chief):
    assert PAGE in signed_in(chief).get(reverse("admin:editorial_desk")).content.decode()


def test_only_editors_in_chief_open_it(editor, board_member):
    assert signed_in(board_member.user).get(PAGE).status_code == 403
    assert signed_in(editor).get(PAGE).status_code in (302, 403)  # editors have no admin access
    assert Client().get(PAGE).status_code == 302  # to the sign-in page


@pytest.mark.parametrize("count", [1, 50])
def test_the_page_costs_the_same_queries_at_one_and_fifty_articles(
    oncology, editor, chief, count, django_assert_max_num_queries
):
    for number in range(count):
        pending(oncology, editor, slug=f"waiting-{number}", age_days=number % 5)
    client = signed_in(chief)

    with django_assert_max_num_queries(14):
        response = client.get(PAGE)
    assert len(response.context["entries"]) == count

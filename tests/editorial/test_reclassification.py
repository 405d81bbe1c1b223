"""Changing an article's specialty or risk level: refused while a version is in review; afterwards
the published approval must meet the rules of the new classification, or it goes to a re-review."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import ArticleStatus, RiskLevel
from editorial.integrity.audit import verify_approvals
from editorial.models import ReviewRound
from tests.editorial.conftest import approve, in_review, refreshed
from tests.factories import BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

ARTICLE = "/api/v1/articles/{}/"


@pytest.fixture
def cardiology():
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


@pytest.fixture
def api(editor):
    client = APIClient()
    client.force_authenticate(editor)
    return client


def patch(api, article, **changes):
    etag = api.get(ARTICLE.format(article.slug))["ETag"]
    return api.patch(
        ARTICLE.format(article.slug), {"reason": "Reclassified", **changes}, format="json", HTTP_IF_MATCH=etag
    )


class TestWhileAVersionIsInReview:
    def test_raising_the_risk_level_is_refused(self, api, article, specialists):
        """Seen: standard -> high in the middle of a round, then one approval gave "approved
        (1 of 1)"."""
        in_review(article, specialists[0])
        rows = article.history.count()

        response = patch(api, article, risk_level="high")

        assert response.status_code == 409
        body = response.json()
        assert (body["code"], body["status"]) == ("review_in_progress", "under_review")
        assert "Withdraw it from review" in body["detail"]
        assert (refreshed(article).risk_level, article.history.count()) == (RiskLevel.STANDARD, rows)

    def test_moving_it_to_another_specialty_is_refused(self, api, article, specialists, cardiology):
        """Seen: an oncologist approved an article that had been moved to cardiology, with no
        override recorded."""
        (assignment,) = in_review(article, specialists[0])

        assert patch(api, article, specialty="cardiology").status_code == 409

        approve(assignment)
        article = refreshed(article)
        assert (article.status, article.specialty.slug) == (ArticleStatus.APPROVED, "medical-oncology")

    def test_the_title_and_the_review_interval_can_still_change(self, api, article, specialists):
        in_review(article, specialists[0])
        response = patch(api, article, title="A clearer question?", review_interval_days=180)
        assert response.status_code == 200, response.json()


class TestAfterApproval:
    def test_raising_the_risk_level_sends_a_single_approval_back_for_review(self, api, article, specialists):
        (assignment,) = in_review(article, specialists[0])
        approve(assignment)

        response = patch(api, article, risk_level="high")

        assert response.status_code == 200
        article = refreshed(article)
        assert not article.shows_approval(timezone.now())
        assert article.status == ArticleStatus.UNDER_REVIEW  # the re-review opened and was staffed
        re_review = ReviewRound.objects.get(article=article, closed_at=None)
        assert (re_review.version_id, re_review.required_approvals) == (article.published_version_id, 2)
        reasons = list(article.history.values_list("history_change_reason", flat=True))
        assert any("risk level changed from Standard to High" in reason for reason in reasons)
        assert verify_approvals().violations == []

    def test_moving_it_to_another_specialty_sends_it_to_that_specialty_for_review(
        self, api, article, specialists, cardiology
    ):
        (assignment,) = in_review(article, specialists[0])
        approve(assignment)
        cardiologist = BoardMemberFactory(specialties=[cardiology])

        assert patch(api, article, specialty="cardiology").status_code == 200

        re_review = ReviewRound.objects.get(article=article, closed_at=None)
        assert [a.reviewer for a in re_review.assignments.all()] == [cardiologist]
        page = APIClient().get(f"/api/v1/public/articles/{article.slug}/").json()
        assert (page["badge"], page["review"]["state"]) == ("under_review", "past")

    def test_lowering_the_risk_level_keeps_an_approval_that_met_the_higher_one(
        self, api, high_risk_article, specialists
    ):
        for assignment in in_review(high_risk_article, *specialists[:2]):
            approve(assignment)

        assert patch(api, high_risk_article, risk_level="standard").status_code == 200

        article = refreshed(high_risk_article)
        assert (article.status, article.shows_approval(timezone.now())) == (ArticleStatus.APPROVED, True)
        assert verify_approvals().violations == []


def test_the_history_api_shows_which_metadata_changed_from_what_to_what(api, article, cardiology):
    old_title = article.title
    patch(api, article, risk_level="high", specialty="cardiology", title="New title")

    entry = api.get(f"/api/v1/articles/{article.slug}/history/").json()["results"][0]

    assert entry["change"] == "metadata"
    assert entry["changes"] == [
        {"field": "title", "from": old_title, "to": "New title"},
        {"field": "specialty", "from": "medical-oncology", "to": "cardiology"},
        {"field": "risk_level", "from": "standard", "to": "high"},
    ]


def test_the_rounds_api_shows_what_each_decision_was_made_under(api, high_risk_article, specialists):
    (assignment, _) = in_review(high_risk_article, *specialists[:2])
    approve(assignment)

    (round,) = api.get(f"/api/v1/articles/{high_risk_article.slug}/rounds/").json()["results"]
    decided = next(a for a in round["assignments"] if a["id"] == assignment.pk)

    assert (
        decided["decided_risk_level"],
        decided["decided_specialty"],
        decided["decided_as_specialist"],
    ) == (
        "high",
        "medical-oncology",
        True,
    )
    assert (decided["voided_at"], decided["void_reason"]) == (None, "")

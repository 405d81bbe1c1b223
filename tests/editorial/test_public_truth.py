"""The public page never says more than the record supports: the badge only for an approval that
still stands, never text the board went against, past reviews labelled as past, never a reviewer
with a conflict in force, and due dates that follow a shorter review interval."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import ArticleStatus
from articles.services import update_article
from config.audit import audit
from editorial import services
from editorial.integrity.audit import verify_approvals
from editorial.staleness import mark_stale_articles
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, in_review, new_version, refreshed, submit

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/articles/{}/"


@pytest.fixture
def public():
    return APIClient()


def approved(article, member):
    (assignment,) = in_review(article, member)
    approve(assignment)
    return refreshed(article)


def page_of(public, article):
    response = public.get(PAGE.format(article.slug))
    assert response.status_code == 200, response.content
    return response.json()


class TestRetireThenRestore:
    def test_leads_to_a_review_not_to_the_old_badge(self, public, article, specialists, chief):
        """Seen: the article was draft, yet the page showed badge approved, no caution and the
        last approved text, with no new review."""
        approved(article, specialists[0])
        services.retire(actor=chief, article=article, reason="Guideline withdrawn")

        services.restore(actor=chief, article=article, reason="Guideline reinstated")

        article = refreshed(article)
        assert article.status == ArticleStatus.UNDER_REVIEW  # a re-review opened and was staffed
        page = page_of(public, article)
        assert (page["badge"], page["caution"]) == ("under_review", True)
        assert page["review"]["state"] == "past"
        assert page["review"]["summary"].endswith("review overdue.")
        statuses = list(
            article.history.order_by("history_date", "history_id").values_list("status", flat=True)
        )
        assert statuses[-4:] == ["retired", "expired", "submitted", "under_review"]

    def test_an_article_never_approved_comes_back_as_a_draft(self, article, chief):
        services.retire(actor=chief, article=article, reason="Duplicate")
        assert services.restore(actor=chief, article=article, reason="Not a duplicate").status == "draft"

    def test_without_an_eligible_reviewer_the_re_review_waits_submitted(
        self, public, article, specialists, chief
    ):
        approved(article, specialists[0])
        services.retire(actor=chief, article=article, reason="Guideline withdrawn")
        for member in specialists:
            member.is_active = False
            member.save()

        services.restore(actor=chief, article=article, reason="Reinstated")

        assert refreshed(article).status == ArticleStatus.SUBMITTED
        assert page_of(public, article)["badge"] == "submitted"

    def test_with_a_newer_draft_the_editors_submit_it(self, article, specialists, chief):
        approved(article, specialists[0])
        new_version(article, body="Updated for the 2026 guideline.")
        services.retire(actor=chief, article=article, reason="Paused")
        services.restore(actor=chief, article=article, reason="Resumed")
        article = refreshed(article)
        assert article.status == ArticleStatus.EXPIRED
        submit(article)  # the newer version: allowed for an expired article
        assert refreshed(article).status == ArticleStatus.SUBMITTED


class TestTextTheBoardWentAgainst:
    def test_is_not_shown_as_pending_review(self, public, article, specialists, settings):
        """Seen: with PUBLIC_SHOW_UNREVIEWED=1, text the board rejected ("unsafe dosing advice")
        was shown publicly as "pending human review"."""
        settings.PUBLIC_SHOW_UNREVIEWED = True
        new_version(article, body="Unsafe dosing advice.")
        (assignment,) = in_review(article, specialists[0])
        services.decide(
            actor=assignment.reviewer.user, assignment=assignment, decision="reject", comment="Unsafe"
        )

        assert public.get(PAGE.format(article.slug)).status_code == 404
        assert public.get("/api/v1/public/articles/").json()["results"] == []

        new_version(article, body="Safe dosing advice.")
        page = page_of(public, article)
        assert (page["body"], page["badge"], page["review"]["state"]) == (
            "Safe dosing advice.",
            "draft",
            "none",
        )

    def test_changes_requested_text_is_not_shown_either(self, public, article, specialists, settings):
        settings.PUBLIC_SHOW_UNREVIEWED = True
        (assignment,) = in_review(article, specialists[0])
        services.decide(
            actor=assignment.reviewer.user, assignment=assignment, decision="request_changes", comment="Cite"
        )
        assert public.get(PAGE.format(article.slug)).status_code == 404

    def test_a_re_review_that_finds_fault_takes_the_published_text_off_the_site(
        self, public, article, specialists
    ):
        for member in specialists:
            member.credentials_verified_until = timezone.localdate() + datetime.timedelta(days=900)
            member.save()
        article = approved(article, specialists[0])
        with time_machine.travel(article.review_due_at + datetime.timedelta(days=1)):
            mark_stale_articles()  # expires the approval and opens the re-review of that text
            (assignment,) = refreshed(article).review_rounds.get(closed_at=None).assignments.all()
            services.decide(
                actor=assignment.reviewer.user,
                assignment=assignment,
                decision="request_changes",
                comment="The dose table is out of date.",
            )
            assert public.get(PAGE.format(article.slug)).status_code == 404
        assert refreshed(article).published_version is None


class TestALapsedApproval:
    def test_is_labelled_as_a_past_review(self, public, article, specialists):
        article = approved(article, specialists[0])
        with time_machine.travel(article.review_due_at + datetime.timedelta(days=1)):
            page = page_of(public, article)
        assert page["badge"] == "expired"
        on = timezone.localtime(article.last_reviewed_at)
        assert page["review"] == {
            "state": "past",
            "reviewed_at": article.last_reviewed_at.isoformat().replace("+00:00", "Z"),
            "summary": f"Last reviewed on {on.day} {on:%B %Y}; review overdue.",
        }

    def test_never_lists_a_reviewer_who_now_has_a_conflict_about_the_article(
        self, public, article, specialists, chief
    ):
        """Seen: expired and re-review pages kept presenting the old reviewers, including members
        who now had a conflict."""
        article = approved(article, specialists[0])
        starts = timezone.localdate(article.review_due_at) + datetime.timedelta(days=2)
        with audit(actor=chief, reason="Declared in advance"):
            ConflictOfInterest.objects.create(
                member=specialists[0], article=article, reason="Joins the sponsor", declared_on=starts
            )
        assert [r["name"] for r in page_of(public, article)["reviewers"]] == [specialists[0].display_name]

        # The conflict comes into force after the review date: no daily check has run yet.
        with time_machine.travel(timezone.make_aware(datetime.datetime.combine(starts, datetime.time(9)))):
            page = page_of(public, article)
        assert (page["badge"], page["review"]["state"], page["reviewers"]) == ("expired", "past", [])

    def test_the_current_page_drops_a_reviewer_whose_approval_was_voided(
        self, public, article, specialists, chief
    ):
        article = approved(article, specialists[0])
        with audit(actor=chief, reason="Declared"):
            ConflictOfInterest.objects.create(member=specialists[0], article=article, reason="Shares")
        page = page_of(public, article)
        assert page["reviewers"] == []
        assert page["badge"] != "approved"
        assert verify_approvals().violations == []


class TestAShorterReviewInterval:
    def test_on_the_specialty_brings_existing_due_dates_forward(self, article, specialists, oncology, chief):
        """Seen: a shorter interval on a specialty left every approval on its old due date."""
        article = approved(article, specialists[0])
        assert article.review_due_at == article.last_reviewed_at + datetime.timedelta(days=365)

        oncology.review_interval_days = 90
        with audit(actor=chief, reason="New guidance every quarter"):
            oncology.save()

        article = refreshed(article)
        assert article.review_due_at == article.last_reviewed_at + datetime.timedelta(days=90)
        row = article.history.order_by("-history_date", "-history_id").first()
        assert (row.history_user, row.history_change_reason) == (chief, "New guidance every quarter")

    def test_an_article_with_its_own_interval_keeps_it(self, article, specialists, oncology, editor):
        article = approved(article, specialists[0])
        update_article(actor=editor, article=article, reason="Stable topic", review_interval_days=700)
        oncology.review_interval_days = 90
        oncology.save()
        article = refreshed(article)
        assert article.review_due_at == article.last_reviewed_at + datetime.timedelta(days=700)

    def test_on_the_article_applies_while_a_newer_version_is_in_review(
        self, public, article, specialists, editor
    ):
        article = approved(article, specialists[0])
        new_version(article)
        submit(article)

        update_article(actor=editor, article=article, reason="Fast-moving field", review_interval_days=30)

        article = refreshed(article)
        assert article.review_due_at == article.last_reviewed_at + datetime.timedelta(days=30)
        with time_machine.travel(article.review_due_at + datetime.timedelta(hours=1)):
            assert page_of(public, article)["badge"] == "submitted"

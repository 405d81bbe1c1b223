"""A board member reviews, and the editor-in-chief works the desk, in a real browser. The
screenshots in docs/screenshots/ come from these tests (UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import datetime

import time_machine
from django.core.management import call_command

from articles.models import Article, ArticleStatus
from editorial.models import ReviewAssignment
from tests.browser.conftest import PASSWORD, PHESGO, START, browser_test, sign_in

pytestmark = browser_test


def test_a_board_member_approves_the_phesgo_revision_in_the_browser(page, live_server, settings, screenshots):
    settings.DEMO_PASSWORD = PASSWORD
    with time_machine.travel(START, tick=True):
        call_command("seed_demo", verbosity=0)
        base = live_server.url

        sign_in(page, base, "dr_oncology1")
        summary = page.inner_text("#review-summary")
        assert "2 pending" in summary and "1 overdue" in summary

        page.click("#review-summary a")
        page.wait_for_selector("#result_list")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 2
        assert "overdue" in page.inner_text("#result_list")
        page.screenshot(path=str(screenshots / "review-queue.png"), full_page=True)

        page.click("text=How many cycles of Phesgo")
        page.wait_for_selector("#review-diff")
        # The added cardiac advice, marked as an insertion in the rendered text.
        assert page.locator(
            "#review-diff .review-diff-inline ins", has_text="HER2-targeted drugs can weaken the heart."
        ).is_visible()
        assert "at least six cycles" in page.inner_text("#review-text")
        assert page.locator("#review-text script").count() == 0
        page.screenshot(path=str(screenshots / "review-page.png"), full_page=True)

        page.check("input[name=decision][value=approve]")
        page.fill("#id_comment", "Checked against the ESMO guideline; the cardiac advice is right.")
        page.click("input[name=_decide]")
        page.wait_for_selector(".messagelist")
        assert "Your decision is recorded: approve." in page.inner_text(".messagelist")
        assert "How many cycles of Phesgo" not in page.inner_text("#content")  # no longer to do

        article = Article.objects.get(slug=PHESGO)
        assert (article.status, article.published_version.number) == (ArticleStatus.APPROVED, 2)

        page.click("#logout-form button")
        page.wait_for_selector("text=Log in again")
        sign_in(page, base, "chief")
        page.goto(f"{base}/admin/articles/article/{article.pk}/change/")
        assert "Approved" in page.inner_text(".field-status")
        page.goto(f"{base}/admin/articles/article/{article.pk}/history/")
        history = page.inner_text("#change-history")
        assert "Approved by Dr Olivia Okafor, Dr Oskar Lindqvist (2 of 2 approvals)" in history
        assert "dr_oncology1" in history


def test_the_chief_gives_an_overdue_review_more_time_on_the_desk(page, live_server, settings, screenshots):
    settings.DEMO_PASSWORD = PASSWORD
    with time_machine.travel(START, tick=True):
        call_command("seed_demo", verbosity=0)
        base = live_server.url

        sign_in(page, base, "chief")
        page.click("#chiefs-desk-link a")
        page.wait_for_selector("#overdue-list")
        assert "Dr Olivia Okafor: 1 overdue" in page.inner_text("#overdue-list")
        assert "Which antiemetics prevent nausea" in page.inner_text("#stuck-round-list")
        assert "Dr Olivia Okafor" in page.inner_text("#reviewer-load-list")
        page.screenshot(path=str(screenshots / "chiefs-desk.png"), full_page=True)

        page.click("#overdue-list >> text=Extend or reassign")
        page.wait_for_selector("#extend-form")
        # Members of other specialties appear only once the override is ticked.
        assert not page.is_visible("#other-members")
        page.check("#id_reassign-override")
        assert "Dr Carmen Díaz" in page.inner_text("#other-members")
        page.uncheck("#id_reassign-override")

        page.fill("#id_extend-due_date", "2026-12-09")
        page.fill("#id_extend-reason", "Away at the ESMO congress; back next week.")
        page.click("input[name=_extend]")
        page.wait_for_selector(".messagelist")
        assert "now due 9 Dec 2026 23:59 UTC" in page.inner_text(".messagelist")
        assert "9 Dec 2026 23:59 UTC" in page.inner_text("#desk-review-due")

        review = ReviewAssignment.objects.get(round__article__slug="immunotherapy-colitis-management")
        assert review.due_at == datetime.datetime(2026, 12, 9, 23, 59, tzinfo=datetime.UTC)
        row = review.history.order_by("-history_date", "-history_id").first()
        assert (row.history_user.username, row.history_change_reason) == (
            "chief",
            "Away at the ESMO congress; back next week.",
        )
        page.click(".breadcrumbs >> text=Editors-in-chief's desk")
        page.wait_for_selector("#desk-summary")
        assert "No review is overdue." in page.inner_text("#content")

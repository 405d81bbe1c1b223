"""A board member reviews, and the editor-in-chief works the desk, in a real browser: Playwright
driving Debian's Chromium against a live server with the demo data. The screenshots in
docs/screenshots/ come from these tests."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django_otp.oath import TOTP

from articles.models import Article, ArticleStatus
from editorial.demo import DEMO_TOTP_KEY_HEX
from editorial.models import ReviewAssignment

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
# The screenshots in the README; rewritten only when asked, so that a test run leaves the tree clean.
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PHESGO = "phesgo-docetaxel-cycles-her2-metastatic-breast-cancer"
PASSWORD = "browser-test-password"  # noqa: S105 - a throw-away demo password
# A fixed start, so that the dates in the screenshots do not change from run to run.
START = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=datetime.UTC)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("REQUIRE_SERVICES") != "1",
        reason="needs Chromium (apt-get install chromium; `make test` installs it where it can)",
    ),
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
        # While Playwright's event loop runs, Django keeps this thread's database connection in
        # a separate (per-context) slot; close it here, or it outlives the test database.
        connections.close_all()


def demo_code() -> str:
    """What an authenticator app holding the demo's secret shows now."""
    return f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX)).token():06d}"


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    # Board members and the chief give the second factor next.
    page.wait_for_selector("#second-factor-form")
    page.fill("#id_code", demo_code())
    page.click("#second-factor-form input[type=submit]")
    page.wait_for_selector("#user-tools")


def test_a_board_member_approves_the_phesgo_revision_in_the_browser(page, live_server, settings, tmp_path):
    settings.DEMO_PASSWORD = PASSWORD
    screenshots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    screenshots.mkdir(parents=True, exist_ok=True)
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
        diff = page.inner_text("#review-diff")
        assert "+- HER2-targeted drugs can weaken the heart." in diff
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


def test_the_chief_gives_an_overdue_review_more_time_on_the_desk(page, live_server, settings, tmp_path):
    settings.DEMO_PASSWORD = PASSWORD
    screenshots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    screenshots.mkdir(parents=True, exist_ok=True)
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

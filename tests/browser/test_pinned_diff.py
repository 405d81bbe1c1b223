"""The review page's diff stays what was in front of the reviewer: after the round closes and a
later version is published, the member's old review and the chief's view still show the original
changes, marked word by word; on a wide screen the changes can be read side by side."""

from __future__ import annotations

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.models import Article
from editorial import services
from editorial.demo import PHESGO_BODY, PHESGO_REFERENCES, PHESGO_TITLE
from editorial.models import Decision, ReviewAssignment
from tests.browser.conftest import PASSWORD, PHESGO, START, browser_test, sign_in

pytestmark = browser_test

CARDIAC = "HER2-targeted drugs can weaken the heart."
LATER_ADVICE = "Premedicate with an antihistamine before the first injection."


def publish_a_later_version() -> None:
    """Version 3 written, submitted and approved by both oncologists, through the services."""
    users = get_user_model().objects
    editor = users.get(username="editor")
    article = Article.objects.get(slug=PHESGO)
    services.add_version(
        actor=editor,
        article=article,
        title=PHESGO_TITLE,
        body=PHESGO_BODY.replace("## Variations", f"- {LATER_ADVICE}\n\n## Variations"),
        references=PHESGO_REFERENCES,
        reason="Premedication advice",
    )
    services.submit(actor=editor, article=article, reason="Ready for review")
    for assignment in services.auto_assign(actor=editor, article=article, reason="Both oncologists"):
        services.decide(
            actor=assignment.reviewer.user, assignment=assignment, decision=Decision.APPROVE, comment=""
        )
    article.refresh_from_db()
    assert article.published_version.number == 3


def assert_the_original_diff(page) -> None:
    page.wait_for_selector("#review-diff")
    assert "What changed from version 1" in page.inner_text("#review-diff-note")
    inserted = page.locator("#review-diff .review-diff-inline ins", has_text=CARDIAC)
    assert inserted.count() == 1 and inserted.is_visible()
    assert page.locator("#review-diff del", has_text="HER2-targeted").count() == 0
    assert LATER_ADVICE not in page.inner_text("#review-diff")  # version 3's, never shown here
    assert "@@" not in page.inner_text("#content")


def test_the_diff_stays_true_after_the_round_closes_and_a_later_version_is_published(
    page, live_server, settings, screenshots
):
    settings.DEMO_PASSWORD = PASSWORD
    with time_machine.travel(START, tick=True):
        call_command("seed_demo", verbosity=0)
        base = live_server.url
        review = ReviewAssignment.objects.get(
            round__article__slug=PHESGO, round__closed_at=None, reviewer__user__username="dr_oncology1"
        )
        review_url = f"{base}/admin/editorial/reviewassignment/{review.pk}/change/"

        sign_in(page, base, "dr_oncology1")
        page.goto(review_url)
        assert_the_original_diff(page)
        page.check("input[name=decision][value=approve]")
        page.fill("#id_comment", "The cardiac monitoring advice is right.")
        page.click("input[name=_decide]")
        page.wait_for_selector(".messagelist")
        assert "Your decision is recorded: approve." in page.inner_text(".messagelist")

        publish_a_later_version()

        # The member's own review, closed, after version 3 was published.
        page.goto(review_url)
        assert "Completed: Approve" in page.inner_text("#assignment-state")
        assert_the_original_diff(page)

        # Side by side on a wide screen, switched in place by the page's script.
        page.evaluate("window.samePage = true")
        page.click("#review-diff-views >> text=side by side")
        page.wait_for_selector(".review-diff-sides", state="visible")
        assert page.evaluate("window.samePage") is True  # no reload
        assert "diff=side-by-side" in page.url
        assert not page.is_visible(".review-diff-inline")
        left = page.locator(".review-diff-base").bounding_box()
        right = page.locator(".review-diff-version").bounding_box()
        assert right["x"] >= left["x"] + left["width"] and abs(right["y"] - left["y"]) < 2
        assert page.locator(".review-diff-version ins", has_text=CARDIAC).is_visible()
        assert page.locator(".review-diff-base", has_text=CARDIAC).count() == 0
        page.screenshot(path=str(screenshots / "review-diff-side-by-side.png"), full_page=True)
        page.click("#review-diff-views >> text=in the text")
        page.wait_for_selector(".review-diff-inline", state="visible")
        assert not page.is_visible(".review-diff-sides")

        # Without JavaScript the same link reloads the page with the side-by-side view.
        cookies = page.context.cookies()
        without_script = page.context.browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=False
        )
        without_script.add_cookies(cookies)
        plain = without_script.new_page()
        plain.goto(review_url)
        plain.click("#review-diff-views >> text=side by side")
        plain.wait_for_selector(".review-diff-sides", state="visible")
        assert "diff=side-by-side" in plain.url
        assert plain.locator(".review-diff-version ins", has_text=CARDIAC).is_visible()
        without_script.close()

        # The chief sees the same round the same way.
        page.click("#logout-form button")
        page.wait_for_selector("text=Log in again")
        sign_in(page, base, "chief")
        page.goto(review_url)
        assert_the_original_diff(page)

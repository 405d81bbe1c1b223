"""Every desk page on a phone held upright (390 CSS pixels), in a real browser: nothing scrolls
sideways (``document.documentElement.scrollWidth <= 390``) for a board member or the chief, on
the sign-in pages, the queue, an open and a closed review, history pages, refusal pages and the
chiefs' desk (with the triage queue and an article's dossier); and a refused decision shows its
banner at the top of the screen with the focus on the field to fix. The review page is visited as
a whole, so that whatever it gains (the diff, the comments) is held to the same width. The phone
screenshots in docs/screenshots/ come from here (UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import time_machine
from django.core.management import call_command

from articles.models import Article, ArticleVersion
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.staffing import overrides
from tests.browser.conftest import PASSWORD, PHESGO, START, browser_test, demo_code, open_phone_page

pytestmark = browser_test

PHONE_WIDTH = 390


def assert_fits(phone, url: str, *, status: int = 200) -> None:
    response = phone.goto(url)
    assert response.status == status, url
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{url} is {width} px wide"


def focused_id(phone) -> str:
    """The id of the element with the focus, once the page has settled (autofocus runs on load).
    Polled with evaluate: wait_for_function evaluates a string, which the CSP forbids."""
    for _ in range(20):
        found = phone.evaluate("() => document.activeElement ? document.activeElement.id : ''")
        if found:
            return found
        phone.wait_for_timeout(100)
    return ""


def sign_in_on_phone(phone, base: str, username: str) -> None:
    """Sign in as conftest.sign_in does, checking that the two sign-in pages fit the phone."""
    assert_fits(phone, f"{base}/admin/login/?next=/admin/")
    phone.fill("#id_username", username)
    phone.fill("#id_password", PASSWORD)
    phone.click("input[type=submit]")
    phone.wait_for_selector("#second-factor-form")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    phone.fill("#id_code", demo_code())
    phone.click("#second-factor-form input[type=submit]")
    phone.wait_for_selector("#user-tools")


def sign_out(phone) -> None:
    phone.click("#logout-form button")
    phone.wait_for_selector("text=Log in again")


def review_of(username: str, *, open_: bool) -> ReviewAssignment:
    reviews = ReviewAssignment.objects.filter(reviewer__user__username=username)
    if open_:
        return reviews.filter(state__in=[AssignmentState.PENDING, AssignmentState.ACCEPTED]).get(
            round__article__slug=PHESGO
        )
    return reviews.filter(state=AssignmentState.COMPLETED).order_by("pk").first()


def test_every_desk_page_fits_a_phone_for_a_board_member_and_the_chief(
    page, live_server, settings, screenshots
):
    settings.DEMO_PASSWORD = PASSWORD
    with time_machine.travel(START, tick=True):
        call_command("seed_demo", verbosity=0)
        base = live_server.url
        phone = open_phone_page(page)

        # --- A board member ----------------------------------------------------------------------
        sign_in_on_phone(phone, base, "dr_oncology1")
        open_review = review_of("dr_oncology1", open_=True)
        closed_review = review_of("dr_oncology1", open_=False)
        someone_elses = review_of("dr_oncology2", open_=False)
        reviews = f"{base}/admin/editorial/reviewassignment"

        assert_fits(phone, f"{base}/admin/")
        assert_fits(phone, f"{reviews}/")
        # The queue is one card per review: every value, the overdue date included, on screen.
        overdue = phone.locator("#result_list .review-overdue").first
        box = overdue.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE_WIDTH
        phone.screenshot(path=str(screenshots / "review-queue-phone.png"))
        assert_fits(phone, f"{reviews}/?show=closed")

        assert_fits(phone, f"{reviews}/{open_review.pk}/change/")
        # The 64-character hash is shortened on screen; the whole of it is a click away and copied.
        version = open_review.round.version
        assert phone.inner_text("#content-hash code").startswith(version.content_hash[:12])
        phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        phone.click("#content-hash button")
        phone.wait_for_selector("#content-hash button >> text=Copied")
        assert phone.evaluate("navigator.clipboard.readText()") == version.content_hash
        phone.click("#content-hash summary")
        assert phone.inner_text("#content-hash .content-hash-full") == version.content_hash
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        phone.screenshot(path=str(screenshots / "review-page-phone.png"))

        # A model's draft says so at the top of its review page, which still fits a phone.
        drafted = ReviewAssignment.objects.get(
            reviewer__user__username="dr_oncology1", round__article__slug="immunotherapy-colitis-management"
        )
        assert_fits(phone, f"{reviews}/{drafted.pk}/change/")
        assert phone.inner_text("#review-provenance").startswith("Drafted by AI")
        box = phone.locator("#review-provenance").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE_WIDTH

        # Side by side is for wide screens: asked for on a phone, the page still fits.
        assert_fits(phone, f"{reviews}/{open_review.pk}/change/?diff=side-by-side")
        assert_fits(phone, f"{reviews}/{closed_review.pk}/change/")
        assert_fits(phone, f"{reviews}/{open_review.pk}/history/")
        assert_fits(phone, f"{reviews}/{closed_review.pk}/history/")
        record = closed_review.history.order_by("-history_id").first()
        assert_fits(phone, f"{reviews}/{closed_review.pk}/history/{record.pk}/")

        # Refusals: a page for chiefs, and another member's review, in the admin's layout.
        assert_fits(phone, f"{base}/admin/auth/user/", status=403)
        assert "This page is for editors-in-chief." in phone.inner_text("#refusal-lead")
        assert_fits(phone, f"{base}/admin/desk/", status=403)
        assert_fits(phone, f"{reviews}/{someone_elses.pk}/change/", status=404)
        assert "assigned to someone else" in phone.inner_text("#refusal-lead")
        phone.screenshot(path=str(screenshots / "refusal-phone.png"))
        phone.click("#refusal-next >> text=your review queue")
        phone.wait_for_selector("#result_list")

        # The error banner: request changes without a comment.
        phone.goto(f"{reviews}/{open_review.pk}/change/")
        phone.check("input[name=decision][value=request_changes]")
        phone.click("input[name=_decide]")
        phone.wait_for_selector("#form-error-banner")
        assert focused_id(phone) == "id_comment"
        banner = phone.locator("#form-error-banner").bounding_box()
        comment = phone.locator("#id_comment").bounding_box()
        height = phone.viewport_size["height"]
        assert banner is not None and 0 <= banner["y"] < 50, banner  # at the top of the screen
        assert banner["y"] + banner["height"] <= comment["y"] < height  # and the field below it, on screen
        assert "Comment" in phone.inner_text("#form-error-banner")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        phone.screenshot(path=str(screenshots / "review-error-phone.png"))
        assert ReviewAssignment.objects.get(pk=open_review.pk).state == AssignmentState.PENDING
        sign_out(phone)

        # --- The chief ------------------------------------------------------------------------------
        stuck = ReviewRound.objects.filter(closed_at__isnull=True, assignments__isnull=True).first()
        request = overrides.request_override(
            actor=stuck.article.created_by, round=stuck, reason="Both oncologists are at their limit."
        )
        sign_in_on_phone(phone, base, "chief")
        article = Article.objects.get(slug=PHESGO)
        version = ArticleVersion.objects.filter(article=article).order_by("-number").first()
        assert_fits(phone, f"{base}/admin/")
        assert_fits(phone, f"{base}/admin/desk/")
        phone.screenshot(path=str(screenshots / "chiefs-desk-phone.png"))
        assert_fits(phone, f"{base}/admin/desk/triage/")
        assert "backlog" in phone.inner_text("#content")
        assert_fits(phone, f"{base}/admin/desk/reviews/{review_of('dr_oncology1', open_=True).pk}/")
        overdue_review = ReviewAssignment.objects.get(round__article__slug="immunotherapy-colitis-management")
        assert_fits(phone, f"{base}/admin/desk/reviews/{overdue_review.pk}/")
        # A refused reassignment (an override without its reason): the desk's message stays at
        # the top, and the cursor is in the field to fix.
        phone.check("#id_reassign-override")
        phone.check("#other-members input[type=radio]")
        phone.fill("#id_reassign-reason", "Away at the ESMO congress.")
        phone.click("input[name=_reassign]")
        phone.wait_for_selector(".messagelist .error")
        assert focused_id(phone) == "id_reassign-override_reason"
        message = phone.locator(".messagelist").bounding_box()
        assert message is not None and 0 <= message["y"] < 50, message
        assert "Say why a member of another specialty may review it." in phone.inner_text(".messagelist")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        assert_fits(phone, f"{base}/admin/desk/rounds/{stuck.pk}/")
        assert_fits(phone, f"{base}/admin/desk/override-requests/{request.pk}/")
        assert_fits(phone, f"{reviews}/")
        assert_fits(phone, f"{reviews}/{open_review.pk}/change/")
        assert_fits(phone, f"{reviews}/{closed_review.pk}/change/")
        assert_fits(phone, f"{base}/admin/editorial/reviewround/")
        assert_fits(phone, f"{base}/admin/articles/article/")
        assert_fits(phone, f"{base}/admin/articles/article/{article.pk}/change/")
        assert_fits(phone, f"{base}/admin/articles/article/{article.pk}/dossier/")
        assert_fits(phone, f"{base}/admin/articles/article/{article.pk}/history/")
        assert "Status: Submitted → Under review" in phone.inner_text("#change-history")
        phone.screenshot(path=str(screenshots / "article-history-phone.png"))
        assert_fits(phone, f"{base}/admin/articles/articleversion/")
        assert_fits(phone, f"{base}/admin/articles/articleversion/{version.pk}/change/")
        assert_fits(phone, f"{base}/admin/auth/user/", status=403)
        assert "the editors-in-chief's desk" in phone.inner_text("#refusal-next")

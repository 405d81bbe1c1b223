"""A board member comments on passages of the Phesgo revision in a real browser (mouse and
keyboard), cites a comment when requesting changes; the editor answers through the API and
writes version 3; the comments follow the text to version 3's review page."""

from __future__ import annotations

import time_machine
from django.core.management import call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from articles.models import Article
from editorial.comments.models import ReviewComment
from editorial.comments.text import plain_text
from editorial.demo import PHESGO_BODY, PHESGO_REFERENCES, PHESGO_TITLE
from editorial.models import ReviewAssignment
from reviewers.models import BoardMember
from tests.browser.conftest import PASSWORD, PHESGO, START, browser_test, open_phone_page, sign_in

pytestmark = browser_test

EDITED = "HER2-targeted drugs can weaken the heart."
KEYBOARD = "Neutropenia was the most common severe"
NON_ASCII = "≥ 48 mmol/mol"
# Version 3: the first passage slightly edited, the second deleted, and a line of non-ASCII
# clinical text (an emoji outside the Basic Multilingual Plane before it, which JavaScript counts
# as two units and the server as one code point).
V3_BODY = (
    PHESGO_BODY.replace(EDITED, "HER2-targeted drugs may weaken the heart muscle.")
    .replace(
        "- Neutropenia was the most common severe (grade 3-4) side effect in CLEOPATRA: 49% of patients\n"
        "  with pertuzumab and 46% with placebo [4].\n",
        "",
    )
    .replace(
        "## Variations\n",
        "## Variations\n\n- 🫀 With diabetes, start a β-blocker only once HbA1c is below the "
        "threshold (HbA1c ≥ 48 mmol/mol is diabetes).\n",
    )
)

# The page coordinates of the first and last characters of a passage in #review-body.
PASSAGE_EDGES = """(passage) => {
    const body = document.getElementById("review-body");
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(passage);
        if (at === -1) continue;
        node.parentElement.scrollIntoView({block: "center"});
        const rect = (from, to) => {
            const range = document.createRange();
            range.setStart(node, from);
            range.setEnd(node, to);
            return range.getBoundingClientRect();
        };
        const first = rect(at, at + 1), last = rect(at + passage.length - 1, at + passage.length);
        return {x0: first.left + 1, y0: first.top + first.height / 2,
                x1: last.right - 1, y1: last.top + last.height / 2};
    }
    return null;
}"""

# Selects a passage as a script would (for text the mouse cannot pick out reliably).
SELECT_PASSAGE = """(passage) => {
    const body = document.getElementById("review-body");
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(passage);
        if (at === -1) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + passage.length);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return true;
    }
    return false;
}"""


def shoot(page, path, top, bottom):
    """A screenshot of the page from the top of one element to the bottom of another."""
    first = page.evaluate(f"document.querySelector({top!r}).getBoundingClientRect().top + window.scrollY")
    last = page.evaluate(
        f"document.querySelector({bottom!r}).getBoundingClientRect().bottom + window.scrollY"
    )
    width = page.evaluate("document.documentElement.clientWidth")
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": first - 8, "width": width, "height": last - first + 16},
    )


def review_page(base, username, number):
    assignment = ReviewAssignment.objects.get(
        round__article__slug=PHESGO, round__version__number=number, reviewer__user__username=username
    )
    return f"{base}/admin/editorial/reviewassignment/{assignment.pk}/change/", assignment


def save_comment(page, text):
    page.wait_for_selector("#comment-form:not([hidden])")
    page.fill("#comment-body", text)
    page.click("#comment-form input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "Your comment is saved" in page.inner_text(".messagelist")


def test_comments_are_anchored_answered_cited_and_carried_to_the_next_version(
    page, live_server, settings, screenshots
):
    settings.DEMO_PASSWORD = PASSWORD
    with time_machine.travel(START, tick=True):
        call_command("seed_demo", verbosity=0)
        base = live_server.url
        article = Article.objects.get(slug=PHESGO)
        url, assignment = review_page(base, "dr_oncology1", 2)

        sign_in(page, base, "dr_oncology1")
        page.goto(url)
        # The script counts in the text the server defines.
        assert page.evaluate("document.getElementById('review-body').textContent") == plain_text(
            assignment.round.version
        )
        assert page.inner_text("#no-comments") == "No comments on this version yet."

        # With the mouse: drag from the passage's first character to its last.
        edges = page.evaluate(PASSAGE_EDGES, EDITED)
        page.mouse.move(edges["x0"], edges["y0"])
        page.mouse.down()
        page.mouse.move(edges["x1"], edges["y1"], steps=8)
        page.mouse.up()
        page.click("#comment-on-selection")
        assert page.inner_text("#comment-form-quote") == EDITED
        save_comment(page, "Say how often: an echocardiogram every three months during treatment.")

        # With the keyboard: the text focused (as Tab focuses it) has a caret at its start and
        # Shift+Down selects a line; then a click puts the caret before the passage, Shift+Right
        # selects it, Tab goes on to the button and Enter opens the form.
        page.wait_for_selector("#review-body[tabindex='0']")  # the page's script has run
        page.evaluate("document.getElementById('review-body').focus()")
        page.keyboard.press("Shift+ArrowDown")
        assert page.evaluate("window.getSelection().toString()").startswith("Short answer")
        edges = page.evaluate(PASSAGE_EDGES, KEYBOARD)
        page.mouse.click(edges["x0"] - 1, edges["y0"])
        page.wait_for_function(
            "(passage) => { const s = window.getSelection(); return s.isCollapsed && s.anchorNode.data"
            " && s.anchorNode.data.startsWith(passage, s.anchorOffset); }",
            arg=KEYBOARD,
        )
        for typed in range(1, len(KEYBOARD) + 1):
            page.keyboard.press("Shift+ArrowRight")
            # A person's key presses come one after the other, each seen through before the next.
            page.wait_for_function("(n) => window.getSelection().toString().length === n", arg=typed)
        assert page.evaluate("window.getSelection().toString()") == KEYBOARD
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "comment-on-selection"
        page.keyboard.press("Enter")
        assert page.inner_text("#comment-form-quote") == KEYBOARD
        save_comment(page, "Give the febrile neutropenia advice with it.")

        heart, neutropenia = ReviewComment.objects.order_by("pk")
        text = plain_text(assignment.round.version)
        assert (heart.exact, heart.start) == (EDITED, text.index(EDITED))
        assert (neutropenia.exact, neutropenia.start) == (KEYBOARD, text.index(KEYBOARD))
        page.wait_for_selector(f"#mark-{neutropenia.pk}")
        assert page.locator("#review-body mark.comment-mark").count() >= 2
        assert page.inner_text(f"#mark-{heart.pk}") == EDITED
        assert "Open" in page.inner_text(f"#comment-{heart.pk}")
        shoot(page, screenshots / "review-comments.png", "#review-body h2:nth-of-type(5)", "#review-comments")

        # Request changes citing the first comment, with nothing typed in the comment box.
        page.check("input[name=decision][value=request_changes]")
        page.check(f"input[name=cited_comments][value='{heart.pk}']")
        page.click("input[name=_decide]")
        page.wait_for_selector(".messagelist")
        assert "Your decision is recorded: request changes." in page.inner_text(".messagelist")
        assignment.refresh_from_db()
        assert list(assignment.cited_comments.all()) == [heart]

        # The editor answers through the API with a token, and resolves.
        editor = article.created_by
        _, token = AuthToken.objects.create(user=editor)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        listed = api.get(f"/api/v1/articles/{PHESGO}/versions/2/comments/").json()["results"]
        assert [item["target"]["selector"][0]["exact"] for item in listed] == [KEYBOARD, EDITED]  # text order
        reply = api.post(
            f"/api/v1/comments/{heart.pk}/replies/",
            {"body": "Added: echo every three months."},
            format="json",
        )
        assert reply.status_code == 201
        resolved = api.post(
            f"/api/v1/comments/{heart.pk}/resolve/", {"reason": "Monitoring interval added."}, format="json"
        )
        assert (
            resolved.status_code == 200
            and resolved.json()["resolved"]["reason"] == "Monitoring interval added."
        )

        # Version 3: the first passage slightly edited, the second deleted; submitted for review.
        created = api.post(
            f"/api/v1/articles/{PHESGO}/versions/",
            {
                "title": PHESGO_TITLE,
                "body": V3_BODY,
                "references": list(PHESGO_REFERENCES),
                "change_summary": "Cardiac monitoring interval; neutropenia line moved to the leaflet.",
                "provenance": "human",
                "reason": "Answering the board's comments",
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        assert (
            api.post(f"/api/v1/articles/{PHESGO}/submit/", {"reason": "Version 3"}, format="json").status_code
            == 200
        )
        member = BoardMember.objects.get(user__username="dr_oncology1")
        assigned = api.post(
            f"/api/v1/articles/{PHESGO}/assignments/",
            {"reviewer": member.pk, "reason": "Same reviewer"},
            format="json",
        )
        assert assigned.status_code == 201, assigned.json()

        url3, assignment3 = review_page(base, "dr_oncology1", 3)
        page.goto(url3)
        page.wait_for_selector(f"#mark-{heart.pk}")
        heart_here = page.inner_text(f"#comment-{heart.pk}")
        assert "HER2-targeted drugs may weaken the heart muscle." in heart_here
        assert f"where it read: “{EDITED}”" in heart_here
        assert "Resolved by" in heart_here and "Added: echo every three months." in heart_here
        assert page.inner_text(f"#mark-{heart.pk}") == "HER2-targeted drugs may weaken the heart muscle."
        removed = page.inner_text(f"#comment-{neutropenia.pk}")
        assert "Passage removed" in removed and KEYBOARD in removed
        assert page.locator(f"mark[data-comment-id='{neutropenia.pk}']").count() == 0
        shoot(
            page,
            screenshots / "review-comments-carried.png",
            "#review-body h2:nth-of-type(5)",
            "#review-comments",
        )

        # Non-ASCII clinical text after an emoji: the script's positions are the server's.
        assert page.evaluate(SELECT_PASSAGE, NON_ASCII)
        page.click("#comment-on-selection")
        save_comment(page, "Use the NICE wording for the threshold.")
        latest = ReviewComment.objects.latest("pk")
        text3 = plain_text(assignment3.round.version)
        assert (latest.exact, latest.start, latest.end) == (
            NON_ASCII,
            text3.index(NON_ASCII),
            text3.index(NON_ASCII) + len(NON_ASCII),
        )
        assert latest.version.number == 3

        # On a phone the comments and the form fit the width.
        # The same session (a second sign-in would need a second one-time code in this window).
        phone = open_phone_page(page)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(url3)
        assert phone.evaluate(SELECT_PASSAGE, "β-blocker")
        phone.click("#comment-on-selection")
        phone.wait_for_selector("#comment-form:not([hidden])")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.locator("#review-comments").screenshot(path=str(screenshots / "review-comments-phone.png"))
        phone.context.close()

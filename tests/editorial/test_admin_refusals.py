"""Refusals where the eye is: a refused form says so in a banner at the top of the page, each
problem a link to its field, and the first field to fix takes the focus; a page a member may not
open answers inside the admin's layout with what the page is for and where their own work is.
(Before: the error sat by the field at the bottom of the page with no banner; a refused admin page
was a bare "403 Forbidden"; another member's review was Django's plain "Not Found".)"""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.test import Client
from django.urls import reverse

from editorial.admin.refusals import forbidden, not_found
from editorial.models import AssignmentState
from tests.editorial.conftest import assign, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:editorial_reviewassignment_changelist")
DESK = reverse("admin:editorial_desk")
UNKNOWN = 987654321


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def review_url(assignment_or_id, page: str = "change") -> str:
    pk = getattr(assignment_or_id, "pk", assignment_or_id)
    return reverse(f"admin:editorial_reviewassignment_{page}", args=[pk])


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (tags dropped, spaces collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{element_id} on the page"
    text = " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())
    return html_module.unescape(re.sub(r"\s+([:.,])", r"\1", text))


def tag_with_id(html: str, element_id: str) -> str:
    match = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, f"no field #{element_id} on the page"
    return match.group(0)


def autofocused_ids(html: str) -> list[str]:
    tags = re.findall(r"<(?:input|textarea|select)\b[^>]*>", html)
    return [re.search(r'\bid="([^"]+)"', tag).group(1) for tag in tags if re.search(r"\bautofocus\b", tag)]


def in_admin_layout(html: str) -> bool:
    return 'id="site-name"' in html and 'id="user-tools"' in html and "Medical Advisory Board" in html


@pytest.fixture
def reviews(oncology, editor):
    mine, theirs = (
        BoardMemberFactory(specialties=[oncology], display_name=name) for name in ("Dr Mine", "Dr Theirs")
    )
    article = ArticleFactory(specialty=oncology, actor=editor, title="Mine to review?")
    submit(article)
    other = ArticleFactory(specialty=oncology, actor=editor, title="Theirs to review?")
    submit(other)
    return {"me": mine, "mine": assign(article, mine), "theirs": assign(other, theirs)}


# --- A refused form: the banner at the top, the focus on the field ---------------------------


def test_request_changes_without_a_comment_shows_a_banner_at_the_top_and_focuses_the_comment(reviews):
    response = signed_in(reviews["me"].user).post(
        review_url(reviews["mine"]), {"decision": "request_changes", "comment": ""}
    )

    html = response.content.decode()
    assert response.status_code == 200
    banner = text_of(html, "form-error-banner")
    assert banner.startswith("Nothing was recorded. Please fix this:")
    assert "Comment: Say what must change" in banner  # the service's own words
    assert 'href="#id_comment"' in html
    # The banner comes first in the page's content, before the review itself.
    assert html.index('id="form-error-banner"') < html.index('class="review-meta"')
    assert autofocused_ids(html) == ["id_comment"]
    assert refreshed(reviews["mine"]).state == AssignmentState.PENDING


def test_a_decision_not_chosen_points_to_the_choices(reviews):
    response = signed_in(reviews["me"].user).post(review_url(reviews["mine"]), {"comment": "Fine."})

    html = response.content.decode()
    assert "Decision: This field is required." in text_of(html, "form-error-banner")
    assert 'href="#id_decision_0"' in html
    assert autofocused_ids(html)[0] == "id_decision_0"


def test_a_page_with_nothing_refused_has_no_banner_and_takes_no_focus(reviews):
    html = signed_in(reviews["me"].user).get(review_url(reviews["mine"])).content.decode()

    assert 'id="form-error-banner"' not in html
    assert autofocused_ids(html) == []


def test_the_chiefs_reassign_form_on_the_review_page_says_what_to_fix(reviews, chief):
    response = signed_in(chief).post(review_url(reviews["mine"]), {"reviewer": "", "reason": ""})

    html = response.content.decode()
    banner = text_of(html, "form-error-banner")
    assert "Reviewer: This field is required." in banner and "Reason: This field is required." in banner
    assert autofocused_ids(html) == ["id_reviewer"]
    assert refreshed(reviews["mine"]).state == AssignmentState.PENDING


def test_a_refused_extension_on_the_chiefs_desk_focuses_the_field_to_fix(reviews, chief):
    desk_review = reverse("admin:editorial_desk_review", args=[reviews["mine"].pk])

    response = signed_in(chief).post(
        desk_review, {"extend-due_date": "", "extend-reason": "Away this week", "_extend": "1"}
    )

    html = response.content.decode()
    assert "Nothing was changed. Choose the new due date." in html  # the message at the top
    assert autofocused_ids(html) == ["id_extend-due_date"]


def test_a_reassignment_without_a_member_focuses_the_next_field_to_fix_not_a_hidden_one(reviews, chief):
    desk_review = reverse("admin:editorial_desk_review", args=[reviews["mine"].pk])

    response = signed_in(chief).post(desk_review, {"reassign-reason": "", "_reassign": "1"})

    # The members are radio buttons drawn by hand: the reason is the field that can take the focus.
    assert autofocused_ids(response.content.decode()) == ["id_reassign-reason"]


# --- A page the member may not open ----------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/auth/user/", "/admin/articles/article/", DESK])
def test_a_board_member_on_a_page_for_chiefs_reads_what_it_is_for_and_finds_their_queue(reviews, url):
    response = signed_in(reviews["me"].user).get(url)

    html = response.content.decode()
    assert response.status_code == 403
    assert in_admin_layout(html)
    assert text_of(html, "refusal-lead") == "This page is for editors-in-chief."
    assert text_of(html, "refusal-next") == "Your reviews are in your review queue."
    assert f'<a href="{QUEUE}">your review queue</a>' in html


@pytest.mark.parametrize("page", ["change", "history"])
def test_another_members_review_answers_404_in_the_admin_layout_with_the_members_queue(reviews, page):
    client = signed_in(reviews["me"].user)

    theirs = client.get(review_url(reviews["theirs"], page))
    unknown = client.get(review_url(UNKNOWN, page))

    html = theirs.content.decode()
    assert theirs.status_code == unknown.status_code == 404
    assert in_admin_layout(html)
    lead = text_of(html, "refusal-lead")
    assert "assigned to someone else, or there is no review with this number" in lead
    assert f'<a href="{QUEUE}">your review queue</a>' in html
    # The same words for a review that does not exist: the page tells nobody that it does.
    assert text_of(unknown.content.decode(), "refusal-lead") == lead
    assert "Theirs to review" not in html and "Dr Theirs" not in html


def test_an_object_out_of_sight_elsewhere_in_the_admin_is_a_404_page_in_the_layout(reviews):
    url = reverse("admin:reviewers_boardmember_change", args=[reviews["me"].pk])

    response = signed_in(reviews["me"].user).get(url)

    html = response.content.decode()
    assert response.status_code == 404
    assert in_admin_layout(html)
    assert "it belongs to someone else, or it does not exist" in text_of(html, "refusal-lead")


def test_an_editor_in_chief_refused_a_page_is_pointed_to_the_desk(reviews):
    chief = ChiefFactory()

    response = signed_in(chief).get("/admin/auth/user/")

    html = response.content.decode()
    assert response.status_code == 403
    assert in_admin_layout(html)
    assert text_of(html, "refusal-lead") == "This page is for the system's administrators."
    assert text_of(html, "refusal-next") == (
        "Your work is on the editors-in-chief's desk and the list of every review."
    )
    assert f'<a href="{DESK}">' in html


def test_people_outside_the_admin_get_the_plain_answers_as_before(reviews):
    editor = signed_in(EditorFactory())  # not staff: the admin sends them to sign in
    response = editor.get("/admin/auth/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

    api = signed_in(reviews["me"].user).get("/api/v1/no-such-endpoint/")
    assert api.status_code == 404
    assert api.json() == {"code": "not_found", "detail": "Not found."}

    elsewhere = signed_in(reviews["me"].user).get("/no-such-page/")
    assert elsewhere.status_code == 404
    assert not in_admin_layout(elsewhere.content.decode())


def test_a_refusal_before_anyone_is_signed_in_is_the_plain_page(rf):
    request = rf.get("/admin/auth/user/")  # no session, no user: as before the middleware ran

    assert forbidden(request).status_code == 403
    assert not in_admin_layout(not_found(request).content.decode())

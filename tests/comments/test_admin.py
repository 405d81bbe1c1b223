"""The review page in the admin: comments listed (without JavaScript too), the reviewer comments
on a selected passage, replies and resolves; the decision form cites comments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from editorial.comments import services
from editorial.comments.models import ReviewComment
from editorial.comments.text import plain_text
from tests.comments.conftest import PASSAGE, comment_on, next_round

pytestmark = pytest.mark.django_db


def page_url(assignment):
    return reverse("admin:editorial_reviewassignment_change", args=[assignment.pk])


def create_url(assignment):
    return reverse("admin:editorial_reviewassignment_comment_create", args=[assignment.pk])


def selection(review, exact=PASSAGE):
    text = plain_text(review.version)
    start = text.index(exact)
    return {
        "body": "Say which monitoring.",
        "exact": exact,
        "prefix": text[start - 10 : start],
        "suffix": text[start + len(exact) :][:10],
        "start": start,
        "end": start + len(exact),
    }


def test_the_reviewer_comments_on_a_selected_passage_from_the_review_page(client, review):
    client.force_login(review.member.user)

    response = client.post(create_url(review.mine), selection(review))

    comment = ReviewComment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_url(review.mine) + f"#comment-{comment.pk}"
    assert (comment.exact, comment.body, comment.author) == (
        PASSAGE,
        "Say which monitoring.",
        review.member.user,
    )
    page = client.get(page_url(review.mine)).content.decode()
    assert "Your comment is saved" in page
    assert f'id="comment-{comment.pk}"' in page and f'data-start="{comment.start}"' in page
    assert "Say which monitoring." in page and "Open" in page


def test_a_selection_that_does_not_match_the_text_is_refused_with_a_message(client, review):
    client.force_login(review.member.user)
    data = {**selection(review), "start": selection(review)["start"] + 2}

    response = client.post(create_url(review.mine), data, follow=True)

    assert not ReviewComment.objects.exists()
    assert "is not what version 1 has at" in response.content.decode()


def test_another_members_review_page_takes_no_comments(client, review):
    client.force_login(review.other.user)
    response = client.post(create_url(review.mine), selection(review))
    assert response.status_code in (403, 404)
    assert not ReviewComment.objects.exists()


def test_the_comment_urls_take_only_posts(client, review):
    client.force_login(review.member.user)
    assert client.get(create_url(review.mine)).status_code == 405


def test_the_page_lists_replies_and_the_author_resolves_there(client, review):
    comment = comment_on(review.mine, PASSAGE)
    services.comment_reply(actor=review.editor, comment=comment, body="Echo every three months, added.")
    client.force_login(review.member.user)
    page = client.get(page_url(review.mine)).content.decode()
    assert "Echo every three months, added." in page
    resolve = reverse("admin:editorial_reviewassignment_comment_resolve", args=[review.mine.pk, comment.pk])
    assert f'action="{resolve}"' in page

    client.post(resolve, {"reason": "Answered by the editor."})

    comment.refresh_from_db()
    assert (comment.state, comment.resolved_by, comment.resolution) == (
        "resolved",
        review.member.user,
        "Answered by the editor.",
    )
    assert "Resolved by" in client.get(page_url(review.mine)).content.decode()


def test_another_member_cannot_reply_to_a_comment_through_their_own_page(client, review):
    comment = comment_on(review.mine, PASSAGE)
    client.force_login(review.other.user)
    url = reverse("admin:editorial_reviewassignment_comment_reply", args=[review.theirs.pk, comment.pk])
    assert client.post(url, {"body": "Me too"}).status_code == 404
    assert not comment.replies.exists()


def test_members_do_not_see_each_others_comments_and_the_chief_sees_all(client, review, chief):
    mine = comment_on(review.mine, PASSAGE, body="Mine, about the heart.")
    client.force_login(review.other.user)
    assert "Mine, about the heart." not in client.get(page_url(review.theirs)).content.decode()
    client.force_login(review.chief)
    assert "Mine, about the heart." in client.get(page_url(review.theirs)).content.decode()
    assert mine.pk


def test_the_decision_form_cites_open_comments_and_that_satisfies_the_comment_rule(client, review):
    comment = comment_on(review.mine, PASSAGE, body="Give the LVEF schedule.")
    client.force_login(review.member.user)
    page = client.get(page_url(review.mine)).content.decode()
    assert 'name="cited_comments"' in page and "Give the LVEF schedule." in page

    response = client.post(
        page_url(review.mine), {"decision": "request_changes", "comment": "", "cited_comments": [comment.pk]}
    )

    assert response.status_code == 302
    review.mine.refresh_from_db()
    assert review.mine.decision == "request_changes"
    assert list(review.mine.cited_comments.all()) == [comment]


def test_a_carried_comment_whose_passage_is_gone_shows_passage_removed(client, review):
    comment = comment_on(review.mine, PASSAGE)
    services.comment_resolve(actor=review.editor, comment=comment, reason="Taken out.")
    from editorial import services as workflow

    workflow.decide(actor=review.member.user, assignment=review.mine, decision="reject", comment="No")
    next_round(review, review.version.body.replace(PASSAGE + " ", ""))
    assignment = workflow.assign(
        actor=review.editor, article=review.article, reviewer=review.member, reason="r"
    )
    client.force_login(review.member.user)

    page = client.get(page_url(assignment)).content.decode()

    assert "Passage removed" in page and PASSAGE in page
    assert 'data-start="' not in page

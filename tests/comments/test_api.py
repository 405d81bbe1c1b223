"""The review comments' API: a version's comments with their W3C selectors, creating, replying,
resolving and reopening, for every role; the decision endpoint's citations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from editorial.comments import services
from editorial.comments.models import CommentReply, ReviewComment
from editorial.comments.text import plain_text
from tests.comments.conftest import PASSAGE, comment_on, next_round
from tests.factories import BoardMemberFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def comments_url(review, number=1):
    return f"/api/v1/articles/{review.article.slug}/versions/{number}/comments/"


def create_body(review, exact=PASSAGE, **quote):
    start = plain_text(review.version).index(exact)
    return {
        "body": "Say which monitoring, and how often.",
        "quote": {"type": "TextQuoteSelector", "exact": exact, **quote},
        "position": {"type": "TextPositionSelector", "start": start, "end": start + len(exact)},
    }


def test_a_reviewer_comments_through_the_api_and_gets_the_w3c_selectors_back(review):
    response = client_for(review.member.user).post(comments_url(review), create_body(review), format="json")

    assert response.status_code == 201, response.data
    start = plain_text(review.version).index(PASSAGE)
    quote = {"type": "TextQuoteSelector", "exact": PASSAGE}
    assert response.data["target"]["version"] == 1
    selector = response.data["target"]["selector"]
    assert {key: selector[0][key] for key in quote} == quote
    assert selector[0]["suffix"] == " Monitor cardiac function during"
    assert selector[1] == {"type": "TextPositionSelector", "start": start, "end": start + len(PASSAGE)}
    assert response.data["anchor"] == {"version": 1, "match": "original", "selector": selector}
    assert response.data["state"] == "open" and response.data["resolved"] is None
    assert response.data["author"]["username"] == review.member.user.username


def test_a_quote_that_is_not_at_its_position_is_a_400_that_says_so(review):
    body = create_body(review)
    body["position"]["start"] += 1
    response = client_for(review.member.user).post(comments_url(review), body, format="json")
    assert response.status_code == 400
    assert "is not what version 1 has at" in response.data["fields"]["quote"][0]
    assert not ReviewComment.objects.exists()


def test_an_unknown_field_in_a_selector_is_refused(review):
    body = create_body(review)
    body["quote"]["refinedBy"] = {}
    response = client_for(review.member.user).post(comments_url(review), body, format="json")
    assert response.status_code == 400
    assert response.data["fields"]["quote"] == {"refinedBy": ["There is no such field here."]}


@pytest.mark.parametrize(
    ("who", "status"), [("editor", 403), ("chief", 403), ("other_member", 403), ("anonymous", 401)]
)
def test_only_the_reviewer_of_the_version_creates_comments(review, board_member, who, status):
    user = {
        "editor": review.editor,
        "chief": review.chief,
        "other_member": board_member.user,
        "anonymous": None,
    }[who]
    response = client_for(user).post(comments_url(review), create_body(review), format="json")
    assert response.status_code == status
    assert not ReviewComment.objects.exists()


def test_who_sees_which_comments_of_a_version(review, board_member):
    mine = comment_on(review.mine, PASSAGE)
    theirs = comment_on(review.theirs, "β-blocker", body="Which one?")

    def ids(user):
        response = client_for(user).get(comments_url(review))
        return response.status_code, [item["id"] for item in response.data.get("results", [])]

    assert ids(review.editor) == (200, [mine.pk, theirs.pk][::-1])  # in the order of the text
    assert ids(review.chief)[1] == [theirs.pk, mine.pk]
    assert ids(review.member.user) == (200, [mine.pk])
    assert ids(review.other.user) == (200, [theirs.pk])
    assert ids(board_member.user) == (200, [])
    assert client_for(None).get(comments_url(review)).status_code == 401
    assert client_for(review.editor).get(comments_url(review, number=9)).status_code == 404


def test_the_list_shows_replies_and_the_anchor_in_a_later_version(review):
    from editorial import services as workflow

    comment = comment_on(review.mine, PASSAGE)
    services.comment_reply(actor=review.editor, comment=comment, body="Echo every 3 months, added.")
    workflow.decide(
        actor=review.member.user,
        assignment=review.mine,
        decision="request_changes",
        cited_comments=[comment.pk],
    )
    next_round(review, review.version.body.replace(PASSAGE + " ", ""))

    (item,) = client_for(review.editor).get(comments_url(review, number=2)).data["results"]

    assert item["anchor"] == {"version": 2, "match": "removed", "selector": []}
    assert item["target"]["version"] == 1 and item["target"]["selector"][0]["exact"] == PASSAGE
    assert [(reply["author"]["username"], reply["body"]) for reply in item["replies"]] == [
        ("editor", "Echo every 3 months, added.")
    ]


@pytest.mark.parametrize("size", [1, 30])
def test_the_list_costs_the_same_queries_for_one_comment_or_many(review, size, django_assert_max_num_queries):
    text = plain_text(review.version)
    words = [word for word in dict.fromkeys(text.split()) if len(word) > 3][:size]
    for word in words:
        comment = comment_on(review.mine, word, body=f"On {word}")
        services.comment_reply(actor=review.editor, comment=comment, body="Noted.")
    assert len(words) == size

    with django_assert_max_num_queries(6):
        response = client_for(review.editor).get(comments_url(review) + "?page_size=100")

    assert response.status_code == 200 and response.data["count"] == size


@pytest.mark.parametrize(
    ("who", "status"),
    [("editor", 201), ("chief", 201), ("author", 201), ("other_member", 404), ("anonymous", 401)],
)
def test_who_may_reply(review, who, status):
    comment = comment_on(review.mine, PASSAGE)
    user = {
        "editor": review.editor,
        "chief": review.chief,
        "author": review.member.user,
        "other_member": review.other.user,
        "anonymous": None,
    }[who]
    response = client_for(user).post(
        f"/api/v1/comments/{comment.pk}/replies/", {"body": "Done."}, format="json"
    )
    assert response.status_code == status
    assert CommentReply.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.data["body"] == "Done." and response.data["author"]["username"] == user.username


@pytest.mark.parametrize(
    ("who", "status"),
    [("editor", 200), ("chief", 200), ("author", 200), ("other_member", 404), ("anonymous", 401)],
)
def test_who_may_resolve_and_reopen(review, who, status):
    comment = comment_on(review.mine, PASSAGE)
    user = {
        "editor": review.editor,
        "chief": review.chief,
        "author": review.member.user,
        "other_member": review.other.user,
        "anonymous": None,
    }[who]
    client = client_for(user)

    resolved = client.post(
        f"/api/v1/comments/{comment.pk}/resolve/", {"reason": "Fixed in v2."}, format="json"
    )
    assert resolved.status_code == status
    if status != 200:
        assert ReviewComment.objects.get().state == "open"
        return
    assert resolved.data["state"] == "resolved"
    assert resolved.data["resolved"]["by"]["username"] == user.username
    assert resolved.data["resolved"]["reason"] == "Fixed in v2."
    again = client.post(f"/api/v1/comments/{comment.pk}/resolve/", {"reason": "x"}, format="json")
    assert again.status_code == 409 and again.data["code"] == "comment_state_conflict"
    reopened = client.post(f"/api/v1/comments/{comment.pk}/reopen/", {"reason": "Not yet."}, format="json")
    assert reopened.status_code == 200 and reopened.data["resolved"] is None


def test_the_decision_endpoint_cites_comments_and_shows_them(review):
    comment = comment_on(review.mine, PASSAGE, body="Give the LVEF schedule.")
    url = f"/api/v1/assignments/{review.mine.pk}/decision/"
    client = client_for(review.member.user)

    refused = client.post(url, {"decision": "request_changes"}, format="json")
    assert refused.status_code == 400
    decided = client.post(url, {"decision": "request_changes", "cited_comments": [comment.pk]}, format="json")

    assert decided.status_code == 200, decided.data
    assert decided.data["cited_comments"] == [
        {"id": comment.pk, "quote": PASSAGE, "body": "Give the LVEF schedule."}
    ]
    assert decided.data["decision"] == "request_changes" and decided.data["comment"] == ""


def test_citing_someone_elses_comment_through_the_api_is_a_404_and_decides_nothing(review):
    theirs = comment_on(review.theirs, PASSAGE)
    response = client_for(review.member.user).post(
        f"/api/v1/assignments/{review.mine.pk}/decision/",
        {"decision": "request_changes", "cited_comments": [theirs.pk]},
        format="json",
    )
    assert response.status_code == 404 and response.data["code"] == "comment_not_found"
    review.mine.refresh_from_db()
    assert review.mine.decision == ""


def test_the_schema_describes_the_comment_endpoints_and_the_citations(client):
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/articles/{slug}/versions/{number}/comments/"])
    for action in ("replies", "resolve", "reopen"):
        assert "post" in paths[f"/api/v1/comments/{{id}}/{action}/"]
    decision = schema["components"]["schemas"]["DecisionRequestRequest"]
    assert decision["properties"]["cited_comments"]["type"] == "array"
    assert decision["oneOf"][1]["anyOf"][1] == {
        "properties": {"cited_comments": {"minItems": 1}},
        "required": ["cited_comments"],
    }
    created = schema["components"]["schemas"]["CommentCreateRequest"]
    assert created["additionalProperties"] is False


def test_a_board_member_with_no_review_of_the_article_sees_no_comments(review):
    comment_on(review.mine, PASSAGE)
    stranger = BoardMemberFactory()
    response = client_for(stranger.user).get(comments_url(review))
    assert response.status_code == 200 and response.data["results"] == []

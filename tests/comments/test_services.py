"""Writing review comments: who may comment, reply, resolve and reopen, the selectors checked
against the version's text, everything in the history with who and why, and comments carried to
the next version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from editorial.comments import services
from editorial.comments.exceptions import CommentNotAllowed, CommentStateConflict
from editorial.comments.models import AnchorMatch, CommentAnchor, CommentReply, ReviewComment
from editorial.comments.text import plain_text
from tests.comments.conftest import BODY, PASSAGE, comment_on, next_round

pytestmark = pytest.mark.django_db


def test_a_reviewer_comments_on_a_passage_and_its_selectors_are_kept(review):
    comment = comment_on(review.mine, PASSAGE)

    text = plain_text(review.version)
    start = text.index(PASSAGE)
    assert (comment.exact, comment.start, comment.end) == (PASSAGE, start, start + len(PASSAGE))
    assert comment.prefix == text[start - 32 : start] and comment.suffix == text[start + len(PASSAGE) :][:32]
    anchor = comment.anchors.get()
    assert (anchor.version, anchor.match, anchor.start) == (review.version, AnchorMatch.ORIGINAL, start)
    history = comment.history.get()
    assert history.history_user == review.member.user
    assert history.history_change_reason.startswith("Comment on version 1: Say which monitoring")


def test_positions_count_code_points_in_non_ascii_clinical_text(review):
    comment = comment_on(review.mine, "≥ 48 mmol/mol", body="Two readings or one?")
    text = plain_text(review.version)
    assert text[comment.start : comment.end] == "≥ 48 mmol/mol"
    assert comment_on(review.mine, "β-blocker", body="Which one?").start == text.index("β-blocker")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"exact": "HER2-targeted drugs can weaken the lungs."}, "quote", "is not what version 1 has"),
        ({"start": 0}, "quote", "is not what version 1 has"),
        ({"end": 10_000}, "position", "the length of version 1's text"),
        ({"prefix": "not the text before"}, "quote", "prefix is not the text just before"),
        ({"suffix": "not the text after"}, "quote", "suffix is not the text just after"),
    ],
)
def test_selectors_that_disagree_with_the_text_are_refused_and_nothing_is_written(
    review, change, field, words
):
    text = plain_text(review.version)
    start = text.index(PASSAGE)
    arguments = {"exact": PASSAGE, "start": start, "end": start + len(PASSAGE), **change}
    with pytest.raises(ValidationError) as refusal:
        services.comment_create(actor=review.member.user, version=review.version, body="b", **arguments)
    assert words in " ".join(refusal.value.message_dict[field])
    assert not ReviewComment.objects.exists()


@pytest.mark.parametrize("who", ["editor", "chief", "other_unassigned"])
def test_only_a_member_reviewing_the_version_comments_on_it(review, who, board_member):
    actor = {"editor": review.editor, "chief": review.chief, "other_unassigned": board_member.user}[who]
    text = plain_text(review.version)
    start = text.index(PASSAGE)
    with pytest.raises(CommentNotAllowed, match="Only a board member reviewing version 1"):
        services.comment_create(
            actor=actor,
            version=review.version,
            body="b",
            exact=PASSAGE,
            start=start,
            end=start + len(PASSAGE),
        )


def test_a_member_whose_review_is_closed_can_no_longer_comment(review):
    from editorial import services as workflow

    workflow.decide(actor=review.member.user, assignment=review.mine, decision="approve")
    with pytest.raises(CommentNotAllowed):
        comment_on(review.mine, PASSAGE)


def test_editors_and_the_author_reply_others_may_not(review):
    comment = comment_on(review.mine, PASSAGE)

    services.comment_reply(actor=review.editor, comment=comment, body="Added: echo every 3 months.")
    services.comment_reply(actor=review.member.user, comment=comment, body="Thank you.")
    services.comment_reply(actor=review.chief, comment=comment, body="Agreed.")
    with pytest.raises(CommentNotAllowed, match="Only editors and the comment's author"):
        services.comment_reply(actor=review.other.user, comment=comment, body="Me too.")

    replies = CommentReply.objects.filter(comment=comment)
    assert [reply.author for reply in replies] == [review.editor, review.member.user, review.chief]
    assert (
        replies[0].history.get().history_change_reason
        == f"Reply to comment {comment.pk}: Added: echo every 3 months."
    )


def test_resolving_records_who_when_and_why_and_reopening_clears_it_with_history(review):
    comment = comment_on(review.mine, PASSAGE)

    services.comment_resolve(actor=review.editor, comment=comment, reason="Monitoring schedule added in v2.")
    comment.refresh_from_db()
    assert (comment.state, comment.resolved_by, comment.resolution) == (
        "resolved",
        review.editor,
        "Monitoring schedule added in v2.",
    )
    assert comment.resolved_at is not None
    with pytest.raises(CommentStateConflict, match="already resolved by"):
        services.comment_resolve(actor=review.editor, comment=comment, reason="Again")

    services.comment_reopen(
        actor=review.member.user, comment=comment, reason="The schedule is still missing."
    )
    comment.refresh_from_db()
    assert (comment.state, comment.resolved_by, comment.resolution) == ("open", None, "")
    with pytest.raises(CommentStateConflict, match="open already"):
        services.comment_reopen(actor=review.editor, comment=comment, reason="Again")
    reasons = [row.history_change_reason for row in comment.history.order_by("history_date", "history_id")]
    assert reasons[1:] == ["Monitoring schedule added in v2.", "The schedule is still missing."]
    assert [row.history_user for row in comment.history.order_by("history_date", "history_id")][1:] == [
        review.editor,
        review.member.user,
    ]


def test_another_member_may_not_resolve_a_comment_that_is_not_theirs(review):
    comment = comment_on(review.mine, PASSAGE)
    with pytest.raises(CommentNotAllowed):
        services.comment_resolve(actor=review.other.user, comment=comment, reason="Fine")


# --- Carried to the next version ---------------------------------------------------------------


def _anchor(comment, round):
    return CommentAnchor.objects.get(comment=comment, version=round.version)


def _request_changes(review, comment):
    from editorial import services as workflow

    workflow.decide(
        actor=review.member.user,
        assignment=review.mine,
        decision="request_changes",
        cited_comments=[comment.pk],
    )


def test_a_passage_left_as_it_was_is_anchored_exactly_in_the_next_version(review):
    comment = comment_on(review.mine, PASSAGE)
    _request_changes(review, comment)

    round = next_round(review, BODY.replace("## Short answer", "## Short answer\n\nA new opening line."))

    anchor = _anchor(comment, round)
    text = plain_text(round.version)
    assert (anchor.match, anchor.exact, anchor.start) == (AnchorMatch.EXACT, PASSAGE, text.index(PASSAGE))
    assert anchor.start != comment.start  # the text before it grew
    assert anchor.history.get().history_change_reason == "Revision ready"


def test_a_moved_passage_is_found_where_it_went(review):
    comment = comment_on(review.mine, PASSAGE)
    _request_changes(review, comment)
    moved = BODY.replace("- " + PASSAGE + " Monitor", "- Monitor").replace(
        "## Short answer\n", "## Short answer\n\n" + PASSAGE + "\n"
    )

    anchor = _anchor(comment, next_round(review, moved))

    assert anchor.match == AnchorMatch.EXACT
    assert anchor.start < comment.start


def test_a_slightly_edited_passage_is_anchored_on_its_new_wording(review):
    comment = comment_on(review.mine, PASSAGE)
    _request_changes(review, comment)
    edited = "HER2-targeted drugs may weaken the heart muscle."

    round = next_round(review, BODY.replace(PASSAGE, edited))

    anchor = _anchor(comment, round)
    assert (anchor.match, anchor.exact) == (AnchorMatch.FUZZY, edited)
    assert plain_text(round.version)[anchor.start : anchor.end] == edited


def test_a_deleted_passage_is_marked_removed_and_the_comment_keeps_its_quote(review):
    comment = comment_on(review.mine, PASSAGE)
    _request_changes(review, comment)

    anchor = _anchor(comment, next_round(review, BODY.replace(PASSAGE + " ", "")))

    assert (anchor.match, anchor.start, anchor.exact) == (AnchorMatch.REMOVED, None, "")
    comment.refresh_from_db()
    assert comment.exact == PASSAGE


def test_resolved_comments_are_carried_too_and_a_later_round_starts_from_the_latest_anchor(review):
    comment = comment_on(review.mine, PASSAGE)
    _request_changes(review, comment)
    services.comment_resolve(actor=review.editor, comment=comment, reason="Reworded.")
    edited = "HER2-targeted drugs may weaken the heart muscle."
    second = next_round(review, BODY.replace(PASSAGE, edited))
    from editorial import services as workflow

    workflow.withdraw(actor=review.editor, article=review.article, reason="One more change")
    # Edited again: far from the first wording, close to the second.
    third = next_round(
        review, BODY.replace(PASSAGE, "HER2-targeted drugs may weaken the heart muscle a lot.")
    )

    assert _anchor(comment, second).match == AnchorMatch.FUZZY
    assert _anchor(comment, third).exact == "HER2-targeted drugs may weaken the heart muscle a lot."
    assert comment.anchors.count() == 3

"""Races on review comments, with real threads on separate PostgreSQL connections."""

from __future__ import annotations

import pytest

from editorial import services as workflow
from editorial.comments import services
from editorial.comments.exceptions import CommentStateConflict
from editorial.comments.models import CommentState, DecisionCitation, ReviewComment
from tests.comments.conftest import PASSAGE, comment_on
from tests.helpers import run_at_once
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_resolutions_at_once_give_one(review, attempt):
    comment = comment_on(review.mine, PASSAGE)

    results = run_at_once(
        lambda: services.comment_resolve(actor=review.editor, comment=comment, reason="Fixed by the editor."),
        lambda: services.comment_resolve(actor=review.member.user, comment=comment, reason="Fixed, I agree."),
    )

    assert sorted(type(result).__name__ for result in results) == ["CommentStateConflict", "ReviewComment"]
    resolved = [row for row in comment.history.all() if row.state == CommentState.RESOLVED]
    assert len(resolved) == 1
    assert ReviewComment.objects.get().resolution == resolved[0].history_change_reason


@pytest.mark.parametrize("attempt", range(3))
def test_a_citation_racing_a_resolution_is_one_or_the_other_never_a_resolved_comment_cited_unseen(
    review, attempt
):
    comment = comment_on(review.mine, PASSAGE)

    decision, resolution = run_at_once(
        lambda: workflow.decide(
            actor=review.member.user,
            assignment=review.mine,
            decision="request_changes",
            cited_comments=[comment.pk],
        ),
        lambda: services.comment_resolve(actor=review.editor, comment=comment, reason="Already fixed."),
    )

    assert not isinstance(resolution, Exception)  # nothing else resolves it: it always goes through
    if isinstance(decision, CommentStateConflict):
        assert not DecisionCitation.objects.exists()
    else:
        # The decision locked the comment first and cited it open; the resolution came after it.
        citation = DecisionCitation.objects.get()
        resolved_at = ReviewComment.objects.get().resolved_at
        assert citation.history.get().history_date <= resolved_at

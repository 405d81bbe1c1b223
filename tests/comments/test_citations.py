"""A decision that requests changes (or rejects) may cite the reviewer's comments instead of
repeating them: the rule that a comment is required unless approving lives in
editorial.services.decisions, which checks the citations."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from editorial import services
from editorial.comments import services as comment_services
from editorial.comments.exceptions import CommentNotFound, CommentStateConflict
from editorial.comments.models import DecisionCitation
from editorial.models import AssignmentState
from tests.comments.conftest import PASSAGE, comment_on, next_round
from tests.editorial.mail import send_notifications

pytestmark = pytest.mark.django_db


def _decide(review, assignment=None, **kwargs):
    assignment = assignment or review.mine
    return services.decide(actor=assignment.reviewer.user, assignment=assignment, **kwargs)


def test_citing_a_comment_satisfies_the_comment_rule(review):
    comment = comment_on(review.mine, PASSAGE)

    decided = _decide(review, decision="request_changes", cited_comments=[comment.pk])

    assert decided.state == AssignmentState.COMPLETED and decided.comment == ""
    assert list(decided.cited_comments.all()) == [comment]
    citation = DecisionCitation.objects.get()
    assert citation.history.get().history_user == review.member.user
    reason = decided.history.latest().history_change_reason
    assert reason == f"Request changes: see comment {comment.pk}"


def test_without_a_comment_or_a_citation_changes_cannot_be_requested(review):
    with pytest.raises(ValidationError) as refusal:
        _decide(review, decision="request_changes", cited_comments=[])
    assert "or cite your comments on the text" in refusal.value.message_dict["comment"][0]


def test_an_approval_cannot_cite_comments(review):
    comment = comment_on(review.mine, PASSAGE)
    with pytest.raises(ValidationError) as refusal:
        _decide(review, decision="approve", cited_comments=[comment.pk])
    assert refusal.value.message_dict["cited_comments"] == [
        "Cite comments only when requesting changes or rejecting."
    ]


def test_another_members_comment_cannot_be_cited_and_nothing_is_decided(review):
    theirs = comment_on(review.theirs, PASSAGE)
    with pytest.raises(CommentNotFound, match=f"You have no comment {theirs.pk} on this version"):
        _decide(review, decision="request_changes", cited_comments=[theirs.pk])
    review.mine.refresh_from_db()
    assert review.mine.state != AssignmentState.COMPLETED
    assert not DecisionCitation.objects.exists()


def test_a_resolved_comment_cannot_be_cited(review):
    comment = comment_on(review.mine, PASSAGE)
    comment_services.comment_resolve(actor=review.editor, comment=comment, reason="Done")
    with pytest.raises(CommentStateConflict, match="it is resolved or its passage is not in this version"):
        _decide(review, decision="reject", cited_comments=[comment.pk])


def test_a_comment_carried_to_the_next_version_can_be_cited_there_unless_its_passage_is_gone(review):
    kept = comment_on(review.mine, PASSAGE)
    gone = comment_on(review.mine, "Check potassium", body="Which interval?")
    _decide(review, decision="request_changes", cited_comments=[kept.pk, gone.pk])
    round = next_round(
        review, review.version.body.replace("- Check potassium 1–2 weeks", "- Measure 1–2 weeks")
    )
    assignment = services.assign(
        actor=review.editor, article=review.article, reviewer=review.member, reason="r"
    )

    with pytest.raises(CommentStateConflict):
        _decide(review, assignment, decision="request_changes", cited_comments=[gone.pk])
    decided = _decide(review, assignment, decision="request_changes", cited_comments=[kept.pk])

    assert decided.round == round
    assert list(decided.cited_comments.all()) == [kept]
    assert list(kept.cited_in.order_by("pk")) == [review.mine, decided]


def test_the_editors_decision_email_quotes_the_cited_comments(review, mailoutbox):
    comment = comment_on(review.mine, PASSAGE, body="Say how often to check the LVEF.")
    _decide(review, decision="request_changes", comment="See my comment.", cited_comments=[comment.pk])

    send_notifications(assignment_ids=[review.mine.pk])

    (email,) = mailoutbox
    assert email.to == [review.editor.email] and email.subject.startswith("Changes requested")
    assert "They cite their comments on the text:" in email.body
    assert f"- On “{PASSAGE}”: Say how often to check the LVEF." in email.body
    assert "See my comment." in email.body

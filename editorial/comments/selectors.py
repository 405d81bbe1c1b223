"""Reads of review comments, planned: a version's comments cost the same few queries whether
there is one comment or a hundred."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from articles.models import ArticleVersion
from editorial.comments.models import AnchorMatch, CommentAnchor, CommentReply, CommentState, ReviewComment
from editorial.models import ReviewAssignment
from reviewers.roles import board_member_of, is_editor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def comments_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ReviewComment]:
    """Every comment for editors and editors-in-chief; a board member's own for a board member
    (reviews are independent: members do not see each other's comments); none otherwise."""
    if is_editor(user):
        return ReviewComment.objects.all()
    if board_member_of(user) is not None:
        return ReviewComment.objects.filter(author=user)
    return ReviewComment.objects.none()


def _replies() -> Prefetch:
    return Prefetch(
        "replies", queryset=CommentReply.objects.select_related("author").order_by("created_at", "pk")
    )


def comments_with_thread() -> QuerySet[ReviewComment]:
    """Comments with their people, the version they were written on, and their replies."""
    return ReviewComment.objects.select_related("author", "resolved_by", "version").prefetch_related(
        _replies()
    )


def version_anchors(
    *, version: ArticleVersion, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[CommentAnchor]:
    """The comments the user may see that are anchored in ``version`` (written on it or carried
    to it), each as its anchor there, in the order of the text (removed passages last), with the
    comment, its people and its replies."""
    return (
        CommentAnchor.objects.filter(version=version, comment__in=comments_visible_to(user))
        .select_related("version", "comment__author", "comment__resolved_by", "comment__version")
        .prefetch_related(
            Prefetch(
                "comment__replies",
                queryset=CommentReply.objects.select_related("author").order_by("created_at", "pk"),
            )
        )
        .order_by(F("start").asc(nulls_last=True), "comment__created_at", "pk")
    )


def citable_comments(assignment: ReviewAssignment) -> QuerySet[ReviewComment]:
    """What a decision on ``assignment`` may cite: the reviewer's own open comments whose passage
    is found in the version under review."""
    found_here = CommentAnchor.objects.filter(
        comment_id=OuterRef("pk"), version_id=assignment.round.version_id
    ).exclude(match=AnchorMatch.REMOVED)
    return ReviewComment.objects.filter(
        Exists(found_here), author_id=assignment.reviewer.user_id, state=CommentState.OPEN
    ).order_by("created_at", "pk")

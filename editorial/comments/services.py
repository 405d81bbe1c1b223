"""Writing review comments: a board member comments on a passage of the version they review,
editors and the author reply and resolve, a decision cites comments, and a new round carries
the article's comments to its version.

Every function runs in one transaction and records its actor and reason on the history rows it
writes (``config.audit.audit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles.models import ArticleVersion
from articles.services import lock_article
from config.audit import audit
from editorial.comments import text
from editorial.comments.exceptions import CommentNotAllowed, CommentNotFound, CommentStateConflict
from editorial.comments.models import (
    BODY_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    AnchorMatch,
    CommentAnchor,
    CommentReply,
    CommentState,
    DecisionCitation,
    ReviewComment,
)
from editorial.comments.selectors import citable_comments
from editorial.models import ReviewAssignment, ReviewRound
from reviewers.roles import board_member_of, is_editor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _clean_body(body: str, field: str = "body") -> str:
    cleaned = (body or "").strip()
    if not cleaned:
        raise ValidationError({field: "Write the comment: what should change, and why."}, code="required")
    if len(cleaned) > BODY_MAX_LENGTH:
        raise ValidationError({field: f"Keep it under {BODY_MAX_LENGTH} characters."}, code="max_length")
    return cleaned


def _check_selectors(
    plain: str,
    *,
    version: ArticleVersion,
    exact: str,
    start: int,
    end: int,
    prefix: str | None,
    suffix: str | None,
) -> text.Passage:
    """The passage the selectors name, or a ValidationError that says which selector disagrees
    with the version's text."""
    if not 0 <= start < end <= len(plain):
        raise ValidationError(
            {
                "position": f"start and end must satisfy 0 ≤ start < end ≤ {len(plain)}, the length of "
                f"version {version.number}'s text."
            },
            code="out_of_range",
        )
    passage = text.passage_at(plain, start, end)
    if passage.exact != exact:
        raise ValidationError(
            {
                "quote": f"The quoted text is not what version {version.number} has at {start}–{end} "
                f"(it has “{passage.exact[:80]}”). Select the passage again on the version's page."
            },
            code="quote_mismatch",
        )
    if prefix is not None and (len(prefix) > CONTEXT_MAX_LENGTH or not plain[:start].endswith(prefix)):
        raise ValidationError(
            {"quote": f"The prefix is not the text just before the passage in version {version.number}."},
            code="prefix_mismatch",
        )
    if suffix is not None and (len(suffix) > CONTEXT_MAX_LENGTH or not plain[end:].startswith(suffix)):
        raise ValidationError(
            {"quote": f"The suffix is not the text just after the passage in version {version.number}."},
            code="suffix_mismatch",
        )
    return text.Passage(
        start=start,
        end=end,
        exact=exact,
        prefix=passage.prefix if prefix is None else prefix,
        suffix=passage.suffix if suffix is None else suffix,
        match=AnchorMatch.ORIGINAL,
    )


@transaction.atomic
def comment_create(
    *,
    actor: AbstractBaseUser,
    version: ArticleVersion,
    body: str,
    exact: str,
    start: int,
    end: int,
    prefix: str | None = None,
    suffix: str | None = None,
) -> ReviewComment:
    """A board member's comment on the passage ``start``–``end`` of ``version``, which they are
    reviewing (an open assignment in the open round on that version). ``exact`` must be the
    version's plain text at those positions, and ``prefix``/``suffix``, when given, the text
    just around it; when not given, they are taken from the text."""
    body = _clean_body(body)
    lock_article(version.article_id)
    assignment = (
        ReviewAssignment.objects.open()
        .select_related("round")
        .filter(round__version=version, round__closed_at__isnull=True, reviewer__user_id=actor.pk)
        .first()
    )
    if board_member_of(actor) is None or assignment is None:
        raise CommentNotAllowed(
            f"Only a board member reviewing version {version.number} (an open review of it assigned to "
            "them) can comment on it."
        )
    passage = _check_selectors(
        text.plain_text(version),
        version=version,
        exact=exact,
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
    )
    now = timezone.now()
    with audit(actor=actor, reason=f"Comment on version {version.number}: {body[:200]}"):
        comment = ReviewComment.objects.create(
            article_id=version.article_id,
            version=version,
            assignment=assignment,
            author=actor,
            body=body,
            created_at=now,
            exact=passage.exact,
            prefix=passage.prefix,
            suffix=passage.suffix,
            start=passage.start,
            end=passage.end,
        )
        _save_anchor(comment, version, passage, now)
    return comment


def _save_anchor(
    comment: ReviewComment, version: ArticleVersion, passage: text.Passage | None, now
) -> CommentAnchor:
    if passage is None:
        return CommentAnchor.objects.create(
            comment=comment, version=version, match=AnchorMatch.REMOVED, created_at=now
        )
    return CommentAnchor.objects.create(
        comment=comment,
        version=version,
        match=passage.match,
        exact=passage.exact,
        prefix=passage.prefix,
        suffix=passage.suffix,
        start=passage.start,
        end=passage.end,
        created_at=now,
    )


def _require_may_answer(actor: AbstractBaseUser, comment: ReviewComment, what: str) -> None:
    """Editors and editors-in-chief answer any comment; a board member only their own."""
    if is_editor(actor):
        return
    if board_member_of(actor) is not None and comment.author_id == actor.pk:
        return
    raise CommentNotAllowed(f"Only editors and the comment's author can {what} it.")


def _lock_comment(comment: ReviewComment | int) -> ReviewComment:
    pk = comment if isinstance(comment, int) else comment.pk
    try:
        return ReviewComment.objects.select_for_update(of=("self",)).select_related("version").get(pk=pk)
    except ReviewComment.DoesNotExist:
        raise CommentNotFound("No such comment.") from None


@transaction.atomic
def comment_reply(*, actor: AbstractBaseUser, comment: ReviewComment, body: str) -> CommentReply:
    """A reply in the comment's thread, by an editor or the comment's author."""
    body = _clean_body(body)
    comment = _lock_comment(comment)
    _require_may_answer(actor, comment, "reply to")
    with audit(actor=actor, reason=f"Reply to comment {comment.pk}: {body[:200]}"):
        return CommentReply.objects.create(
            comment=comment, author=actor, body=body, created_at=timezone.now()
        )


@transaction.atomic
def comment_resolve(*, actor: AbstractBaseUser, comment: ReviewComment, reason: str) -> ReviewComment:
    """Mark the comment resolved, with who, when and why (the reason)."""
    with audit(actor=actor, reason=reason) as context:
        comment = _lock_comment(comment)
        _require_may_answer(actor, comment, "resolve")
        if comment.state == CommentState.RESOLVED:
            raise CommentStateConflict(
                f"This comment was already resolved by {comment.resolved_by} on "
                f"{comment.resolved_at:%Y-%m-%d %H:%M} UTC; reopen it first to resolve it again."
            )
        comment.state = CommentState.RESOLVED
        comment.resolved_by = actor
        comment.resolved_at = timezone.now()
        comment.resolution = context.reason
        comment.save(update_fields=["state", "resolved_by", "resolved_at", "resolution"])
    return comment


@transaction.atomic
def comment_reopen(*, actor: AbstractBaseUser, comment: ReviewComment, reason: str) -> ReviewComment:
    """Open a resolved comment again (the resolution stays in its history)."""
    with audit(actor=actor, reason=reason):
        comment = _lock_comment(comment)
        _require_may_answer(actor, comment, "reopen")
        if comment.state == CommentState.OPEN:
            raise CommentStateConflict("This comment is open already.")
        comment.state = CommentState.OPEN
        comment.resolved_by = None
        comment.resolved_at = None
        comment.resolution = ""
        comment.save(update_fields=["state", "resolved_by", "resolved_at", "resolution"])
    return comment


def cite_in_decision(*, assignment: ReviewAssignment, comment_ids: Iterable[int]) -> list[ReviewComment]:
    """Record that the decision being made on ``assignment`` cites these comments. Called by
    ``editorial.services.decisions`` inside the decision's transaction and audit, with the
    assignment locked. Only the reviewer's own open comments found in the version under review
    can be cited: another id is not found (404), a resolved comment a conflict (409)."""
    wanted = sorted(set(comment_ids))
    if not wanted:
        return []
    found = {
        comment.pk: comment
        for comment in ReviewComment.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted, author_id=assignment.reviewer.user_id)
        .order_by("pk")
    }
    citable = set(citable_comments(assignment).filter(pk__in=found).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise CommentNotFound(
            f"You have no comment {', '.join(map(str, missing))} on this version; cite only your own "
            "comments on the version you are deciding on."
        )
    not_citable = [pk for pk in wanted if pk not in citable]
    if not_citable:
        raise CommentStateConflict(
            f"Comment {', '.join(map(str, not_citable))} cannot be cited: it is resolved or its passage "
            "is not in this version. Cite your open comments on this version, or write the comment."
        )
    for pk in wanted:
        DecisionCitation.objects.create(assignment=assignment, comment_id=pk)
    return [found[pk] for pk in wanted]


def carry_forward(round: ReviewRound) -> list[CommentAnchor]:
    """Anchor the article's comments on earlier versions in the round's version: every comment,
    open or resolved (a reviewer of the new version sees what was raised before and how it was
    answered), found by its quote from the latest version it was found in; a passage that is
    gone is anchored as removed. Called by ``editorial.services.rounds.submit`` inside its
    transaction and audit; comments already anchored in the version are left as they are."""
    version = round.version
    comments = list(
        ReviewComment.objects.filter(article_id=round.article_id, version__number__lt=version.number)
        .exclude(anchors__version=version)
        .prefetch_related("anchors__version")
        .order_by("pk")
    )
    if not comments:
        return []
    plain = text.plain_text(version)
    now = timezone.now()
    anchors = []
    for comment in comments:
        found = [anchor for anchor in comment.anchors.all() if anchor.found]
        latest = max(found, key=lambda anchor: anchor.version.number, default=None)
        quote = latest or comment
        passage = text.find_passage(
            plain, exact=quote.exact, prefix=quote.prefix, suffix=quote.suffix, near=quote.start
        )
        anchors.append(_save_anchor(comment, version, passage, now))
    return anchors

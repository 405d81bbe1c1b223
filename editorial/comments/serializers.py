"""The review comments in the API: the W3C Web Annotation selectors of their passage, in and out.

A comment's ``target`` is the passage as the reviewer selected it (the version they commented
on); its ``anchor`` is where that passage is in the version asked for (``match``: ``original``,
``exact``, ``fuzzy``, or ``removed`` with no selectors)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.api.serializers import ReasonField
from config.api.fields import Integer, Text
from config.api.serializers import StrictSerializer
from editorial.comments.models import (
    BODY_MAX_LENGTH,
    CONTEXT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    AnchorMatch,
    CommentAnchor,
    CommentReply,
    CommentState,
    ReviewComment,
)

POSITION_MAX = 2**31 - 1


# --- Input ---------------------------------------------------------------------------------------


class TextQuoteSelectorInput(StrictSerializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector"])
    exact = Text(
        strip=False,
        max_length=QUOTE_MAX_LENGTH,
        help_text="The selected text, exactly as the version's plain text has it at start..end.",
    )
    prefix = Text(
        strip=False,
        allow_blank=True,
        required=False,
        max_length=CONTEXT_MAX_LENGTH,
        help_text="The text just before it (default: up to 32 characters taken from the version).",
    )
    suffix = Text(
        strip=False,
        allow_blank=True,
        required=False,
        max_length=CONTEXT_MAX_LENGTH,
        help_text="The text just after it (default: up to 32 characters taken from the version).",
    )


class TextPositionSelectorInput(StrictSerializer):
    type = serializers.ChoiceField(choices=["TextPositionSelector"])
    start = Integer(min_value=0, max_value=POSITION_MAX - 1, help_text="In Unicode code points, from 0.")
    end = Integer(min_value=1, max_value=POSITION_MAX, help_text="Exclusive; greater than start.")


class CommentCreateSerializer(StrictSerializer):
    body = Text(max_length=BODY_MAX_LENGTH, help_text="The comment: what should change, and why.")
    quote = TextQuoteSelectorInput()
    position = TextPositionSelectorInput()


class ReplyCreateSerializer(StrictSerializer):
    body = Text(max_length=BODY_MAX_LENGTH)


class CommentReasonSerializer(StrictSerializer):
    reason = ReasonField(help_text="Why: shown with the comment and kept in the audit trail with your name.")


# --- Output --------------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


def person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


class TextQuoteSelectorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector"])
    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)


class TextPositionSelectorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TextPositionSelector"])
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class SelectorSerializer(serializers.Serializer):
    """A W3C selector: a TextQuoteSelector or a TextPositionSelector (told apart by ``type``)."""

    type = serializers.ChoiceField(choices=["TextQuoteSelector", "TextPositionSelector"])
    exact = serializers.CharField(required=False)
    prefix = serializers.CharField(required=False, allow_blank=True)
    suffix = serializers.CharField(required=False, allow_blank=True)
    start = serializers.IntegerField(required=False)
    end = serializers.IntegerField(required=False)


def selectors(passage: Any) -> list[dict[str, Any]]:
    """The W3C selectors of a comment's target or a found anchor (none for a removed passage)."""
    if getattr(passage, "match", None) == AnchorMatch.REMOVED:
        return []
    return [
        {
            "type": "TextQuoteSelector",
            "exact": passage.exact,
            "prefix": passage.prefix,
            "suffix": passage.suffix,
        },
        {"type": "TextPositionSelector", "start": passage.start, "end": passage.end},
    ]


class TargetSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version number these selectors count in.")
    selector = SelectorSerializer(many=True, help_text="TextQuoteSelector, then TextPositionSelector.")


class AnchorSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    match = serializers.ChoiceField(
        choices=AnchorMatch.choices,
        help_text="original: where it was selected; exact: found unchanged; fuzzy: found with small "
        "edits; removed: the passage is gone (selector is empty; see the comment's target).",
    )
    selector = SelectorSerializer(many=True)


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = CommentReply
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer)
    def get_author(self, reply: CommentReply) -> dict[str, str] | None:
        return person(reply.author)


class ResolutionSerializer(serializers.Serializer):
    by = PersonSerializer()
    at = serializers.DateTimeField()
    reason = serializers.CharField()


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=CommentState.choices, read_only=True)
    resolved = serializers.SerializerMethodField(help_text="Who resolved it, when and why; null while open.")
    target = serializers.SerializerMethodField(help_text="The passage as the reviewer selected it.")
    replies = ReplySerializer(many=True, read_only=True)

    class Meta:
        model = ReviewComment
        fields = ["id", "author", "body", "created_at", "state", "resolved", "target", "replies"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer)
    def get_author(self, comment: ReviewComment) -> dict[str, str] | None:
        return person(comment.author)

    @extend_schema_field(ResolutionSerializer(allow_null=True))
    def get_resolved(self, comment: ReviewComment) -> dict[str, Any] | None:
        if comment.state != CommentState.RESOLVED:
            return None
        return {"by": person(comment.resolved_by), "at": comment.resolved_at, "reason": comment.resolution}

    @extend_schema_field(TargetSerializer)
    def get_target(self, comment: ReviewComment) -> dict[str, Any]:
        return {"version": comment.version.number, "selector": selectors(comment)}


class AnchoredCommentSerializer(CommentSerializer):
    """A comment as seen in one version: the comment, with ``anchor_here`` (its anchor in that
    version) set on it by the view."""

    anchor = serializers.SerializerMethodField(help_text="Where the passage is in the version asked for.")

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "anchor"]
        read_only_fields = fields

    @extend_schema_field(AnchorSerializer)
    def get_anchor(self, comment: ReviewComment) -> dict[str, Any]:
        anchor = comment.anchor_here
        return {"version": anchor.version.number, "match": anchor.match, "selector": selectors(anchor)}


def with_anchor(anchor: CommentAnchor) -> ReviewComment:
    comment = anchor.comment
    comment.anchor_here = anchor
    return comment

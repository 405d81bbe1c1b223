"""The review comments' API: a version's comments with their anchors and replies, a board
member's new comment, replies, resolving and reopening. Thin views: validate, call one service or
selector, render."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from articles.models import ArticleVersion
from config.api.errors import FORBIDDEN, error_response
from config.idempotency.decorators import idempotent
from editorial.comments import selectors, services
from editorial.comments.exceptions import CommentNotFound
from editorial.comments.models import ReviewComment
from editorial.comments.serializers import (
    AnchoredCommentSerializer,
    CommentCreateSerializer,
    CommentReasonSerializer,
    CommentSerializer,
    ReplyCreateSerializer,
    ReplySerializer,
    with_anchor,
)
from reviewers.permissions import IsEditorOrBoardMember

NOT_FOUND = {404: error_response("No such article, version or comment, or it is not yours to see.")}
COMMENT_STATE = {
    409: error_response("The comment is already in that state (resolved, or open), or the review is closed.")
}


def _version_or_404(slug: str, number: int) -> ArticleVersion:
    return get_object_or_404(
        ArticleVersion.objects.select_related("article"), article__slug=slug, number=number
    )


def _anchored(comment: ReviewComment, version: ArticleVersion) -> dict[str, Any]:
    anchor = comment.anchors.select_related("version").get(version=version)
    comment = selectors.comments_with_thread().get(pk=comment.pk)
    comment.anchor_here = anchor
    return AnchoredCommentSerializer(comment).data


@extend_schema(tags=["comments"])
class VersionCommentListView(generics.ListAPIView):
    """The review comments anchored in a version (written on it, or carried to it from an earlier
    one), in the order of the text, with their anchors there and their replies. Editors see every
    comment; a board member sees their own. POST: a board member reviewing this version comments on
    a passage of it, named by W3C Web Annotation selectors over the version's plain text (the text
    content of its rendered body)."""

    serializer_class = AnchoredCommentSerializer
    permission_classes = [IsEditorOrBoardMember]
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        version = _version_or_404(self.kwargs["slug"], self.kwargs["number"])
        return selectors.version_anchors(version=version, user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = AnchoredCommentSerializer([with_anchor(anchor) for anchor in page], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=CommentCreateSerializer,
        responses={
            201: AnchoredCommentSerializer,
            400: error_response(
                "Invalid input, or the selectors do not match the version's text (see fields)."
            ),
            **FORBIDDEN,
            **NOT_FOUND,
        },
    )
    @idempotent
    def post(self, request: Request, slug: str, number: int) -> Response:
        version = _version_or_404(slug, number)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote, position = data["quote"], data["position"]
        comment = services.comment_create(
            actor=request.user,
            version=version,
            body=data["body"],
            exact=quote["exact"],
            prefix=quote.get("prefix"),
            suffix=quote.get("suffix"),
            start=position["start"],
            end=position["end"],
        )
        return Response(_anchored(comment, version), status=status.HTTP_201_CREATED)


class CommentActionView(generics.GenericAPIView):
    """Base for a step on one comment: a comment the user may not see is not found (404)."""

    permission_classes = [IsEditorOrBoardMember]

    def get_comment(self, pk: int) -> ReviewComment:
        try:
            return selectors.comments_visible_to(self.request.user).get(pk=pk)
        except ReviewComment.DoesNotExist:
            raise CommentNotFound("No such comment, or it is not yours to see.") from None


@extend_schema(
    tags=["comments"],
    request=ReplyCreateSerializer,
    responses={201: ReplySerializer, **FORBIDDEN, **NOT_FOUND},
)
class CommentReplyView(CommentActionView):
    """Reply in a comment's thread: editors, editors-in-chief and the comment's author."""

    serializer_class = ReplyCreateSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        comment = self.get_comment(pk)
        serializer = ReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = services.comment_reply(
            actor=request.user, comment=comment, body=serializer.validated_data["body"]
        )
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


def _comment_response(pk: int) -> Response:
    return Response(CommentSerializer(selectors.comments_with_thread().get(pk=pk)).data)


@extend_schema(
    tags=["comments"],
    request=CommentReasonSerializer,
    responses={200: CommentSerializer, **FORBIDDEN, **NOT_FOUND, **COMMENT_STATE},
)
class CommentResolveView(CommentActionView):
    """Mark the comment resolved, saying why: editors, editors-in-chief and the comment's author."""

    serializer_class = CommentReasonSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        comment = self.get_comment(pk)
        serializer = CommentReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.comment_resolve(
            actor=request.user, comment=comment, reason=serializer.validated_data["reason"]
        )
        return _comment_response(pk)


@extend_schema(
    tags=["comments"],
    request=CommentReasonSerializer,
    responses={200: CommentSerializer, **FORBIDDEN, **NOT_FOUND, **COMMENT_STATE},
)
class CommentReopenView(CommentActionView):
    """Open a resolved comment again, saying why (its resolution stays in the history)."""

    serializer_class = CommentReasonSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        comment = self.get_comment(pk)
        serializer = CommentReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.comment_reopen(
            actor=request.user, comment=comment, reason=serializer.validated_data["reason"]
        )
        return _comment_response(pk)

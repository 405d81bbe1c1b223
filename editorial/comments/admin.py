"""The review comments on the board's review page (the admin): the comments shown beside the
version, and the forms the page's script (editorial/static/editorial/review-comments.js) and
the reviewer use to comment on a selected passage, reply and resolve.

Wired into ``editorial.admin.review_desk.ReviewAssignmentAdmin`` by two hooks: its review
context calls ``review_comments_context`` and its ``get_urls`` adds ``review_comment_urls``.
Every view checks that the review page is the user's to see; the services check the rest (only
the reviewer of an open review comments; only the author or an editor replies and resolves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from editorial.comments import selectors, services
from editorial.comments.models import BODY_MAX_LENGTH, CONTEXT_MAX_LENGTH, QUOTE_MAX_LENGTH, ReviewComment
from editorial.comments.serializers import with_anchor
from editorial.models import ReviewAssignment

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


class CommentForm(forms.Form):
    """What the page's script sends for a selected passage: the W3C selectors' values."""

    body = forms.CharField(max_length=BODY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}))
    exact = forms.CharField(max_length=QUOTE_MAX_LENGTH, strip=False, widget=forms.HiddenInput)
    prefix = forms.CharField(
        max_length=CONTEXT_MAX_LENGTH, strip=False, required=False, widget=forms.HiddenInput
    )
    suffix = forms.CharField(
        max_length=CONTEXT_MAX_LENGTH, strip=False, required=False, widget=forms.HiddenInput
    )
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        # A form post sends every line break as CRLF; the version's text has LF only.
        data = super().clean()
        for name in ("exact", "prefix", "suffix"):
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\r\n", "\n")
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(max_length=BODY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    reason = forms.CharField(max_length=2000)


def _url(name: str, assignment: ReviewAssignment, *args: Any) -> str:
    return reverse(f"admin:editorial_reviewassignment_{name}", args=[assignment.pk, *args])


def review_comments_context(request: HttpRequest, assignment: ReviewAssignment) -> dict[str, Any]:
    """The comments the user may see on the version under review (written on it or carried to
    it), and whether they may comment: the reviewer, while their review is open."""
    version = assignment.round.version
    comments = [
        with_anchor(anchor) for anchor in selectors.version_anchors(version=version, user=request.user)
    ]
    for comment in comments:
        comment.is_mine = comment.author_id == request.user.pk
        comment.reply_url = _url("comment_reply", assignment, comment.pk)
        comment.resolve_url = _url("comment_resolve", assignment, comment.pk)
    is_reviewer = assignment.reviewer.user_id == request.user.pk
    return {
        "review_comments": comments,
        "may_comment": is_reviewer and assignment.is_open and assignment.round.is_open,
        "comment_create_url": _url("comment_create", assignment),
    }


def _assignment_or_404(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> ReviewAssignment:
    assignment = model_admin.get_object(request, object_id)
    if assignment is None:
        raise Http404("No such review, or it is not yours.")
    if not model_admin.has_view_permission(request, assignment):
        raise PermissionDenied
    return assignment


def _comment_or_404(request: HttpRequest, assignment: ReviewAssignment, comment_id: int) -> ReviewComment:
    """A comment shown on this review page: visible to the user and anchored in its version."""
    try:
        return selectors.comments_visible_to(request.user).get(
            pk=comment_id, anchors__version_id=assignment.round.version_id
        )
    except ReviewComment.DoesNotExist:
        raise Http404("No such comment on this review.") from None


def _back(assignment: ReviewAssignment, anchor: str = "review-comments") -> HttpResponseRedirect:
    return HttpResponseRedirect(_url("change", assignment) + f"#{anchor}")


def _refused(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, str(error))


def _form_errors(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(errors)}" for name, errors in form.errors.items()
    )


def review_comment_urls(model_admin: ModelAdmin) -> list[URLPattern]:
    """The review page's comment forms, each posted to a URL under the review."""

    def view(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return model_admin.admin_site.admin_view(require_POST(function))

    def create(request: HttpRequest, object_id: str) -> HttpResponse:
        assignment = _assignment_or_404(model_admin, request, object_id)
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Your comment was not saved. " + _form_errors(form))
            return _back(assignment)
        data = form.cleaned_data
        try:
            comment = services.comment_create(
                actor=request.user,
                version=assignment.round.version,
                body=data["body"],
                exact=data["exact"],
                prefix=data["prefix"],
                suffix=data["suffix"],
                start=data["start"],
                end=data["end"],
            )
        except (ApplicationError, ValidationError) as error:
            _refused(request, error)
            return _back(assignment)
        messages.success(request, "Your comment is saved; the editors will answer it here.")
        return _back(assignment, f"comment-{comment.pk}")

    def reply(request: HttpRequest, object_id: str, comment_id: int) -> HttpResponse:
        assignment = _assignment_or_404(model_admin, request, object_id)
        comment = _comment_or_404(request, assignment, comment_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Your reply was not saved. " + _form_errors(form))
            return _back(assignment, f"comment-{comment.pk}")
        try:
            services.comment_reply(actor=request.user, comment=comment, body=form.cleaned_data["body"])
        except (ApplicationError, ValidationError) as error:
            _refused(request, error)
        else:
            messages.success(request, "Your reply is saved.")
        return _back(assignment, f"comment-{comment.pk}")

    def resolve(request: HttpRequest, object_id: str, comment_id: int) -> HttpResponse:
        assignment = _assignment_or_404(model_admin, request, object_id)
        comment = _comment_or_404(request, assignment, comment_id)
        form = ResolveForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the comment is resolved; it is kept with it.")
            return _back(assignment, f"comment-{comment.pk}")
        try:
            services.comment_resolve(actor=request.user, comment=comment, reason=form.cleaned_data["reason"])
        except (ApplicationError, ValidationError) as error:
            _refused(request, error)
        else:
            messages.success(request, "The comment is resolved.")
        return _back(assignment, f"comment-{comment.pk}")

    return [
        path("<path:object_id>/comments/", view(create), name="editorial_reviewassignment_comment_create"),
        path(
            "<path:object_id>/comments/<int:comment_id>/reply/",
            view(reply),
            name="editorial_reviewassignment_comment_reply",
        ),
        path(
            "<path:object_id>/comments/<int:comment_id>/resolve/",
            view(resolve),
            name="editorial_reviewassignment_comment_resolve",
        ),
    ]

"""The editors-in-chief's desk in the admin (/admin/desk/): what stalls the board's reviews on one
page, and the chief's actions on it.

The page lists the override requests waiting for a chief, the overdue reviews by reviewer, the
rounds short of reviewers or needing a specialist, each reviewer's load and the age of their open
reviews, and the articles whose review falls due in the next 30 days (``desk_selectors``: a fixed
number of queries). Its actions (extend due dates, one or many; reassign a review; grant or
decline an override request) call the workflow services, which do the checking: a refusal is
shown as a message and changes nothing. Only editors-in-chief may open any of it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format

import config.api.converters  # noqa: F401  (registers the "id" converter)
from config.audit import REASON_MAX_LENGTH
from config.errors import ApplicationError, refusal_message
from editorial import services
from editorial.models import ReviewAssignment
from editorial.staffing import desk_selectors, overrides
from editorial.webhooks import selectors as webhook_selectors
from reviewers.models import BoardMember
from reviewers.roles import is_editor_in_chief

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

TEMPLATES = "editorial/admin/"
# A new due date is the end of the day chosen (UTC, like every time in the system).
DUE_TIME = datetime.time(23, 59)


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y H:i") + " UTC"


# --- Forms ----------------------------------------------------------------------------------------


# An id the database can hold: SQLite answers a larger integer in an IN list with an error.
_ID = re.compile(r"[0-9]{1,18}")


class ReviewsField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not _ID.fullmatch(str(pk)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Kept in the audit trail with your name.")
        super().__init__(
            max_length=REASON_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
            error_messages={"required": "Give a reason: it is kept in the audit trail with your name."},
            **kwargs,
        )


class ExtendForm(forms.Form):
    due_date = forms.DateField(
        label="New due date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Due at the end of that day (23:59 UTC).",
        error_messages={"required": "Choose the new due date."},
    )
    reason = ReasonField()

    def due_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.cleaned_data["due_date"], DUE_TIME))


class BulkExtendForm(ExtendForm):
    assignments = ReviewsField(
        queryset=ReviewAssignment.objects.select_related("round", "reviewer"),
        error_messages={"required": "Tick the reviews to extend."},
    )


class ReassignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=BoardMember.objects.all(),
        error_messages={"required": "Choose the member who should review it instead."},
    )
    override = forms.BooleanField(
        required=False,
        label="Override the specialty rule: show members of other specialties",
        widget=forms.CheckboxInput(attrs={"class": "desk-override-toggle"}),
    )
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Override reason",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why a member of another specialty should review it.",
    )
    reason = ReasonField()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("override") and not (cleaned.get("override_reason") or "").strip():
            self.add_error("override_reason", "Say why a member of another specialty may review it.")
        return cleaned


class GrantForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=BoardMember.objects.all(),
        error_messages={"required": "Choose the member to assign."},
    )
    override_reason = forms.CharField(
        max_length=2000,
        label="Override reason",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why this member may review outside the article's specialty; kept on the assignment.",
        error_messages={"required": "Say why this member may review outside the specialty."},
    )


class DeclineForm(forms.Form):
    reason = ReasonField(help_text="Why there will be no override; the editor who asked reads it.")


def _invalid(request: HttpRequest, *forms_: forms.Form) -> None:
    problems = [
        str(message)
        for form in forms_
        if form.is_bound
        for errors in form.errors.values()
        for message in errors
    ]
    messages.error(request, "Nothing was changed. " + " ".join(problems))


def _submitted(request: HttpRequest, action: str, form: forms.Form) -> bool:
    """Whether this POST is ``action`` (its submit button's name), and its form valid."""
    return request.method == "POST" and f"_{action}" in request.POST and form.is_valid()


def _bound(request: HttpRequest, action: str, form_class: type[forms.Form], **kwargs: Any) -> forms.Form:
    """The form of ``action``, bound when this POST is that action."""
    data = request.POST if request.method == "POST" and f"_{action}" in request.POST else None
    return form_class(data, prefix=action, **kwargs)


# --- Views ----------------------------------------------------------------------------------------


class Desk:
    def __init__(self, site: AdminSite) -> None:
        self.site = site

    def urls(self) -> list[URLPattern]:
        def view(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.site.admin_view(self._chiefs_only(function))

        return [
            path("desk/", view(self.desk), name="editorial_desk"),
            path("desk/reviews/<id:pk>/", view(self.review), name="editorial_desk_review"),
            path("desk/rounds/<id:pk>/", view(self.round), name="editorial_desk_round"),
            path("desk/override-requests/<id:pk>/", view(self.override), name="editorial_desk_override"),
        ]

    @staticmethod
    def _chiefs_only(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if not is_editor_in_chief(request.user):
                raise PermissionDenied("The desk is for editors-in-chief.")
            return function(request, **kwargs)

        view.__name__ = function.__name__
        return view

    def _render(self, request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
        return TemplateResponse(
            request,
            TEMPLATES + template,
            {
                **self.site.each_context(request),
                "title": title,
                "desk_url": reverse("admin:editorial_desk"),
                **context,
            },
        )

    # --- The desk ---------------------------------------------------------------------------------

    def desk(self, request: HttpRequest) -> HttpResponse:
        form = BulkExtendForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not form.is_valid():
                _invalid(request, form)
            else:
                chosen = list(form.cleaned_data["assignments"])
                try:
                    services.extend_due_dates(
                        actor=request.user,
                        assignments=chosen,
                        due_at=form.due_at(),
                        reason=form.cleaned_data["reason"],
                    )
                except (ApplicationError, ValidationError) as error:
                    messages.error(request, "Nothing was changed. " + refusal_message(error))
                else:
                    reviews = "review" if len(chosen) == 1 else "reviews"
                    messages.success(request, f"{len(chosen)} {reviews} now due {_when(form.due_at())}.")
                    return HttpResponseRedirect(request.path)
        now = timezone.now()
        overdue = list(desk_selectors.overdue_reviews())
        return self._render(
            request,
            "desk.html",
            "Editors-in-chief's desk",
            now=now,
            override_requests=list(desk_selectors.open_override_requests()),
            overdue=overdue,
            overdue_reviewers=len({review.reviewer_id for review in overdue}),
            stuck_rounds=list(desk_selectors.stuck_rounds()),
            reviewers=list(desk_selectors.reviewer_loads(now)),
            due_articles=list(desk_selectors.articles_due_for_review(now)),
            due_within_days=desk_selectors.DUE_WITHIN_DAYS,
            failing_webhooks=webhook_selectors.failing(),
            long_open_days=desk_selectors.LONG_OPEN_DAYS,
            form=form,
            selected=set(form.data.getlist("assignments")) if form.is_bound else set(),
        )

    # --- One review: extend its due date, or reassign it -----------------------------------------

    def review(self, request: HttpRequest, pk: int) -> HttpResponse:
        assignment = desk_selectors.open_review(pk)
        if assignment is None:
            raise Http404("No review with this id.")
        extend = _bound(request, "extend", ExtendForm)
        reassign = _bound(request, "reassign", ReassignForm)
        if _submitted(request, "extend", extend):
            try:
                services.extend_due_dates(
                    actor=request.user,
                    assignments=[assignment],
                    due_at=extend.due_at(),
                    reason=extend.cleaned_data["reason"],
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, "Nothing was changed. " + refusal_message(error))
            else:
                messages.success(
                    request,
                    f"{assignment.reviewer.display_name}'s review is now due {_when(extend.due_at())}.",
                )
                return HttpResponseRedirect(request.path)
        elif _submitted(request, "reassign", reassign):
            data = reassign.cleaned_data
            try:
                new = services.reassign(
                    actor=request.user,
                    assignment=assignment,
                    reviewer=data["reviewer"],
                    reason=data["reason"],
                    override_reason=data["override_reason"] if data["override"] else "",
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, "Nothing was changed. " + refusal_message(error))
            else:
                title = assignment.round.version.title
                messages.success(
                    request,
                    f"Reassigned: {new.reviewer.display_name} now reviews “{title}”, due "
                    f"{_when(new.due_at)}; {assignment.reviewer.display_name}'s review is cancelled.",
                )
                return HttpResponseRedirect(reverse("admin:editorial_desk"))
        elif request.method == "POST":
            _invalid(request, extend, reassign)
        choices = desk_selectors.round_choices(assignment.round) if assignment.is_open else None
        return self._render(
            request,
            "desk_review.html",
            f"Review of “{assignment.round.version.title}”",
            assignment=assignment,
            choices=choices,
            extend=extend,
            reassign=reassign,
            chosen_reviewer=str(reassign["reviewer"].value() or ""),
        )

    # --- One round: who could take it -----------------------------------------------------------

    def round(self, request: HttpRequest, pk: int) -> HttpResponse:
        round = desk_selectors.staffing_round(pk)
        if round is None:
            raise Http404("No review round with this id.")
        return self._render(
            request,
            "desk_round.html",
            f"Staffing of “{round.version.title}”",
            round=round,
            choices=desk_selectors.round_choices(round, with_others=False),
            override_requests=list(
                round.override_requests.select_related("requested_by", "resolved_by").order_by(
                    "-requested_at"
                )
            ),
        )

    # --- One override request: grant or decline it ----------------------------------------------

    def override(self, request: HttpRequest, pk: int) -> HttpResponse:
        override = desk_selectors.override_request(pk)
        if override is None:
            raise Http404("No override request with this id.")
        grant = _bound(
            request,
            "grant",
            GrantForm,
            initial={"member": override.member_id} if override.member_id else None,
        )
        decline = _bound(request, "decline", DeclineForm)
        if _submitted(request, "grant", grant):
            member = grant.cleaned_data["member"]
            try:
                overrides.grant_override(
                    actor=request.user,
                    request=override,
                    member=member,
                    override_reason=grant.cleaned_data["override_reason"],
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, "Nothing was changed. " + refusal_message(error))
            else:
                title = override.round.version.title
                messages.success(
                    request, f"Override granted: {member.display_name} is assigned to “{title}”."
                )
                return HttpResponseRedirect(reverse("admin:editorial_desk"))
        elif _submitted(request, "decline", decline):
            try:
                overrides.decline_override(
                    actor=request.user, request=override, reason=decline.cleaned_data["reason"]
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, "Nothing was changed. " + refusal_message(error))
            else:
                messages.success(
                    request,
                    f"Override request declined; {override.requested_by.get_username()} can read why.",
                )
                return HttpResponseRedirect(reverse("admin:editorial_desk"))
        elif request.method == "POST":
            _invalid(request, grant, decline)
        return self._render(
            request,
            "desk_override.html",
            f"Override request for “{override.round.version.title}”",
            override=override,
            choices=desk_selectors.round_choices(override.round),
            grant=grant,
            decline=decline,
            chosen_member=str(grant["member"].value() or ""),
        )


def install(site: AdminSite) -> None:
    """Serve the desk under ``site`` (/admin/desk/) and give the index the link to it for
    editors-in-chief. The desk is not a model's admin, so it joins the site's own URLs."""
    desk = Desk(site)
    site_urls, site_index = site.get_urls, site.index

    def get_urls() -> list[URLPattern]:
        return desk.urls() + site_urls()

    def index(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        link = reverse("admin:editorial_desk") if is_editor_in_chief(request.user) else None
        return site_index(request, {"chiefs_desk_url": link, **(extra_context or {})})

    site.get_urls = get_urls  # type: ignore[method-assign]
    site.index = index  # type: ignore[method-assign]

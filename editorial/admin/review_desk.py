"""The board members' review desk in the Django admin, and the editors-in-chief's view of every
review.

A board member sees only their own assignments: their queue (open reviews by due date, overdue
ones marked) and, for each, a review page with the version rendered from Markdown, its references,
what changed since the last approved version, and one decision form. An editor-in-chief sees every
assignment and can reassign one. Every decision and reassignment goes through editorial.services,
which does the checking; a refusal is shown as a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from articles.diff import diff_versions
from articles.provenance import Provenance
from articles.rendering import render_markdown
from config.admin import ReadOnlyHistoryAdmin
from config.errors import ApplicationError, refusal_message
from editorial import selectors, services
from editorial.admin.review_history import describe_review_record
from editorial.models import OPEN_ASSIGNMENT_STATES, Decision, ReviewAssignment
from reviewers.models import BoardMember
from reviewers.roles import board_member_of, is_editor_in_chief

DECLINE = "decline"

# The queue's marker on a version a model wrote (a person's has none).
QUEUE_MARKERS = {Provenance.AI_GENERATED: "AI draft", Provenance.AI_ASSISTED: "AI-assisted"}


DIFF_VIEWS = ("inline", "side-by-side")


def _diff_context(request: HttpRequest, round: Any) -> dict[str, Any]:
    """What changed in the round's version, against the base recorded when the round opened (so
    the same for every viewer, open or closed, whatever was published since); ``?diff=`` chooses
    the inline or the side-by-side view."""
    base, version = round.base_version, round.version
    if base is None:
        return {"diff_note": "This is the article's first review: there is no approved version to compare."}
    if base.pk == version.pk:
        return {
            "diff_note": f"A re-review: version {version.number} is the approved text, unchanged since "
            "it was approved."
        }
    diff = diff_versions(base, version)
    view = request.GET.get("diff")
    # Sanitised by nh3 in articles.diff_html; the references' lines are built from escaped text.
    return {
        "diff_note": f"What changed from version {base.number}, the approved version when this review "
        f"opened, to version {version.number}.",
        "version_diff": diff,
        "diff_view": view if view in DIFF_VIEWS else "inline",
        "diff_html": mark_safe(diff.html),  # noqa: S308
        "diff_base_html": mark_safe(diff.base_html),  # noqa: S308
        "diff_version_html": mark_safe(diff.version_html),  # noqa: S308
        "diff_references": [(change, mark_safe(change.html)) for change in diff.references],  # noqa: S308
    }


# The review comments app builds on this one: its hooks on the review page are imported when
# called, not at the top (editorial/comments/admin.py).
def _citable_comments(assignment: ReviewAssignment) -> Any:
    from editorial.comments.selectors import citable_comments

    return citable_comments(assignment)


def _review_comments_context(request: HttpRequest, assignment: ReviewAssignment) -> dict[str, Any]:
    from editorial.comments.admin import review_comments_context

    return review_comments_context(request, assignment)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[*Decision.choices, (DECLINE, "Decline this review")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="Required unless you approve or cite your comments: the editors act on it, and it is "
        "kept in the audit trail.",
    )
    cited_comments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Cite your comments on the text",
        help_text="Citing a comment counts as saying what must change; the editors see its passage and text.",
    )

    def __init__(self, *args: Any, citable: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cited_comments"].choices = [
            (comment.pk, f"“{Truncator(comment.exact).chars(80)}”: {Truncator(comment.body).chars(120)}")
            for comment in citable
        ]

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the workflow service's field errors on this form: its ``comment`` and, for a
        decline, the ``reason`` it records are both what the member typed as the comment."""
        for field, messages_ in error.message_dict.items():
            self.add_error("comment" if field in ("comment", "reason") else None, messages_)


class ReassignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        queryset=BoardMember.objects.filter(is_active=True).order_by("display_name")
    )
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Only if the member is outside the article's specialty: why they should review it.",
    )
    reason = forms.CharField(max_length=2000, help_text="Kept in the audit trail with your name.")


class ReviewListFilter(admin.SimpleListFilter):
    title = "reviews"
    parameter_name = "show"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "To do"), ("overdue", "Overdue"), ("closed", "Done or closed"), ("all", "All")]

    def choices(self, changelist: Any) -> Any:
        # "To do" is the default, so the queue opens on what needs doing.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "open") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or "open"
        if value == "open":
            return queryset.open()
        if value == "overdue":
            return queryset.overdue()
        if value == "closed":
            return queryset.exclude(state__in=OPEN_ASSIGNMENT_STATES)
        return queryset


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ReadOnlyHistoryAdmin):
    ordering = ["due_at", "pk"]
    list_per_page = 50
    search_fields = ["round__article__title", "round__article__slug"]
    review_template = "editorial/admin/review_assignment.html"

    class Media:
        css = {"all": ["editorial/admin.css"]}

    # --- Who sees what -----------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewAssignment]:
        return (
            selectors.review_desk_assignments(request.user)
            .select_related("round__article__specialty")
            .annotate(
                article_title=F("round__version__title"),
                version_number=F("round__version__number"),
                version_provenance=F("round__version__provenance"),
            )
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_use(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> bool:
        return self._may_use(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> bool:
        return self._may_use(request, obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews are assigned through the workflow (API or reassign)

    def has_delete_permission(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> bool:
        return False

    def history_event(self, record: Any, previous: Any | None) -> str | None:
        return describe_review_record(record, previous)

    def _may_use(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> bool:
        if is_editor_in_chief(request.user):
            return True
        member = board_member_of(request.user)
        return member is not None and (obj is None or obj.reviewer_id == member.pk)

    def get_urls(self) -> list[Any]:
        from editorial.comments.admin import review_comment_urls

        # Before the admin's own: its "<object_id>/" pattern would take these paths otherwise.
        return review_comment_urls(self) + super().get_urls()

    # --- The queue ---------------------------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = ["article", "specialty", "risk", "version", "due", "state"]
        if is_editor_in_chief(request.user):
            columns[1:1] = ["reviewer"]
        return columns

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        if is_editor_in_chief(request.user):
            return [ReviewListFilter, "reviewer", "round__article__specialty"]
        return [ReviewListFilter]

    @admin.display(description="Article", ordering="round__version__title")
    def article(self, assignment: ReviewAssignment) -> str:
        return assignment.article_title

    @admin.display(description="Specialty", ordering="round__article__specialty__name")
    def specialty(self, assignment: ReviewAssignment) -> str:
        return assignment.round.article.specialty.name

    @admin.display(description="Risk", ordering="round__article__risk_level")
    def risk(self, assignment: ReviewAssignment) -> str:
        return assignment.round.article.get_risk_level_display()

    @admin.display(description="Version", ordering="round__version__number")
    def version(self, assignment: ReviewAssignment) -> str:
        marker = QUEUE_MARKERS.get(assignment.version_provenance)
        if marker is None:
            return str(assignment.version_number)
        return format_html(
            '{} <span class="review-provenance-marker" title="{}">{}</span>',
            assignment.version_number,
            Provenance(assignment.version_provenance).label,
            marker,
        )

    @admin.display(description="Due", ordering="due_at")
    def due(self, assignment: ReviewAssignment) -> str:
        due = timezone.localtime(assignment.due_at).strftime("%d %b %Y")
        if assignment.overdue:
            return format_html(
                '<span class="review-overdue" title="Past its due date">{} · overdue</span>', due
            )
        return due

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        title = "All review assignments" if is_editor_in_chief(request.user) else "Your review queue"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    # --- The review page ---------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        assignment = self.get_object(request, object_id)
        if assignment is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, assignment):
            raise PermissionDenied
        is_reviewer = assignment.reviewer.user_id == request.user.pk
        decision_form = (
            DecisionForm(request.POST or None, citable=_citable_comments(assignment))
            if is_reviewer and assignment.is_open
            else None
        )
        reassign_form = (
            ReassignForm(request.POST or None)
            if is_editor_in_chief(request.user) and not is_reviewer and assignment.is_open
            else None
        )

        if request.method == "POST":
            if not self.has_change_permission(request, assignment):
                raise PermissionDenied
            if decision_form is not None and decision_form.is_valid():
                response = self._decide(request, assignment, decision_form)
                if response is not None:
                    return response
            if reassign_form is not None and reassign_form.is_valid():
                return self._reassign(request, assignment, reassign_form)
            if decision_form is None and reassign_form is None:
                messages.error(request, "This review is closed; there is nothing to decide.")
                return HttpResponseRedirect(request.path)

        context = self._review_context(request, assignment)
        context.update(decision_form=decision_form, reassign_form=reassign_form)
        return TemplateResponse(request, self.review_template, context)

    def _decide(
        self, request: HttpRequest, assignment: ReviewAssignment, form: DecisionForm
    ) -> HttpResponse | None:
        """Record the decision and return to the queue; None when the form is to be shown again
        with the service's field errors (a comment it requires)."""
        decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
        try:
            if decision == DECLINE:
                replacements = services.decline(actor=request.user, assignment=assignment, reason=comment)
                note = f" {len(replacements)} replacement(s) assigned." if replacements else ""
                messages.success(request, f"You declined this review.{note}")
            else:
                services.decide(
                    actor=request.user,
                    assignment=assignment,
                    decision=decision,
                    comment=comment,
                    cited_comments=form.cleaned_data["cited_comments"],
                )
                messages.success(request, f"Your decision is recorded: {Decision(decision).label.lower()}.")
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, refusal_message(error))
                return HttpResponseRedirect(request.path)
            form.add_service_errors(error)
            return None
        except ApplicationError as error:
            messages.error(request, refusal_message(error))
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(reverse("admin:editorial_reviewassignment_changelist"))

    def _reassign(
        self, request: HttpRequest, assignment: ReviewAssignment, form: ReassignForm
    ) -> HttpResponse:
        try:
            new = services.reassign(
                actor=request.user,
                assignment=assignment,
                reviewer=form.cleaned_data["reviewer"],
                reason=form.cleaned_data["reason"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, refusal_message(error))
            return HttpResponseRedirect(request.path)
        messages.success(request, f"Reassigned to {new.reviewer.display_name}.")
        return HttpResponseRedirect(reverse("admin:editorial_reviewassignment_change", args=[new.pk]))

    def _review_context(self, request: HttpRequest, assignment: ReviewAssignment) -> dict[str, Any]:
        round = assignment.round
        article = round.article
        version = round.version
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review: {version.title}",
            "assignment": assignment,
            "article": article,
            "version": version,
            "provenance": version.provenance_record(),
            "provenance_label": version.get_provenance_display(),
            "body_html": mark_safe(render_markdown(version.body)),  # noqa: S308 - sanitised by nh3
            "references": version.references.all(),
            **_diff_context(request, round),
            "other_assignments": round.assignments.exclude(pk=assignment.pk).select_related("reviewer"),
            "history_url": reverse("admin:editorial_reviewassignment_history", args=[assignment.pk]),
            **_review_comments_context(request, assignment),
        }

"""Review rounds in the admin: read-only, with every assignment of the round inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from config.admin import ReadOnlyHistoryAdmin
from editorial.models import ReviewAssignment, ReviewRound


class AssignmentInline(admin.TabularInline):
    model = ReviewAssignment
    fields = [
        "reviewer",
        "state",
        "decision",
        "comment",
        "decided_at",
        "decided_risk_level",
        "decided_specialty",
        "decided_as_specialist",
        "voided_at",
        "void_reason",
        "due_at",
        "override_reason",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewRound)
class ReviewRoundAdmin(ReadOnlyHistoryAdmin):
    """Rounds are written by the workflow only: the admin shows them."""

    list_display = [
        "article",
        "version",
        "base",
        "trigger",
        "opened_at",
        "closed_at",
        "outcome",
        "required_approvals",
    ]
    list_filter = ["outcome", "trigger"]
    list_select_related = ["article", "version__article", "base_version"]
    search_fields = ["article__slug", "article__title"]
    fields = [
        "article",
        "version",
        "base",
        "trigger",
        "opened_by",
        "opened_at",
        "closed_at",
        "outcome",
        "required_approvals",
    ]
    readonly_fields = fields
    inlines = [AssignmentInline]

    @admin.display(description="Compared against", ordering="base_version__number")
    def base(self, round: ReviewRound) -> str:
        """The version the round's reviewers compare with, fixed when it opened."""
        if round.base_version_id is None:
            return "Nothing published (a first review)"
        if round.base_version_id == round.version_id:
            return f"Version {round.base_version.number} itself (a re-review)"
        return f"Version {round.base_version.number}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewRound]:
        return super().get_queryset(request).defer("version__body", "base_version__body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""Admin pieces shared by every app: history pages that can only be read, and a required "reason
for this change" on each edit, recorded on the history rows the edit writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from config.audit import REASON_MAX_LENGTH, audit
from config.object_pages import NotFoundUnlessVisible


class ChangeReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail with your name.",
    )


class ReadOnlyHistoryAdmin(NotFoundUnlessVisible, SimpleHistoryAdmin):
    """An admin whose history pages show the audit trail and never rewrite it.

    simple-history's page for one historical record is a form that saves that record's values over
    the object on POST, for anyone who may view it; ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides
    its button. Here nobody may change history, and the page refuses anything but reading, so a
    status or a review can change only through the workflow services.
    """

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class AuditedModelAdmin(ReadOnlyHistoryAdmin):
    """A model admin whose saves record the signed-in user and the reason they gave.

    Deleting is off: the record of who did what must outlive the objects (deactivate or expire
    them instead).
    """

    form = ChangeReasonForm

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[Any, dict[str, Any]]]:
        fieldsets = list(super().get_fieldsets(request, obj))
        named = {name for _, options in fieldsets for name in options.get("fields", ())}
        if "change_reason" not in named and self.has_change_permission(request, obj):
            fieldsets.append(("Audit", {"fields": ["change_reason"]}))
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        with audit(actor=request.user, reason=form.cleaned_data["change_reason"]):
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        with audit(actor=request.user, reason=form.cleaned_data["change_reason"]):
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

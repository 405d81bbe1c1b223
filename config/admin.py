"""Admin pieces shared by every app: history pages that can only be read, and a required "reason
for this change" on each edit, recorded on the history rows the edit writes."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_field, flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.forms.models import modelform_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

from config.audit import REASON_MAX_LENGTH, audit
from config.history_pages import history_entries, local_time
from config.object_pages import MalformedFiltersRefused, NotFoundUnlessVisible


class ChangeReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail with your name.",
    )


def _recorded_value(record: Any, field: models.Field, empty: str) -> Any:
    """One field of a historical record as text: a related object as its str (or its id, if it is
    gone), a choice as its label, a many-to-many field as the values the record kept."""
    if field.many_to_many:
        if field not in getattr(record, "_history_m2m_fields", ()):
            return "(not kept in the history)"
        target = field.m2m_reverse_field_name()
        return ", ".join(str(getattr(row, target)) for row in getattr(record, field.name).all()) or empty
    if field.is_relation:
        related_id = getattr(record, field.attname)
        if related_id is None:
            return empty
        try:
            return str(getattr(record, field.name))
        except ObjectDoesNotExist:
            return f"{field.related_model._meta.verbose_name} {related_id} (no longer exists)"
    value = getattr(record, field.attname)
    if isinstance(value, datetime.datetime):
        return local_time(value)
    return display_for_field(value, field, empty)


class ReadOnlyHistoryAdmin(NotFoundUnlessVisible, MalformedFiltersRefused, SimpleHistoryAdmin):
    """An admin whose history pages show the audit trail and never rewrite it.

    simple-history's page for one historical record is a form that saves that record's values over
    the object on POST, for anyone who may view it; ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides
    its button. Here nobody may change history, and the page refuses anything but reading, so a
    status or a review can change only through the workflow services.

    That page would also render the admin's form: a select box per relation, listing every object
    of that kind (other articles' rounds, every member, every username) to anyone who may read one
    record. It shows the record's values as text instead.
    """

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- The list of records: one entry per change, written for people (config/history_pages.py)

    object_history_list_template = "admin/history_list.html"

    def history_event(self, record: Any, previous: Any | None) -> str | None:
        """What this record did, in words ("Approved by Dr X"), for models whose changes say more
        than their fields; None shows "Created" or "Changed" and the fields that changed."""
        return None

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Sequence[Any], foreign_keys_are_objs: bool = True
    ) -> None:
        records = list(historical_records)
        entries = history_entries(
            records,
            model=self.model,
            model_admin=self,
            columns=self.get_history_list_display(request),
            describe=self.history_event,
            empty=self.get_empty_value_display(),
        )
        for record, entry in zip(records, entries, strict=True):
            record.history_entry = entry

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only.")
        record = get_object_or_404(
            get_history_model_for_model(self.model),
            **{self.model._meta.pk.attname: object_id, "history_id": version_id},
        )
        obj = record.instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        # simple-history builds its page around an admin form; the page shows this one instead.
        adminform = self._record_form(request, obj, record)
        context = {
            "adminform": adminform,
            "media": self.media,
            "errors": helpers.AdminErrorList(adminform.form, []),
        }
        return super().history_form_view(request, object_id, version_id, {**context, **(extra_context or {})})

    def _record_form(self, request: HttpRequest, obj: Any, record: Any) -> helpers.AdminForm:
        """The admin's fieldsets with every model field read-only, showing the record's values."""
        empty = self.get_empty_value_display()
        displays: dict[str, Callable[[Any], Any]] = {}
        fieldsets = []
        for name, options in self.get_fieldsets(request, obj):
            shown = []
            for field_name in flatten_fieldsets([(name, options)]):
                try:
                    field = self.model._meta.get_field(field_name)
                except FieldDoesNotExist:
                    continue  # a form-only field (the reason for a change) or a computed column
                displays[field_name] = self._display(field, record, empty)
                shown.append(displays[field_name])
            if shown:
                fieldsets.append((name, {**options, "fields": shown}))
        form = modelform_factory(self.model, fields=[])(instance=obj)
        return helpers.AdminForm(form, fieldsets, {}, list(displays.values()), model_admin=self)

    @staticmethod
    def _display(field: models.Field, record: Any, empty: str) -> Callable[[Any], Any]:
        def value(_: Any) -> Any:
            return _recorded_value(record, field, empty)

        value.__name__ = field.name
        value.short_description = field.verbose_name  # type: ignore[attr-defined]
        return value


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

"""The admin's answers to malformed input: the pages of one object are 404 for anything the user
may not see, a changelist whose filters cannot be applied is 400."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, re_path


class NotFoundUnlessVisible(admin.ModelAdmin):
    """A model admin mixin: its change, delete and history pages, and a historical record's page,
    answer 404 when the id is malformed, names nothing, or names an object the signed-in user may
    not see, in that order of checks but with the same answer.

    Django's own pages answer differently for each (a 500 for a malformed id on the history pages,
    a redirect for an unknown id, 403 for an object the user may not see), which also tells someone
    who may not see an object that it exists. Users who may not reach the admin at all are sent to
    the sign-in page first, as before.
    """

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404(f"No {self.opts.verbose_name} with this id that you may see.")
        return obj

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.recorded_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def get_urls(self) -> list[URLPattern]:
        # simple-history's page of one historical record looks both ids up before any check.
        name = f"{self.opts.app_label}_{self.opts.model_name}_simple_history"
        view = self.admin_site.admin_view(self._history_record_view)
        return [
            re_path(url.pattern.regex.pattern, view, name=name)
            if isinstance(url, URLPattern) and url.name == name
            else url
            for url in super().get_urls()
        ]

    def _history_record_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        obj = self.recorded_object(request, unquote(object_id))
        history = self._history_model()
        try:
            version = history._meta.pk.to_python(version_id)
        except ValidationError:
            raise Http404("No such record.") from None
        if not history._default_manager.filter(pk=version, **{self.opts.pk.attname: obj.pk}).exists():
            raise Http404("No such record.")
        return self.history_form_view(request, object_id, version_id, extra_context)

    def recorded_object(self, request: HttpRequest, object_id: str) -> Any:
        """The object whose history is asked for, if the user may see it: as it is, or, once
        deleted, as its history last recorded it (the audit trail outlives the object)."""
        try:
            return self.get_object(request, object_id)
        except Http404:
            history = self._history_model()
            if history is None:
                raise
        try:
            pk = self.opts.pk.to_python(object_id)
        except ValidationError:
            raise Http404("No such object.") from None
        last = history._default_manager.filter(**{self.opts.pk.attname: pk}).order_by("-history_date").first()
        if last is None or self.model._default_manager.filter(pk=pk).exists():
            # Never recorded, or it exists but is not one the user may see.
            raise Http404("No such object.")
        obj = last.instance
        if not self.has_view_or_change_permission(request, obj):
            raise Http404("No such object.")
        return obj

    def _history_model(self) -> Any:
        attribute = getattr(self.opts, "simple_history_manager_attribute", None)
        return getattr(self.model, attribute).model if attribute else None


class MalformedFiltersRefused(admin.ModelAdmin):
    """A model admin mixin: a changelist asked for filters it cannot apply (a date that is not one,
    ``?is_active__exact=2``, a parameter no filter has) answers 400. Django redirects to the list
    with ``?e=1`` instead, which shows every row as if the filter had been applied."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            raise BadRequest(f"These filters cannot be applied: {error}") from None

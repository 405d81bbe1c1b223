"""A history page written for people: one entry per historical record, with when (local time to
the minute, the zone named), who, what happened in words, why, and what changed (each changed
field by its label, old value to new, choices by their labels).

simple-history's own list compares records with ``model_to_dict``, which skips every field that
is not editable in a form (a protected status, the fields only the workflow sets), so its
"Changes" column stayed empty; the comparison here reads every tracked field.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.utils import display_for_field, label_for_field
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

# Describes one record against the one before it (None for the first), in words; None when there
# is nothing to say beyond the fields that changed.
EventDescriber = Callable[[Any, Any | None], str | None]

HISTORY_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}


def local_time(moment: datetime.datetime | None) -> str:
    """A moment as a person reads it: local time (TIME_ZONE) to the minute, the zone named."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'j M Y H:i')} {local.tzname()}"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    record: Any
    when: str
    who: str
    event: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)
    columns: list[tuple[str, Any]] = field(default_factory=list)


class ValueDisplay:
    """Field values of historical records as text, each related object looked up once a page."""

    def __init__(self, empty: str) -> None:
        self.empty = empty
        self._related: dict[tuple[type[models.Model], Any], str] = {}

    def __call__(self, record: Any, model_field: models.Field) -> str:
        value = getattr(record, model_field.attname)
        if value is None or value == "" or value == {} or value == []:
            return self.empty
        if model_field.is_relation:
            key = (model_field.related_model, value)
            if key not in self._related:
                try:
                    self._related[key] = str(getattr(record, model_field.name))
                except ObjectDoesNotExist:
                    name = model_field.related_model._meta.verbose_name
                    self._related[key] = f"{name} {value} (no longer exists)"
            return self._related[key]
        if isinstance(value, datetime.datetime):
            return local_time(value)
        if isinstance(model_field, models.JSONField):
            # A structure (a decision's snapshot) does not read as one line: the record's own
            # page shows it whole.
            return "recorded (shown on this entry's page)"
        return str(display_for_field(value, model_field, self.empty))


def compared_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields whose changes a person reads: every concrete field but the key and the
    timestamps the database stamps on every save."""
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if not model_field.primary_key and not getattr(model_field, "auto_now", False)
    ]


def field_changes(
    record: Any, previous: Any, fields: Iterable[models.Field], show: ValueDisplay
) -> list[FieldChange]:
    return [
        FieldChange(
            capfirst(str(model_field.verbose_name)), show(previous, model_field), show(record, model_field)
        )
        for model_field in fields
        if getattr(record, model_field.attname) != getattr(previous, model_field.attname)
    ]


def who(record: Any) -> str:
    user = record.history_user
    if user is None:
        return "Not recorded"
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def column_label(name: str, model: type[models.Model], model_admin: Any) -> str:
    try:
        return capfirst(str(label_for_field(name, model, model_admin)))
    except AttributeError:  # an attribute of the historical record only
        return capfirst(name.replace("_", " "))


def history_entries(
    records: Sequence[Any],
    *,
    model: type[models.Model],
    model_admin: Any,
    columns: Sequence[str],
    describe: EventDescriber | None,
    empty: str,
) -> list[HistoryEntry]:
    """The entries for one page of records, newest first, as simple-history lists them. The
    oldest record on the page is compared with the one before it (on the next page), if any."""
    show = ValueDisplay(empty)
    fields = compared_fields(model)
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else record.prev_record
        changes = field_changes(record, previous, fields, show) if previous is not None else []
        described = describe(record, previous) if describe else None
        entries.append(
            HistoryEntry(
                record=record,
                when=local_time(record.history_date),
                who=who(record),
                event=described or HISTORY_TYPES.get(record.history_type, ""),
                reason=record.history_change_reason or "",
                changes=changes,
                columns=[
                    (column_label(name, model, model_admin), getattr(record, name, empty)) for name in columns
                ],
            )
        )
    return entries

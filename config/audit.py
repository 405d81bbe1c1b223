"""Who changed what, and why: the acting user and the reason on every history row.

Services wrap their writes in ``with audit(actor=..., reason=...)``. Every model that declares
``history = AuditedHistoricalRecords()`` records that actor and reason on each historical row it
writes inside the block, however deep in the call the save happens. Outside a block (an edit in
the admin) the signed-in user is recorded, as simple-history does by default, and the admin asks
for the reason itself.

This lives in ``config`` because it is project-wide wiring of simple-history that every app uses;
it imports no app.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class AuditContext:
    actor: AbstractBaseUser
    reason: str


_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def clean_reason(reason: str | None) -> str:
    """Return the reason stripped, or raise ``ValidationError`` if it is missing or too long."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError(
            {"reason": "Give a reason for this change; it is kept in the audit trail."},
            code="reason_required",
        )
    if len(cleaned) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."},
            code="reason_too_long",
        )
    return cleaned


@contextmanager
def audit(*, actor: AbstractBaseUser, reason: str) -> Iterator[AuditContext]:
    """Record ``actor`` and ``reason`` on every history row written inside the block."""
    if actor is None or not getattr(actor, "pk", None):
        raise TypeError("audit() needs a saved user as the actor.")
    context = AuditContext(actor=actor, reason=clean_reason(reason))
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_audit() -> AuditContext | None:
    return _current.get()


def _history_user(instance: Any = None, request: HttpRequest | None = None, **kwargs: Any) -> Any:
    context = _current.get()
    if context is not None:
        return context.actor
    return getattr(request, "user", None)


class _HistoryManager(HistoryManager):
    # simple-history builds a new manager class (with inspect.getmembers) every time
    # ``instance.history`` is read, which includes writing each history row; build it once.
    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class: type, class_name: str | None = None) -> type:
        return super().from_queryset(queryset_class, class_name)


class AuditedHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` that takes the actor and reason from the current ``audit()`` block."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", _history_user)
        kwargs.setdefault("history_manager", _HistoryManager)
        super().__init__(**kwargs)

    def get_change_reason_for_object(self, instance: Any, history_type: str, using: Any) -> Any:
        reason = super().get_change_reason_for_object(instance, history_type, using)
        if reason:
            return reason
        context = _current.get()
        return context.reason if context is not None else None

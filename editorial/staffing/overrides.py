"""An editor asks an editor-in-chief for an override; the chief grants it (an assignment from
outside the article's specialty, with the chief's reason) or declines it, saying why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.services import lock_article
from config.audit import audit, clean_reason
from editorial import services
from editorial.exceptions import ActionNotPermitted, WorkflowConflict
from editorial.models import ReviewAssignment, ReviewRound
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from editorial.staffing.selectors import StaffingState, rounds_with_staffing
from reviewers.models import BoardMember
from reviewers.roles import is_editor, is_editor_in_chief

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class OverrideRequestClosed(WorkflowConflict):
    code = "override_request_closed"


@transaction.atomic
def request_override(
    *, actor: AbstractBaseUser, round: ReviewRound, reason: str, member: BoardMember | None = None
) -> OverrideRequest:
    """Ask the editors-in-chief to staff the open ``round`` from outside its specialty (suggesting
    ``member``, or not). Refused when the round is closed or already has the reviewers it needs,
    and when a request for it is already waiting."""
    if not is_editor(actor):
        raise ActionNotPermitted("Only editors can ask for an override.")
    reason = clean_reason(reason)
    with audit(actor=actor, reason=f"Override requested: {reason}"):
        lock_article(round.article_id)
        state = (
            rounds_with_staffing(ReviewRound.objects.filter(pk=round.pk))
            .values("closed_at", "staffing")
            .get()
        )
        if state["closed_at"] is not None:
            raise OverrideRequestClosed("This review round is closed.")
        if state["staffing"] == StaffingState.STAFFED:
            raise WorkflowConflict(
                "This round has the reviewers it needs; nothing to override.", code="round_staffed"
            )
        try:
            with transaction.atomic():
                return OverrideRequest.objects.create(
                    round=round, requested_by=actor, member=member, reason=reason
                )
        except IntegrityError:
            raise WorkflowConflict(
                "An override request for this round is already waiting for an editor-in-chief.",
                code="override_already_requested",
            ) from None


def _lock_open_request(request: OverrideRequest) -> OverrideRequest:
    locked = OverrideRequest.objects.select_for_update().select_related("round").get(pk=request.pk)
    if locked.state != OverrideRequestState.OPEN:
        raise OverrideRequestClosed(f"This request was already {locked.get_state_display().lower()}.")
    return locked


@transaction.atomic
def grant_override(
    *, actor: AbstractBaseUser, request: OverrideRequest, member: BoardMember, override_reason: str
) -> ReviewAssignment:
    """Assign ``member`` to the request's round with the editor-in-chief's override (every other
    eligibility rule still applies), and record the request as granted."""
    if not is_editor_in_chief(actor):
        raise ActionNotPermitted("Only an editor-in-chief can grant an override.")
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise ValidationError(
            {"override_reason": "Say why this member may review outside the specialty."},
            code="override_reason_required",
        )
    lock_article(request.round.article_id)
    locked = _lock_open_request(request)
    assignment = services.assign(
        actor=actor,
        article=locked.round.article,
        reviewer=member,
        reason=f"Override request {locked.pk} granted",
        override_reason=override_reason,
    )
    with audit(actor=actor, reason=f"Granted: {member.display_name} assigned. {override_reason}"):
        _resolve(
            locked, actor, OverrideRequestState.GRANTED, f"{member.display_name} assigned: {override_reason}"
        )
    return assignment


@transaction.atomic
def decline_override(*, actor: AbstractBaseUser, request: OverrideRequest, reason: str) -> OverrideRequest:
    """Record that the editor-in-chief will not override, and why."""
    if not is_editor_in_chief(actor):
        raise ActionNotPermitted("Only an editor-in-chief can decline an override request.")
    reason = clean_reason(reason)
    lock_article(request.round.article_id)
    locked = _lock_open_request(request)
    with audit(actor=actor, reason=f"Override declined: {reason}"):
        _resolve(locked, actor, OverrideRequestState.DECLINED, reason)
    return locked


def _resolve(request: OverrideRequest, actor: AbstractBaseUser, state: str, resolution: str) -> None:
    request.state = state
    request.resolved_by = actor
    request.resolved_at = timezone.now()
    request.resolution = resolution
    request.save(update_fields=["state", "resolved_by", "resolved_at", "resolution"])

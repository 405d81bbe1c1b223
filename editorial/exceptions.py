"""What the review workflow refuses, and why.

Every error has a stable machine-readable ``code``, a message for a person and a ``kind`` that the
API maps to HTTP: ``InvalidTransition`` and ``WorkflowConflict`` are conflicts (409),
``ActionNotPermitted`` is forbidden (403). ``NotEligible`` is a conflict too: a well-formed request
that the state of the member and the round refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from config.errors import ApplicationError, ErrorKind


class WorkflowError(ApplicationError):
    code = "workflow_error"
    kind = ErrorKind.CONFLICT


class InvalidTransition(WorkflowError):
    """The article's status does not allow this step (or a condition of the step is not met)."""

    code = "invalid_transition"
    kind = ErrorKind.CONFLICT

    def __init__(self, message: str, *, status: str, allowed: Sequence[str], code: str | None = None):
        super().__init__(message, code=code, extra={"status": status, "allowed_transitions": list(allowed)})
        self.status = status
        self.allowed = list(allowed)


class WorkflowConflict(WorkflowError):
    """The step cannot happen because of the state of a round or an assignment."""

    code = "conflict"
    kind = ErrorKind.CONFLICT


class AlreadyDecided(WorkflowConflict):
    code = "already_decided"


class AssignmentClosed(WorkflowConflict):
    code = "assignment_closed"


class NoOpenRound(WorkflowConflict):
    code = "no_open_round"


class NoEligibleReviewers(WorkflowConflict):
    code = "no_eligible_reviewers"


class ActionNotPermitted(WorkflowError):
    """The acting user's role does not allow this step."""

    code = "permission_denied"
    kind = ErrorKind.FORBIDDEN


class NotAssigned(ActionNotPermitted):
    code = "not_assigned"


class OverrideNotPermitted(ActionNotPermitted):
    code = "override_not_permitted"


@dataclass(frozen=True)
class IneligibilityReason:
    code: str
    message: str
    overridable: bool = False


class NotEligible(WorkflowError):
    code = "not_eligible"
    kind = ErrorKind.CONFLICT

    def __init__(self, message: str, *, reasons: Sequence[IneligibilityReason]):
        super().__init__(message, extra={"reasons": [asdict(reason) for reason in reasons]})
        self.reasons = list(reasons)

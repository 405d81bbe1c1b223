"""What the review workflow refuses, and why.

Every error has a stable machine-readable ``code`` and a message for a person. The API maps the
classes to HTTP: ``InvalidTransition`` and ``WorkflowConflict`` to 409, ``ActionNotPermitted`` to
403, ``NotEligible`` to 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from config.errors import ApplicationError


class WorkflowError(ApplicationError):
    code = "workflow_error"


class InvalidTransition(WorkflowError):
    """The article's status does not allow this step (or a condition of the step is not met)."""

    code = "invalid_transition"

    def __init__(self, message: str, *, status: str, allowed: Sequence[str], code: str | None = None):
        super().__init__(message, code=code, extra={"status": status, "allowed_transitions": list(allowed)})
        self.status = status
        self.allowed = list(allowed)


class WorkflowConflict(WorkflowError):
    """The step cannot happen because of the state of a round or an assignment."""

    code = "conflict"


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

    def __init__(self, message: str, *, reasons: Sequence[IneligibilityReason]):
        super().__init__(message, extra={"reasons": [asdict(reason) for reason in reasons]})
        self.reasons = list(reasons)

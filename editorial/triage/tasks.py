"""The triage queue's task: a thin edge over ``services.auto_submit``."""

from __future__ import annotations

from celery import shared_task

from editorial.tasks import _RETRYING, _run
from editorial.triage import services


@shared_task(**_RETRYING)
def auto_submit_triage() -> dict[str, int]:
    """Submit the top of the triage queue to the board's free capacity (beat: every
    TRIAGE_AUTO_SUBMIT_EVERY_MINUTES). Does nothing while TRIAGE_AUTO_SUBMIT is off; its log line
    then says ``enabled=0``."""
    return _run("auto_submit_triage", lambda: services.auto_submit().counts())

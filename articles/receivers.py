"""Signal handlers of the articles app, connected in ``articles.apps.ArticlesConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from articles.services import reschedule_reviews
from reviewers.models import Specialty


def specialty_saved(sender: Any, instance: Specialty, raw: bool = False, **kwargs: Any) -> None:
    # Every save, whatever changed: rescheduling to the interval it already had moves nothing.
    if not raw:
        reschedule_reviews(specialty=instance)


def connect() -> None:
    post_save.connect(specialty_saved, sender=Specialty, dispatch_uid="articles_specialty_saved")

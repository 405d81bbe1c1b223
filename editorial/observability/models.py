from __future__ import annotations

from django.db import models


class LastRun(models.Model):
    """When each Celery task last finished, and how long it took: written by the worker, read by
    the web processes (readiness check, metrics), which share no memory with it."""

    name = models.CharField(max_length=100, primary_key=True)
    finished_at = models.DateTimeField()
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"{self.name} at {self.finished_at:%Y-%m-%d %H:%M:%S} ({self.seconds:.3f} s)"

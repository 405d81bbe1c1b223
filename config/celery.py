"""The Celery application: configured from Django settings (the ``CELERY_`` names), tasks found
in each app's ``tasks.py``.

Start a worker with ``celery -A config worker`` and the scheduler with ``celery -A config beat``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("editorial_review")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

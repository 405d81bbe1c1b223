"""Settings of the Celery worker subprocesses that tests/editorial/test_tasks_worker.py starts: the
test settings, with every email spooled to files the test reads back (``EMAIL_SPOOL_DIR``) and
a task abandoned by a vanished worker handed out again within seconds instead of an hour."""

import os

from config.settings_test import *  # noqa: F403

EMAIL_BACKEND = "tests.editorial.mail.SpoolBackend"
EMAIL_SPOOL_DIR = os.environ["EMAIL_SPOOL_DIR"]

CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # no control queues left behind on the broker
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

"""``manage.py check --deploy`` refuses a process-local default cache.

Sign-in lockouts (django-axes) and the API's throttling (DRF) count attempts in the default cache.
With a cache that lives in one process, every web process (gunicorn worker) keeps its own count, so
an attacker gets the limit once per worker; with the dummy cache nothing is counted at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps its counts in each process",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing, so nothing is counted",
}


@register(Tags.security, Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    name = backend.rsplit(".", 1)[-1]
    return [
        Error(
            f"The default cache ({name}) {PROCESS_LOCAL_CACHES[backend]}: with several web "
            "processes, sign-in lockouts and API throttling would not be shared between them.",
            hint="Set CACHE_URL to Redis (for example redis://host:6379/1) so that every web "
            "process shares one count.",
            id="security.E001",
        )
    ]

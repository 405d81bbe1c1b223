"""Skip markers for tests that need a real service; CI (REQUIRE_SERVICES=1) never skips them."""

from __future__ import annotations

import pytest
from django.conf import settings

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
IS_REDIS = settings.CELERY_BROKER_URL.startswith("redis://")

requires_postgres = pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: row locks (SELECT ... FOR UPDATE) and real concurrent connections; "
    "SQLite serialises every writer. Run with DATABASE_URL=postgres://... (bash .ci/run does).",
)

requires_redis = pytest.mark.skipif(
    not IS_REDIS,
    reason="needs the Redis broker: set CELERY_BROKER_URL=redis://... (bash .ci/run does).",
)

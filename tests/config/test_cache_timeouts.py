"""A Redis cache that accepts connections and never answers must not hold a request for good."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from bench.brokers import hung_broker

READ_THE_CACHE = (
    "import django, time; django.setup(); from django.core.cache import cache; started = time.monotonic()\n"
    "try:\n    cache.get('throttle')\nexcept Exception as error:\n    print(type(error).__name__)\n"
    "print(round(time.monotonic() - started, 1))"
)


def test_a_hung_redis_cache_fails_a_read_within_the_socket_timeout(tmp_path: Path):
    with hung_broker() as url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
            "VAR_DIR": str(tmp_path),
            "CACHE_URL": url,
            "CACHE_SOCKET_TIMEOUT": "1",
        }
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", READ_THE_CACHE],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "TimeoutError" in result.stdout
    assert elapsed < 30  # redis-py retries a timed-out read a few times; never for good

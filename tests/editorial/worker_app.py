"""The project's Celery app, as the tests' worker subprocesses load it, with one optional fault.

With ``CRASH_AFTER="module:function:n"`` a pool process kills itself with SIGKILL right after the
n-th call of that function has returned (so whatever it committed stays committed), once per
test (``CRASH_MARKER`` names the file that records the crash): a worker dying mid-task.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
from pathlib import Path

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _install_crash(**kwargs: object) -> None:
    spec = os.environ.get("CRASH_AFTER")
    if not spec:
        return
    module_name, function_name, count = spec.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, function_name)
    marker = Path(os.environ["CRASH_MARKER"])
    calls = 0

    @functools.wraps(original)
    def crashing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == int(count) and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(module, function_name, crashing)

"""Small helpers shared by the tests."""

from __future__ import annotations

import threading

from django.db import connection
from rest_framework.test import APIClient


def client_for(user=None) -> APIClient:
    """An API client signed in as ``user`` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def run_at_once(*steps):
    """Run each step in its own thread and connection, released together; returns what each
    returned or raised."""
    barrier = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def run(index, step):
        try:
            barrier.wait()
            results[index] = step()
        except BaseException as error:  # returned to the test, which asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, step)) for i, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results

"""A throw-away database for benchmarks, next to the configured one.

Benchmarks write thousands of rows that can never be deleted through the application (versions
are immutable), so they run in a scratch database on the configured server (``test_<name>``, as
Django's test runner does) that is dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def scratch_database(*, keep: bool = False, prefix: str = "test_") -> Iterator[str]:
    """``prefix`` names it: another than the test runner's lets a kept one live beside the tests'."""
    original = connection.settings_dict["NAME"]
    if prefix != "test_":
        connection.settings_dict["TEST"] = {**connection.settings_dict["TEST"], "NAME": prefix + original}
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep, serialize=False)
    try:
        yield name
    finally:
        if not keep:
            connection.creation.destroy_test_db(original, verbosity=0, keepdb=False)


class QueryCounter:
    """Counts every SQL statement sent on the default connection while installed."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001 - Django's wrapper signature
        self.count += 1
        return execute(sql, params, many, context)

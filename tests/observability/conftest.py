from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from django.conf import settings


class LogLines:
    """What the configured JSON formatter writes, one parsed object per line."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def where(self, **fields: object) -> list[dict]:
        return [line for line in self.all if all(line.get(k) == v for k, v in fields.items())]


@pytest.fixture
def json_logs() -> Iterator[LogLines]:
    """Every log record at INFO and above, formatted by settings.LOGGING's JSON formatter (the
    production format), collected for the test."""
    options = {key: value for key, value in settings.LOGGING["formatters"]["json"].items() if key != "()"}
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(**options))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield LogLines(handler.stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.contextvars.clear_contextvars()

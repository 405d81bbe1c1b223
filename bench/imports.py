"""The bulk import against the per-object service path, on the same kind of lines.

``make_lines`` makes N import lines like a drafting pipeline's output: a title, a Markdown body of
about 1,500 characters, two references, ``ai_generated`` provenance. Each run imports fresh slugs
(run r uses the prefix ``r<r>-``), so every line creates an article with its version 1, its two
references and their history rows; the runs of the two paths alternate, so a slower minute of the
shared machine falls on both.

- ``bulk import``: ``articles.imports.writer.import_articles`` over all N lines in batches.
- ``service loop``: ``articles.services.create_article`` for each line of a sample (its own
  transaction each, as an API request has), the path the single-article API takes.

Both start from decoded lines (the JSON decoding of a file is the same for both).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from articles import services
from articles.imports.writer import import_articles
from articles.models import Article, ArticleVersion, Reference
from articles.provenance import VersionProvenance
from reviewers.models import Specialty
from reviewers.roles import Role

PARAGRAPH = (
    "Adults with stable symptoms should take the lowest effective dose once daily with food; "
    "check renal function (eGFR) and potassium before starting and after two weeks. "
)


@dataclass
class Run:
    name: str
    articles: int
    seconds: list[float] = field(default_factory=list)
    # CPU seconds of this process and of its PostgreSQL backend per run: on a shared machine the
    # wall-clock rate depends on the other load, the CPU spent does much less.
    cpu: list[tuple[float, float | None]] = field(default_factory=list)

    def rates(self) -> list[float]:
        return [self.articles / seconds for seconds in self.seconds]


def setup() -> tuple[object, Specialty]:
    editor = get_user_model().objects.create_user(username="bench-importer", password=None)
    editor.groups.add(Group.objects.get_or_create(name=str(Role.EDITOR))[0])
    specialty = Specialty.objects.create(name="Cardiology", slug="cardiology")
    return editor, specialty


def make_lines(prefix: str, count: int) -> list[dict]:
    body = "\n\n".join(f"## Section {n}\n\n{PARAGRAPH * 2}" for n in range(1, 5))
    return [
        {
            "slug": f"{prefix}{n}",
            "title": f"What is the usual dose of drug {prefix}{n}?",
            "specialty": "cardiology",
            "risk_level": "standard",
            "body": f"**Drug {n}**\n\n{body}",
            "change_summary": "First draft",
            "references": [
                {
                    "citation": f"Trial {n} of once-daily dosing",
                    "source": "Lancet",
                    "year": 2021,
                    "doi": f"10.1016/S0140-6736(21)0{n % 10000:04d}-1",
                },
                {
                    "citation": "ESC Guidelines 2023",
                    "source": "ESC",
                    "year": 2023,
                    "url": "https://www.escardio.org/guidelines",
                },
            ],  # fmt: skip
            "provenance": "ai_generated",
            "generator": "drafting-pipeline",
            "model_version": "model-2026-10",
            "source_reference": f"job-{prefix}{n}",
        }
        for n in range(count)
    ]


def backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when the server runs on
    this machine (read from /proc), else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def inputs_frozen() -> Iterator[None]:
    """Keep the lines built before a run out of the garbage collector's generations while it runs:
    the benchmark holds all N lines in memory, which the import command, streaming its file, never
    does, and each full collection would scan them all (a fifth of the import's CPU at N=30,000)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def cpu_of(run: Run) -> Iterator[None]:
    process, backend = time.process_time(), backend_cpu()
    yield
    after = backend_cpu()
    run.cpu.append(
        (time.process_time() - process, None if backend is None or after is None else after - backend)
    )


def time_bulk(*, editor: object, lines: list[dict], batch_size: int) -> float:
    started = time.perf_counter()
    outcomes = [
        result.outcome
        for batch in import_articles(
            actor=editor, lines=enumerate(lines, 1), batch_size=batch_size, reason="Benchmark"
        )
        for result in batch
    ]
    seconds = time.perf_counter() - started
    if set(outcomes) != {"created"}:
        raise AssertionError(f"The bulk import did not create every article: {sorted(set(outcomes))}")
    return seconds


def time_reimport(*, editor: object, lines: list[dict], batch_size: int) -> float:
    started = time.perf_counter()
    outcomes = {
        result.outcome
        for batch in import_articles(
            actor=editor, lines=enumerate(lines, 1), batch_size=batch_size, reason="Benchmark"
        )
        for result in batch
    }
    seconds = time.perf_counter() - started
    if outcomes != {"unchanged"}:
        raise AssertionError(f"A re-import wrote something: {sorted(outcomes)}")
    return seconds


def time_service(*, editor: object, specialty: Specialty, lines: list[dict]) -> float:
    started = time.perf_counter()
    for line in lines:
        services.create_article(
            actor=editor,
            slug=line["slug"],
            title=line["title"],
            specialty=specialty,
            body=line["body"],
            reason="Benchmark",
            change_summary=line["change_summary"],
            references=line["references"],
            provenance=VersionProvenance(
                kind=line["provenance"],
                generator=line["generator"],
                model_version=line["model_version"],
                source_reference=line["source_reference"],
            ),
        )
    return time.perf_counter() - started


def analyse() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def counts() -> dict[str, int]:
    return {
        "articles": Article.objects.count(),
        "versions": ArticleVersion.objects.count(),
        "references": Reference.objects.count(),
        "history rows": sum(
            model.history.count()  # type: ignore[attr-defined]
            for model in (Article, ArticleVersion, Reference)
        ),
    }

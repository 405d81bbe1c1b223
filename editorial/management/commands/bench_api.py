from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from articles.models import Article
from bench.api import ENDPOINTS, median, run, serve
from bench.api_data import build, reuse
from bench.scratch_db import scratch_database


class Command(BaseCommand):
    help = (
        "Each list and detail endpoint of the API under gunicorn against a plain Django view over the "
        "same rows, side by side, on N articles in a scratch database (PostgreSQL). Prints requests "
        "per second, p50 and p99 latency and the ratio to the plain view, per endpoint and concurrency."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--articles", type=int, default=10_000, help="N articles (default 10000).")
        parser.add_argument(
            "--seconds", type=float, default=5.0, help="Each measurement's length (default 5)."
        )
        parser.add_argument(
            "--concurrency", type=int, nargs="+", default=[8, 32], help="Concurrent clients (default 8 32)."
        )
        parser.add_argument("--runs", type=int, default=3, help="Runs of every measurement (default 3).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (default 2).")
        parser.add_argument("--threads", type=int, default=4, help="Threads per process (default 4).")
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            choices=[e.name for e in ENDPOINTS],
            help="Measure only these.",
        )
        parser.add_argument("--explain", action="store_true", help="Print each list query's plan first.")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the scratch database afterwards, and reuse one kept with the same N.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        articles, runs, seconds = options["articles"], options["runs"], options["seconds"]
        if articles < 10 or runs < 1 or seconds <= 0 or min(options["concurrency"]) < 1:
            raise CommandError(
                "--articles must be at least 10; --runs, --seconds and --concurrency positive."
            )
        if connection.vendor != "postgresql":
            raise CommandError("bench_api needs PostgreSQL: set DATABASE_URL=postgres://...")
        endpoints = [e for e in ENDPOINTS if not options["only"] or e.name in options["only"]]
        with scratch_database(keep=options["keep"], prefix=f"bench_api_{articles}_") as name:
            loaded = Article.objects.count()
            if loaded not in (0, articles):
                raise CommandError(f"{name} holds {loaded} articles, not {articles}: drop it or use that N.")
            if loaded:
                self.stderr.write(f"Reusing the {loaded} articles kept in {name}.")
                world = reuse(articles=articles)
            else:
                self.stderr.write(f"Loading {articles} articles into {name}...")
                world = build(articles=articles)
            if options["explain"]:
                self._explain(world)
            log = Path(tempfile.gettempdir()) / f"bench_api_{name}.log"
            with serve(workers=options["workers"], threads=options["threads"], log=log) as url:
                self.stderr.write(
                    f"gunicorn at {url} ({options['workers']} x {options['threads']}), log {log}"
                )
                comparisons = run(
                    base_url=url,
                    world=world,
                    endpoints=endpoints,
                    concurrencies=options["concurrency"],
                    seconds=seconds,
                    runs=runs,
                    progress=self.stderr.write,
                )
        self.stdout.write(
            f"{articles} articles; gunicorn {options['workers']} workers x {options['threads']} threads; "
            f"{runs} runs of {seconds:g} s per path and concurrency, API and plain view alternating"
        )
        self.stdout.write("")
        self.stdout.write(
            "| endpoint | clients | API req/s | plain req/s | API p50 / p99 ms | plain p50 / p99 ms "
            "| x plain (each run) | errors |"
        )
        self.stdout.write("|---|--:|--:|--:|--:|--:|--:|--:|")
        for c in comparisons:
            real_rate = median([load.per_second for load in c.real])
            bare_rate = median([load.per_second for load in c.bare])
            real_p = [median([load.percentile_ms(q) for load in c.real]) for q in (0.5, 0.99)]
            bare_p = [median([load.percentile_ms(q) for load in c.bare]) for q in (0.5, 0.99)]
            errors = sum(load.errors for load in c.real + c.bare)
            each = " ".join(f"{ratio:.2f}" for ratio in c.ratios)
            self.stdout.write(
                f"| {c.endpoint.name} | {c.concurrency} | {real_rate:.0f} | {bare_rate:.0f} | "
                f"{real_p[0]:.1f} / {real_p[1]:.1f} | {bare_p[0]:.1f} / {bare_p[1]:.1f} | "
                f"**{median(c.ratios):.2f}** ({each}) | {errors} |"
            )

    def _explain(self, world: Any) -> None:
        """The plan PostgreSQL chooses for each list's first and second page, as the API reads
        them, in each filter and ordering: the scans, their conditions and the time."""
        User = get_user_model()
        client = APIClient(SERVER_NAME="localhost")
        logging.disable(logging.INFO)  # the requests' log lines
        users = {"editor": "bench-editor", "member": "bench-member"}
        for who, path in EXPLAINED:
            client.force_authenticate(User.objects.get(username=users[who]) if who else None)
            path = path.format(slug=world.detail_slug)
            first = client.get(path)
            if first.status_code != 200:
                raise CommandError(f"{path} answered {first.status_code}.")
            pages = [path] + ([first.json()["next"]] if first.json().get("next") else [])
            for page in pages:
                with CaptureQueriesContext(connection) as queries:
                    client.get(page)
                statement = max(queries.captured_queries, key=lambda q: len(q["sql"]))["sql"]
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement)
                    plan = [row[0] for row in cursor.fetchall()]
                self.stdout.write(f"-- {who or 'anonymous'}: {page}")
                shown = [line for line in plan if any(word in line for word in PLAN_WORDS)]
                self.stdout.write("\n".join(line[:160] for line in shown))
        self.stdout.write("")
        logging.disable(logging.NOTSET)


# The lists whose plans --explain prints: each list's default order, each filter and some orderings.
EXPLAINED = [
    ("editor", "/api/v1/articles/"),
    ("editor", "/api/v1/articles/?status=under_review"),
    ("editor", "/api/v1/articles/?specialty=medical-oncology&risk_level=high"),
    ("editor", "/api/v1/articles/?review_due_before=2000-01-01T00:00:00Z"),
    ("editor", "/api/v1/articles/?ordering=-review_due_at"),
    ("editor", "/api/v1/articles/?ordering=title"),
    ("editor", "/api/v1/articles/?ordering=-updated_at"),
    ("editor", "/api/v1/articles/{slug}/versions/"),
    ("member", "/api/v1/assignments/"),
    ("editor", "/api/v1/assignments/"),
    ("editor", "/api/v1/assignments/?state=pending"),
    ("editor", "/api/v1/assignments/?ordering=-decided_at"),
    (None, "/api/v1/public/articles/"),
]
PLAN_WORDS = ("Scan", "Index Cond", "Sort", "Execution Time", "Rows Removed")

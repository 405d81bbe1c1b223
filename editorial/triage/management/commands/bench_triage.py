from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scratch_db import scratch_database
from bench.triage import build, run


class Command(BaseCommand):
    help = (
        "Time the triage queue's reads (the ranked top of the queue; the summary with its count, "
        "capacity and throughput) on N pending articles with D days of page views each, against a "
        "bare read of the same pending rows by age, alternating, in a scratch database dropped "
        "afterwards. Prints each one's runs and median in milliseconds."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--articles", type=int, default=100_000, help="N pending articles (default 100000)."
        )
        parser.add_argument("--view-days", type=int, default=7, help="D days of page views each (default 7).")
        parser.add_argument("--limit", type=int, default=50, help="The queue's length read (default 50).")
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each read (default 3).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")

    def handle(
        self, *args: Any, articles: int, view_days: int, limit: int, repeat: int, keep: bool, **options: Any
    ) -> None:
        if min(articles, limit, repeat) < 1 or view_days < 0:
            raise CommandError("--articles, --limit and --repeat must be positive, --view-days not negative.")
        with scratch_database(keep=keep) as name:
            self.stderr.write(f"Loading {articles} pending articles into {name}...")
            build(articles=articles, view_days=view_days)
            results = run(limit=limit, repeat=repeat)
        self.stdout.write(
            f"{connection.vendor}: {articles} pending articles, {view_days} days of page views each, "
            f"top {limit}, {repeat} runs each (alternating)"
        )
        for result in results:
            runs = ", ".join(f"{seconds * 1000:.0f}" for seconds in result.seconds)
            self.stdout.write(
                f"  {result.name}: median {result.median * 1000:.0f} ms (runs {runs}); rows {result.rows}"
            )

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scratch_db import scratch_database
from bench.staleness import build, methods, run, server_settings


class Command(BaseCommand):
    help = (
        "Time the staleness sweep's expiry step on N articles, a fraction F of them due, against a "
        "per-row .save() loop, simple-history's bulk_update_with_history and a bare SQL UPDATE, each "
        "from the same starting state, in a scratch database that is dropped afterwards. Prints "
        "seconds, rows per second and the ratio to the bare UPDATE."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--articles", type=int, default=100_000, help="N articles (default 100000).")
        parser.add_argument(
            "--due-fraction", type=float, default=0.1, help="F, the fraction due for review (default 0.1)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.STALENESS_BATCH_SIZE,
            help="The sweep's batch size (default STALENESS_BATCH_SIZE).",
        )
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each method; the median counts.")
        parser.add_argument(
            "--skip", action="append", default=[], choices=list(methods(1)), help="Leave a method out."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")

    def handle(
        self,
        *args: Any,
        articles: int,
        due_fraction: float,
        batch_size: int,
        repeat: int,
        skip: list[str],
        keep: bool,
        **options: Any,
    ) -> None:
        if articles < 1 or not 0 < due_fraction <= 1 or batch_size < 1 or repeat < 1:
            raise CommandError(
                "--articles, --batch-size and --repeat must be positive; 0 < --due-fraction <= 1."
            )
        names = [name for name in methods(batch_size) if name not in skip]
        vendor = connection.vendor
        with scratch_database(keep=keep) as name:
            self.stderr.write(f"Loading {articles} articles into {name}...")
            data = build(articles=articles, due_fraction=due_fraction)
            self.stderr.write(f"Timing {', '.join(names)} ({repeat} runs each)...")
            results = run(data=data, names=names, repeat=repeat, batch_size=batch_size)
        floor = next((result for result in results if result.name.startswith("bare UPDATE")), None)
        self.stdout.write(
            f"database {vendor}; {data.articles} articles, {data.due} due; sweep batch size {batch_size}; "
            f"median of {repeat} runs"
        )
        if settings_line := server_settings():
            self.stdout.write(f"server: {settings_line}")
        self.stdout.write("")
        self.stdout.write(
            f"| {'method':<26} | {'rows':>6} | {'seconds':>8} | {'rows/s':>9} | {'x bare UPDATE':>13} |"
        )
        self.stdout.write(f"|{'-' * 28}|{'-' * 7}:|{'-' * 9}:|{'-' * 10}:|{'-' * 14}:|")
        for result in results:
            ratio = f"{result.median / floor.median:.1f}" if floor else "-"
            self.stdout.write(
                f"| {result.name:<26} | {result.rows:>6} | {result.median:>8.3f} | "
                f"{result.rows_per_second:>9,.0f} | {ratio:>13} |"
            )
        by_name = {result.name: result for result in results}
        sweep, loop = by_name.get("project sweep"), by_name.get("per-row .save() loop")
        if sweep and loop:
            self.stdout.write("")
            self.stdout.write(
                f"project sweep: {loop.median / sweep.median:.1f}x faster than the per-row loop"
            )
        if loop and floor:
            # The bare UPDATE is part of any sweep's work, so no sweep can beat the loop by more.
            self.stdout.write(
                f"bare UPDATE: {loop.median / floor.median:.1f}x faster than the per-row loop "
                "(the most any sweep that writes the status can reach)"
            )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.scratch_db import scratch_database
from bench.write_latency import HEALTHY_BROKER, measure


class Command(BaseCommand):
    help = (
        "Time a write (POST assignments, in-process, whole stack) with the broker healthy "
        f"({HEALTHY_BROKER}: a Redis database no worker reads), down (a closed port) and hung (a "
        "local TCP server that accepts and never answers), in a scratch database. Prints p50 and "
        "p99 per mode, the status codes, and how many owed messages were left to the relay."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--writes", type=int, default=200, help="Timed writes per mode (default 200).")

    def handle(self, *args: Any, writes: int, **options: Any) -> None:
        if writes < 1:
            raise CommandError("--writes must be at least 1.")
        vendor = connection.vendor
        with scratch_database() as name:
            results = measure(writes=writes)
        self.stdout.write(f"database  {vendor} ({name}); {writes} writes per mode")
        self.stdout.write(
            f"{'broker':<8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses  left to the relay"
        )
        for result in results:
            self.stdout.write(
                f"{result.mode:<8} {result.median:>8.1f} {result.percentile(0.99):>8.1f} "
                f"{max(result.milliseconds):>8.1f}  {sorted(result.statuses)}  {result.left_pending}"
            )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.review_cycle import run_cycles
from bench.scratch_db import scratch_database


class Command(BaseCommand):
    help = (
        "Time whole review cycles in-process (new version, submit, auto-assign two reviewers, two "
        "approvals that publish it) on the configured database engine, in a scratch database "
        "that is dropped afterwards. Prints cycles per second and queries per cycle."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cycles", type=int, default=200, help="Timed cycles (default 200).")
        parser.add_argument("--warmup", type=int, default=5, help="Untimed cycles first (default 5).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")

    def handle(self, *args: Any, cycles: int, warmup: int, keep: bool, **options: Any) -> None:
        if cycles < 1 or warmup < 0:
            raise CommandError("--cycles must be at least 1 and --warmup at least 0.")
        vendor = connection.vendor
        with scratch_database(keep=keep) as name:
            result = run_cycles(cycles=cycles, warmup=warmup)
        self.stdout.write(f"database           {vendor} ({name})")
        self.stdout.write(f"cycles             {result.cycles}")
        self.stdout.write(f"seconds            {result.seconds:.3f}")
        self.stdout.write(f"cycles per second  {result.cycles_per_second:.1f}")
        self.stdout.write(
            f"ms per cycle       median {result.median_ms:.1f}, p95 {result.percentile_ms(0.95):.1f}"
        )
        self.stdout.write(f"queries per cycle  {result.queries_per_cycle:.1f}")
        self.stdout.write(
            f"notifications      {result.notifications_per_cycle:.1f} per cycle, held back (not queued)"
        )

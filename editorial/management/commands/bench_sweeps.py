from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from bench.scratch_db import scratch_database
from bench.sweeps import autovacuum, build, reminder_sweep, staleness_sweep

# The targets (docs/benchmarks.md, "Sweeps at volume").
MAX_STATEMENTS_PER_EMAIL = 1.0


class Command(BaseCommand):
    help = (
        "Time the scheduled sweeps on N articles in a scratch database that is dropped afterwards: "
        "the reminder sweep (N overdue reminders and N/10 escalations, claimed and queued in "
        "batches), its outbox consumer, the staleness sweep's expiry of the due approvals (with "
        "its ANALYZE) and a bounded run of its re-review step. Prints per-email cost, statements "
        "per email, memory, and whether autovacuum is on."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--articles", type=int, default=10_000, help="N articles owing reminders.")
        parser.add_argument(
            "--expired", type=int, default=None, help="Approvals past their review date (default N/10)."
        )
        parser.add_argument("--re-reviews", type=int, default=100, help="Re-reviews opened in the timed run.")
        parser.add_argument(
            "--no-memory",
            action="store_true",
            help="Skip the second sweep under tracemalloc (slow at large N).",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")

    def handle(
        self,
        *args: Any,
        articles: int,
        expired: int | None,
        re_reviews: int,
        no_memory: bool,
        keep: bool,
        **options: Any,
    ) -> None:
        expired = articles // 10 if expired is None else expired
        if articles < 1 or expired < 0 or re_reviews < 1:
            raise CommandError("--articles and --re-reviews must be positive, --expired not negative.")
        # DEBUG (which manage.py needs without a SECRET_KEY) keeps every statement's text in
        # memory, outbox payloads included: off, as in production, for the runs and the memory.
        with scratch_database(keep=keep) as name, override_settings(DEBUG=False):
            self.stderr.write(
                f"Loading {articles} articles under review and {expired} due approvals into {name}..."
            )
            world = build(articles=articles, expired=expired)
            vacuum = autovacuum()
            self.stderr.write("Running the reminder sweep...")
            sweep = reminder_sweep(world, memory=not no_memory)
            self.stderr.write("Running the staleness sweep...")
            stale = staleness_sweep(world, re_review_limit=re_reviews) if expired else None

        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        out = self.stdout.write
        out(
            f"database {connection.vendor}; autovacuum {vacuum}; {articles} articles under review, "
            f"{expired} due approvals; REMINDERS_BATCH_SIZE {settings.REMINDERS_BATCH_SIZE}"
        )
        out("")
        out("Reminder sweep (claim + render + outbox; the outbox not published):")
        out(f"  emails queued             {sweep.emails:>12,} in {sweep.batches:,} outbox messages")
        out(f"  seconds                   {sweep.seconds:>12.2f}  (task soft time limit {limit} s)")
        out(f"  per email                 {sweep.us_per_email:>12.1f} us")
        out(f"  statements per email      {sweep.statements_per_email:>12.3f}  ({sweep.statements:,} in all)")
        out(f"  peak Python heap          {sweep.peak_heap_mb:>12.1f} MB  (tracemalloc, second run)")
        out(f"  peak RSS growth           {sweep.rss_growth_mb:>12.1f} MB  (getrusage ru_maxrss, first run)")
        out(
            f"  consumer (locmem backend) {sweep.consumer_ms_per_email:>12.2f} ms per email "
            f"over {sweep.consumer_emails:,} emails"
        )
        if stale:
            out("")
            out("Staleness sweep:")
            out(f"  expired                   {stale.expired:>12,} in {stale.expiry_seconds:.2f} s")
            out(f"  then ANALYZE             {stale.analyze_seconds * 1000:>12.0f} ms")
            out(f"  re-review candidates      {stale.candidate_ms:>12.1f} ms")
            opened = max(stale.re_reviews_opened, 1)
            out(
                f"  re-reviews opened         {stale.re_reviews_opened:>12,} in "
                f"{stale.re_review_seconds:.2f} s ({stale.re_review_seconds / opened * 1000:.1f} ms "
                f"and {stale.re_review_statements / opened:.1f} statements each)"
            )
            out(f"  waiting retried, full board {stale.waiting_retried_with_full_board:>10,}")
        out("")
        out("Targets:")
        verdict = "met" if sweep.seconds < limit else "MISSED"
        out(f"  within the task time limit ({limit} s): {sweep.seconds:.1f} s, {verdict}")
        verdict = "met" if sweep.statements_per_email <= MAX_STATEMENTS_PER_EMAIL else "MISSED"
        out(
            f"  at most {MAX_STATEMENTS_PER_EMAIL:g} statement per email: "
            f"{sweep.statements_per_email:.3f}, {verdict}"
        )
        out(
            "  per-email cost flat and memory growth under 100 MB from 10k to 100k: compare "
            "'per email' and 'peak Python heap' across runs at different --articles"
        )

from __future__ import annotations

import statistics
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import imports
from bench.scratch_db import scratch_database


class Command(BaseCommand):
    help = (
        "Time the bulk import of N new articles (each with its version 1, two references and their "
        "history rows) against articles.services.create_article on a sample, runs alternating, in a "
        "scratch database that is dropped afterwards. Prints articles per second for each run."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--articles", type=int, default=100_000, help="N lines per bulk run (default 100000)."
        )
        parser.add_argument(
            "--sample", type=int, default=2_000, help="Articles per service-path run (default 2000)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.BULK_IMPORT_BATCH_SIZE,
            help="Lines per batch (default BULK_IMPORT_BATCH_SIZE).",
        )
        parser.add_argument("--repeat", type=int, default=3, help="Runs of each path (default 3).")
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database afterwards.")

    def handle(
        self, *args: Any, articles: int, sample: int, batch_size: int, repeat: int, keep: bool, **options: Any
    ) -> None:
        if min(articles, sample, batch_size, repeat) < 1:
            raise CommandError("--articles, --sample, --batch-size and --repeat must be positive.")
        bulk = imports.Run("bulk import", articles)
        loop = imports.Run("service loop (create_article)", sample)
        reimport = imports.Run("re-import, all unchanged", articles)
        with scratch_database(keep=keep) as name:
            editor, specialty = imports.setup()
            self.stderr.write(f"Scratch database {name}; {repeat} runs of each path, alternating...")
            for run in range(1, repeat + 1):
                lines = imports.make_lines(f"r{run}-", articles)
                with imports.inputs_frozen(), imports.cpu_of(bulk):
                    bulk.seconds.append(imports.time_bulk(editor=editor, lines=lines, batch_size=batch_size))
                self.stderr.write(f"  run {run}: bulk import {bulk.seconds[-1]:.1f} s")
                imports.analyse()
                sampled = imports.make_lines(f"s{run}-", sample)
                with imports.inputs_frozen(), imports.cpu_of(loop):
                    loop.seconds.append(
                        imports.time_service(editor=editor, specialty=specialty, lines=sampled)
                    )
                self.stderr.write(f"  run {run}: service loop {loop.seconds[-1]:.1f} s")
                if run == repeat:
                    with imports.inputs_frozen(), imports.cpu_of(reimport):
                        reimport.seconds.append(
                            imports.time_reimport(editor=editor, lines=lines, batch_size=batch_size)
                        )
            written = imports.counts()
        self.stdout.write(
            f"database {connection.vendor}; batch size {batch_size}; each article with 1 version, "
            f"2 references and their history rows"
        )
        self.stdout.write("")
        self.stdout.write(
            f"| {'path':<30} | {'articles':>8} | {'articles/s, each run':>28} | {'median':>7} |"
        )
        self.stdout.write(f"|{'-' * 32}|{'-' * 9}:|{'-' * 29}:|{'-' * 8}:|")
        for result in (bulk, loop, reimport):
            rates = result.rates()
            each = ", ".join(f"{rate:,.0f}" for rate in rates)
            median = statistics.median(rates)
            self.stdout.write(f"| {result.name:<30} | {result.articles:>8} | {each:>28} | {median:>7,.0f} |")
        self.stdout.write("")
        self.stdout.write(
            "CPU seconds per run (this process + its database backend; articles per CPU-second of both):"
        )
        for result in (bulk, loop, reimport):
            each = []
            for process, backend in result.cpu:
                if backend is None:
                    each.append(f"{process:.1f} s")
                else:
                    each.append(
                        f"{process:.1f} + {backend:.1f} s ({result.articles / (process + backend):,.0f}/s)"
                    )
            self.stdout.write(f"  {result.name}: {'; '.join(each)}")
        ratio = statistics.median(bulk.rates()) / statistics.median(loop.rates())
        self.stdout.write("")
        self.stdout.write(f"bulk import / service loop: {ratio:.1f}x (medians)")
        self.stdout.write(
            "rows in the scratch database at the end: " + ", ".join(f"{v} {k}" for k, v in written.items())
        )

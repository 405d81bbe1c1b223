from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from articles.imports.lines import Outcome, Unreadable
from articles.imports.writer import DEFAULT_REASON, ImportForbidden, import_articles

# Refused and unwritten lines printed in full; the rest are counted (all are in --report).
SHOWN = 50


def read_lines(handle: IO[str]) -> Iterator[tuple[int, Any]]:
    """A JSON array's items (numbered from 1) or an NDJSON file's lines (numbered as in the file,
    blank lines skipped); a line that is not JSON is passed on as ``Unreadable``."""
    rows = enumerate(handle, start=1)
    for number, row in rows:
        if not row.strip():
            continue
        if row.lstrip().startswith("["):
            try:
                items = json.loads(row + handle.read())
            except ValueError as error:
                raise CommandError(f"The file is not a JSON array: {error}") from None
            yield from enumerate(items, start=1)
            return
        yield number, _decode(row)
        break
    for number, row in rows:
        if row.strip():
            yield number, _decode(row)


def _count_lines(path: Path) -> int | None:
    """The lines an NDJSON file holds, for the progress bar (None for a JSON array)."""
    with path.open("rb") as rows:
        count = 0
        for row in rows:
            if row.strip():
                if count == 0 and row.lstrip().startswith(b"["):
                    return None
                count += 1
    return count or None


def _decode(row: str) -> Any:
    try:
        return json.loads(row)
    except ValueError as error:
        return Unreadable(f"Not JSON: {error}")


class Progress:
    """Lines done, on stderr: redrawn in place on a terminal, a line per batch otherwise."""

    def __init__(self, stream: Any, total: int | None) -> None:
        self.stream, self.total, self.done = stream, total, 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        of = f"/{self.total}" if self.total else ""
        bar = ""
        if self.total:
            filled = int(30 * self.done / self.total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] "
        text = f"{bar}{self.done}{of} lines, {rate:,.0f} lines/s"
        self.stream.write(f"\r{text}" if self.tty else f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Import articles from FILE (NDJSON, one article per line, or a JSON array; - for stdin) as USER: "
        "each line creates the article with its version 1, adds its next version, or is unchanged when "
        "its current version has the same content hash. Batches are written whole or not at all. "
        "Prints what became of each refused line; exits with status 1 if any line was not imported."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The NDJSON or JSON file, or - for standard input.")
        parser.add_argument("--user", required=True, help="The importing editor's username (history rows).")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.BULK_IMPORT_BATCH_SIZE,
            help="Lines per batch, each one transaction (default BULK_IMPORT_BATCH_SIZE).",
        )
        parser.add_argument("--reason", default=DEFAULT_REASON, help="For lines without their own reason.")
        parser.add_argument("--report", help="Write every line's result to this file, as NDJSON.")

    def handle(
        self,
        *args: Any,
        file: str,
        user: str,
        batch_size: int,
        reason: str,
        report: str | None,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            actor = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user “{user}”.") from None
        if file == "-":
            handle, total = sys.stdin, None
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"There is no file {file}.")
            total = _count_lines(path)
            handle = path.open(encoding="utf-8")
        counts: Counter[str] = Counter()
        shown = 0
        progress = Progress(self.stderr, total)
        out = Path(report).open("w", encoding="utf-8") if report else None
        try:
            for batch in import_articles(
                actor=actor, lines=read_lines(handle), batch_size=batch_size, reason=reason
            ):
                for result in batch:
                    counts[result.outcome.value] += 1
                    if out:
                        out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
                    if not result.outcome.written_or_kept and shown < SHOWN:
                        shown += 1
                        self.stdout.write(self._describe(result))
                progress.advance(len(batch))
        except ImportForbidden as error:
            raise CommandError(str(error)) from None
        finally:
            progress.close()
            if handle is not sys.stdin:
                handle.close()
            if out:
                out.close()
        failed = counts[Outcome.REFUSED] + counts[Outcome.NOT_WRITTEN]
        if failed > shown:
            self.stdout.write(f"... and {failed - shown} more (see --report).")
        self.stdout.write(", ".join(f"{counts[outcome.value]} {outcome.value}" for outcome in Outcome))
        if failed:
            raise CommandError(
                f"{failed} lines were not imported; fix the refused ones and import the file again."
            )

    @staticmethod
    def _describe(result: Any) -> str:
        where = f"line {result.line}" + (f" ({result.slug})" if result.slug else "")
        if result.fields:
            reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in result.fields.items())
            return f"{where}: {result.outcome.value}: {reasons}"
        return f"{where}: {result.outcome.value}: {result.detail}"

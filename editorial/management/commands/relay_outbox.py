from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from editorial.outbox.services import relay


class Command(BaseCommand):
    help = (
        "Publish the side effects waiting in the outbox (what web requests could not hand to the "
        "broker within their budget), oldest first. Beat runs the same every "
        "OUTBOX_RELAY_EVERY_SECONDS; run this by hand after a broker outage to drain it at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages.")

    def handle(self, *args: Any, limit: int | None, **options: Any) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        result = relay(limit=limit)
        self.stdout.write(
            f"published {result.published}, failed {result.failed}, still pending {result.remaining}, "
            f"purged {result.purged} published long ago"
        )
        if result.failed:
            raise CommandError("The broker refused a message; it stays pending (see the log).", returncode=1)

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from editorial.integrity.audit import email_editors_in_chief, verify_approvals


class Command(BaseCommand):
    help = (
        "Re-check every article whose public page shows the board's approval against the approval "
        "rules and the stored content hashes. Prints each violation (article, rule, what is wrong) "
        "and exits with status 1 if there is any."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--email", action="store_true", help="Also email the editors-in-chief when something is found."
        )

    def handle(self, *args: Any, email: bool, **options: Any) -> None:
        report = verify_approvals()
        for violation in report.violations:
            self.stdout.write(str(violation))
        articles = len({violation.article_id for violation in report.violations})
        summary = (
            f"{report.checked} article(s) showing an approval checked; "
            f"{len(report.violations)} violation(s) on {articles} article(s)."
        )
        if report.violations:
            if email:
                summary += f" Emailed {email_editors_in_chief(report)} editor(s)-in-chief."
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

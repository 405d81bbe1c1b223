from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from editorial.demo import DEMO_TOTP_SECRET, USERS, seed_demo


class Command(BaseCommand):
    help = "Load the demo board, users and articles. Safe to run again: existing data is left alone."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        if not settings.DEBUG and password == "demo":  # noqa: S105
            raise CommandError(
                "seed_demo creates users who can sign in with the password 'demo'. Run it with "
                "DEBUG=1 on a development machine, or set DEMO_PASSWORD to something else."
            )
        report = seed_demo(password=password)
        if report.created:
            for item in report.created:
                self.stdout.write(f"  created {item}")
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(report.created)} objects)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            "Demo logins (password from DEMO_PASSWORD): " + ", ".join(u.username for u in USERS)
        )
        self.stdout.write(
            "Board members and the chief also give a second factor in the admin: "
            "`python manage.py demo_totp <username>` prints the current code, or add the demo "
            f"secret {DEMO_TOTP_SECRET} to an authenticator app (time-based, 6 digits)."
        )

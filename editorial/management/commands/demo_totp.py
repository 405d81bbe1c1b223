from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from editorial.demo import DEMO_TOTP_KEY_HEX, DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = (
        "Print the current second-factor code of a demo user (the demo's authenticator secret is "
        f"public: {DEMO_TOTP_SECRET}). Refuses for anyone whose authenticator is not the demo's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a demo board member or the demo chief, e.g. dr_oncology1")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True, key=DEMO_TOTP_KEY_HEX
        ).first()
        if device is None:
            raise CommandError(
                f"{username} has no demo authenticator: this command only gives codes for the demo "
                "users that seed_demo enrolled."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        remaining = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for another {remaining} s; a code works once per user)")

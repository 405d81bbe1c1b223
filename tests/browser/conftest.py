"""What every browser test shares: Playwright driving Debian's Chromium against a live server,
signed in as a demo user with the second factor. Screenshots go to docs/screenshots/ only when
UPDATE_SCREENSHOTS=1, so that a test run leaves the tree clean."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django_otp.oath import TOTP

from editorial.demo import DEMO_TOTP_KEY_HEX

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
# The screenshots in the README; rewritten only when asked, so that a test run leaves the tree clean.
DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PHESGO = "phesgo-docetaxel-cycles-her2-metastatic-breast-cancer"
PASSWORD = "browser-test-password"  # noqa: S105 - a throw-away demo password
# A fixed start, so that the dates in the screenshots do not change from run to run.
START = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=datetime.UTC)

browser_test = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("REQUIRE_SERVICES") != "1",
        reason="needs Chromium (apt-get install chromium; `make test` installs it where it can)",
    ),
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are ordinary synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
        # While Playwright's event loop runs, Django keeps this thread's database connection in
        # a separate (per-context) slot; close it here, or it outlives the test database.
        connections.close_all()


def demo_code() -> str:
    """What an authenticator app holding the demo's secret shows now."""
    return f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX)).token():06d}"


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    # Board members and the chief give the second factor next.
    page.wait_for_selector("#second-factor-form")
    page.fill("#id_code", demo_code())
    page.click("#second-factor-form input[type=submit]")
    page.wait_for_selector("#user-tools")


@pytest.fixture
def screenshots(tmp_path):
    """Where a test writes its screenshots: docs/screenshots/ when asked, else a temporary folder."""
    folder = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_phone_page(page):
    """A second page in the same browser, 390 CSS pixels wide as a phone held upright, touch on."""
    context = page.context.browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    return context.new_page()

"""The pages in a real browser (Playwright driving Debian's Chromium) against the production-like
server: the Content-Security-Policy refuses nothing the admin, the API docs or the browsable API
need, and the docs page asks no other host for anything."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest

from tests.ops.support import ADMIN_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("REQUIRE_SERVICES") != "1",
    reason="needs Chromium (apt-get install chromium; `make test` installs it where it can)",
)


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"],
        )
        context = browser.new_context()
        page = context.new_page()
        page.refused = []  # what the browser reports the policy refused
        page.requested = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and page.refused.append(f"{page.url}: {message.text}")
            ),
        )
        page.on("request", lambda request: page.requested.append(request.url))
        yield page
        context.close()
        browser.close()


def base(server) -> str:
    return f"http://{server.host}:{server.port}"


def test_the_api_docs_render_under_the_policy_from_this_site_alone(production_server, browser_page):
    browser_page.goto(f"{base(production_server)}/api/docs/")
    browser_page.wait_for_selector(".swagger-ui .info .title")
    assert "Editorial review API" in browser_page.inner_text(".swagger-ui .info .title")
    browser_page.wait_for_selector(".opblock")  # the endpoints are listed
    assert browser_page.refused == []
    hosts = {urlsplit(url).netloc for url in browser_page.requested if not url.startswith("data:")}
    assert hosts == {f"{production_server.host}:{production_server.port}"}


def test_the_admin_works_under_the_policy(production_server, browser_page):
    page = browser_page
    page.goto(f"{base(production_server)}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "Log in" not in page.title()
    # The add form runs the admin's scripts (date and time shortcuts, related-object widgets).
    page.goto(f"{base(production_server)}/admin/auth/user/add/")
    page.wait_for_selector("#id_username")
    page.goto(f"{base(production_server)}/admin/reviewers/specialty/add/")
    page.wait_for_selector("#id_name")
    assert page.refused == []


def test_the_browsable_api_runs_no_refused_script(production_server, browser_page):
    page = browser_page
    page.goto(f"{base(production_server)}/api-auth/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    # Wait for the sign-in to answer before leaving the page: going on at once could cancel it.
    with page.expect_navigation():
        page.click("#submit-id-submit")
    page.goto(f"{base(production_server)}/api/v1/public/articles/")
    page.wait_for_selector(".response-info")
    # Signed in (the public endpoints ignore sessions; this one is refused to a user without the
    # editor role, on a page that shows who is signed in).
    page.goto(f"{base(production_server)}/api/v1/articles/")
    page.click("#sign-out")
    page.wait_for_selector("text=Log in")
    # DRF's few style attributes (the sign-in box's width, two buttons' float) are refused: cosmetic.
    assert [line for line in page.refused if "inline style" not in line] == []

"""HTTPS: HSTS follows from a deployment declaring HTTPS, and `make prod-check` passes Django's
deployment checklist on production-like settings."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.ops.support import BASE_DIR, NOT_INHERITED, settings_in_fresh_process

HSTS = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"]
A_YEAR = 365 * 24 * 3600


def test_without_https_declared_browsers_are_not_told_to_insist_on_it(tmp_path):
    assert settings_in_fresh_process(tmp_path, HSTS)["SECURE_HSTS_SECONDS"] == 0
    http_site = settings_in_fresh_process(tmp_path, HSTS, SITE_URL="http://review.example.org")
    assert http_site["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    "declaration",
    [
        {"SECURE_SSL_REDIRECT": "1"},
        {"TRUST_X_FORWARDED_PROTO": "1"},
        {"SITE_URL": "https://review.example.org"},
    ],
    ids=["ssl-redirect", "proxy-header", "https-site-url"],
)
def test_a_deployment_that_declares_https_sends_hsts_for_a_year(tmp_path, declaration):
    assert settings_in_fresh_process(tmp_path, HSTS, **declaration) == {
        "SECURE_HSTS_SECONDS": A_YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_hsts_can_be_set_by_hand(tmp_path):
    chosen = settings_in_fresh_process(
        tmp_path,
        HSTS,
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_HSTS_PRELOAD="1",
    )
    assert chosen == {
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_the_header_is_sent_on_https_responses_only(production_server):
    # The server trusts its proxy's X-Forwarded-Proto, which declares HTTPS.
    response, _ = production_server.get("/api/v1/public/articles/", **{"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == f"max-age={A_YEAR}; includeSubDomains"

    response, _ = production_server.get("/api/v1/public/articles/")
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") is None


def test_make_prod_check_passes_the_deployment_checklist():
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    # -o: the virtualenv is taken as installed (the suite runs in it).
    result = subprocess.run(
        [shutil.which("make"), "--no-print-directory", "-o", ".venv/.installed", "prod-check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout

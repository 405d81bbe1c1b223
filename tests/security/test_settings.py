"""The sign-in settings are read from the environment, and ``check --deploy`` refuses a cache
that each web process keeps to itself. Each case runs in a fresh interpreter, as a deployment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from reviewers.roles import Role

BASE_DIR = Path(settings.BASE_DIR)
PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.AXES_LOCKOUT_PARAMETERS)"
)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "CACHE_URL", "SIGN_IN_FAILURE_LIMIT", "SIGN_IN_LOCKOUT_MINUTES"}
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path), "SECRET_KEY": "s"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lockout_defaults_five_failures_fifteen_minutes_per_username_and_address(tmp_path):
    result = run(tmp_path, "-c", PRINT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(maxsplit=2) == ["5", "900", "['username', 'ip_address']\n"]


def test_lockout_limit_and_cool_off_come_from_the_environment(tmp_path):
    result = run(tmp_path, "-c", PRINT, SIGN_IN_FAILURE_LIMIT="8", SIGN_IN_LOCKOUT_MINUTES="60")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["8", "3600"]


@pytest.mark.parametrize("variable", ["SIGN_IN_FAILURE_LIMIT", "SIGN_IN_LOCKOUT_MINUTES"])
def test_a_malformed_lockout_setting_stops_start_up_with_its_name(tmp_path, variable):
    result = run(tmp_path, "-c", PRINT, **{variable: "0"})
    assert result.returncode != 0
    assert variable in result.stderr.splitlines()[-1]


def test_check_deploy_fails_without_a_shared_cache_and_passes_that_check_with_redis(tmp_path):
    local = run(tmp_path, "manage.py", "check", "--deploy")
    assert local.returncode == 1
    assert "security.E001" in local.stderr
    assert "Set CACHE_URL to Redis" in local.stderr

    shared = run(tmp_path, "manage.py", "check", "--deploy", CACHE_URL="redis://127.0.0.1:6379/1")
    assert "security.E001" not in shared.stderr + shared.stdout


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"],
)
def test_check_deploy_raises_for_a_process_local_cache_naming_the_fix(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}
    with pytest.raises(SystemCheckError, match="security.E001") as raised:
        call_command("check", deploy=True)
    assert "Set CACHE_URL to Redis" in str(raised.value)
    assert backend.rsplit(".", 1)[-1] in str(raised.value)


def test_the_plain_check_leaves_a_development_cache_alone(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    call_command("check")  # no SystemCheckError: one development process shares its own cache


def test_the_roles_that_give_a_second_factor_are_the_editorial_roles():
    assert set(settings.SECOND_FACTOR_ROLES) == {Role.BOARD_MEMBER, Role.EDITOR_IN_CHIEF}
    assert set(settings.SECOND_FACTOR_RESET_ROLES) == {Role.EDITOR_IN_CHIEF}

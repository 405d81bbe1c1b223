"""Settings are read in a fresh interpreter for each case, exactly as a deployment reads them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.TIME_ZONE, s.USE_TZ)"
)


def run_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path)} | env
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    result = run_with(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_manage_py_without_a_secret_key_says_why_in_one_line(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    } | {"VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("manage.py: SECRET_KEY is not set.")
    assert "Traceback" not in result.stderr


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    result = run_with(tmp_path, SECRET_KEY="a-long-production-secret")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_debug_runs_use_a_development_key_and_the_zero_set_up_defaults(tmp_path):
    result = run_with(tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    defaults = ["True", "django.db.backends.sqlite3", "filesystem://localhost//", "UTC", "True"]
    assert result.stdout.split() == defaults
    assert (tmp_path / "celery" / "queue").is_dir()


def test_database_and_broker_come_from_the_environment(tmp_path):
    result = run_with(
        tmp_path,
        SECRET_KEY="s",
        DATABASE_URL="postgres://u@db.example:5432/review",
        CELERY_BROKER_URL="redis://broker.example:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:3] == ["django.db.backends.postgresql", "redis://broker.example:6379/0"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "maybe"), ("EMAIL_PORT", "twenty-five"), ("REVIEW_INTERVAL_DAYS", "0")],
)
def test_a_malformed_variable_stops_start_up_with_its_name(tmp_path, variable, value):
    result = run_with(tmp_path, SECRET_KEY="s", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr.splitlines()[-1]

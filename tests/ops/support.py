"""What the operations tests share: the Procfile's commands, a production-like environment, and
a small HTTP client for a server they start."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
# The production-like server's superuser (tests/ops/conftest.py)
ADMIN_PASSWORD = "ops-test-admin-password"  # noqa: S105
# The variables a developer's or CI's shell may set that would make this server something else.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "STATIC_ROOT",
    "VAR_DIR",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "TRUST_X_FORWARDED_PROTO",
    # A make running this suite (`make test`) must not hand its own state to a make a test starts.
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
}


def procfile(name: str = "Procfile") -> dict[str, str]:
    entries = {}
    for line in (BASE_DIR / name).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            process, command = line.split(":", 1)
            entries[process.strip()] = command.strip()
    return entries


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUST_X_FORWARDED_PROTO": "1",
        **extra,
    }


@dataclass
class Server:
    host: str
    port: int
    static_root: Path

    def get(self, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def settings_in_fresh_process(var_dir: Path, names: list[str], **env: str) -> dict[str, object]:
    """The named settings as a process started with this environment reads them (DEBUG off,
    nothing else set but a SECRET_KEY)."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))"
    )
    clean = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s", "VAR_DIR": str(var_dir)} | env
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])

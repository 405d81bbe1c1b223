"""The Dockerfile and compose.yaml, which cannot be built here (no Docker engine, no base images;
CI does not build them either): their commands are the Procfile's, and compose.yaml has the
structure Docker Compose expects. Where docker compose (or docker-compose) is installed, its own
`config` validates the file too."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from tests.ops.support import BASE_DIR, procfile

COMPOSE = yaml.safe_load((BASE_DIR / "compose.yaml").read_text())
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
SERVICES = COMPOSE["services"]
# Compose service -> the Procfile process it runs.
APP_SERVICES = {"migrate": "release", "web": "web", "worker": "worker", "beat": "beat"}


@pytest.mark.parametrize(("service", "process"), APP_SERVICES.items())
def test_each_compose_service_runs_the_procfiles_command(service, process):
    assert SERVICES[service]["command"] == shlex.split(procfile()[process])


def test_the_images_default_command_is_the_procfiles_web():
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert cmd, "the Dockerfile has no CMD in exec form"
    assert json.loads(cmd.group(1)) == shlex.split(procfile()["web"])


def test_the_image_is_thin_and_runs_as_an_ordinary_user():
    assert re.search(r"^FROM python:3\.11-slim$", DOCKERFILE, re.MULTILINE)
    assert "pip install -r requirements.txt" in DOCKERFILE
    assert "manage.py collectstatic --noinput" in DOCKERFILE
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env"} <= set(ignored)


def test_compose_has_the_structure_docker_compose_expects():
    assert set(COMPOSE) <= {"services", "volumes", "networks", "configs", "secrets", "name"} | {
        key for key in COMPOSE if key.startswith("x-")
    }
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "beat"}
    declared_volumes = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name
        assert isinstance(service.get("command", []), list), f"{name}: use the exec form"
        for condition in (service.get("depends_on") or {}).values():
            assert condition["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }, name
        for dependency in service.get("depends_on") or {}:
            assert dependency in SERVICES, f"{name} depends on an unknown service {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(("/", ".")) or source in declared_volumes, f"{name}: {volume}"
        if "healthcheck" in service:
            test = service["healthcheck"]["test"]
            assert isinstance(test, list) and test[0] in {"CMD", "CMD-SHELL"}, name
            for key in ("interval", "timeout", "start_period"):
                if key in service["healthcheck"]:
                    assert re.fullmatch(r"\d+(ms|s|m|h)", service["healthcheck"][key]), (name, key)


def test_the_stack_waits_for_what_it_needs():
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in SERVICES[name], f"{name} has no healthcheck"
    assert "/health/ready" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name in ("migrate", "web", "worker", "beat"):
        depends_on = SERVICES[name]["depends_on"]
        assert depends_on["db"]["condition"] == "service_healthy"
        assert depends_on["redis"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["restart"] == "no"
    # One beat, whose schedule survives a restart.
    assert "deploy" not in SERVICES["beat"] and "scale" not in SERVICES["beat"]
    assert any(volume.endswith(":/var/lib/editorial") for volume in SERVICES["beat"]["volumes"])
    assert "VAR_DIR=/var/lib/editorial" in DOCKERFILE


def test_every_variable_the_stack_sets_is_a_documented_setting():
    readme = (BASE_DIR / "README.md").read_text()
    for name in ("migrate", "web", "worker", "beat"):
        for variable in SERVICES[name]["environment"]:
            assert f"`{variable}`" in readme, f"{variable} is not in the README's configuration table"


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return [shutil.which("docker-compose")]
    if shutil.which("docker"):
        probe = subprocess.run(
            [shutil.which("docker"), "compose", "version"], capture_output=True, check=False, timeout=30
        )
        if probe.returncode == 0:
            return [shutil.which("docker"), "compose"]
    return None


@pytest.mark.skipif(compose_command() is None, reason="needs docker compose or docker-compose")
def test_docker_compose_accepts_the_file(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "s", "ALLOWED_HOSTS": "review.example.org"}
    env |= {"POSTGRES_PASSWORD": "p", "HOME": str(tmp_path)}
    result = subprocess.run(
        [*compose_command(), "--file", str(BASE_DIR / "compose.yaml"), "config", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [*compose_command(), "--file", str(BASE_DIR / "compose.yaml"), "config", "--quiet"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode != 0  # the secrets must be set, there is no default
    assert "in .env" in missing.stderr

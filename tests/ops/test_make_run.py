"""`make run` stops when make alone is sent SIGINT or SIGTERM (as a process manager, an IDE or a
script does; a terminal's Ctrl-C signals the whole process group): web, worker and beat all exit
and nothing is left running. Each case starts the real `make run` on a free port with a scratch
VAR_DIR (migrate, demo data, then honcho), about fifteen seconds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.support import BASE_DIR, NOT_INHERITED, free_port


def descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid``, with its command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, str] = {}
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            try:
                command = (Path("/proc") / str(child) / "cmdline").read_bytes()
                found[child] = command.replace(b"\0", b" ").decode()
            except OSError:
                continue
            pending.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited process not yet reaped, here by a non-reaping init)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a local test server
            return True
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc (Linux)")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_make_run_stops_everything_on_a_signal_to_make_alone(tmp_path, signum):
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env |= {"VAR_DIR": str(tmp_path), "WEB_PORT": str(port)}
    log_path = tmp_path / "make-run.log"
    with log_path.open("w") as log:
        # -o: the virtualenv is taken as installed (the suite runs in it).
        make = subprocess.Popen(
            [shutil.which("make"), "--no-print-directory", "-o", ".venv/.installed", "run"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    processes: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 180
        while True:
            processes |= descendants(make.pid)
            commands = " | ".join(processes.values())
            up = answers(f"http://127.0.0.1:{port}/api/v1/public/articles/")
            if up and "celery -A config worker" in commands and "celery -A config beat" in commands:
                break
            assert make.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "make run did not start:\n" + log_path.read_text()
            time.sleep(0.5)
        time.sleep(1)  # let each process finish starting, so that none is caught half-way
        processes |= descendants(make.pid)

        os.kill(make.pid, signum)

        assert make.wait(timeout=60) != 0
        deadline = time.monotonic() + 30
        while any(running(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = {pid: command for pid, command in processes.items() if running(pid)}
        assert left == {}, "still running after make stopped:\n" + log_path.read_text()
        assert not answers(f"http://127.0.0.1:{port}/api/v1/public/articles/")
    finally:
        for pid in [make.pid, *processes]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        make.wait(timeout=10)

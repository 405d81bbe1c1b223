"""`make run`'s supervisor: honcho runs web, worker and beat (the Procfile given), and all three stop
when make is told to stop, whether by a terminal's Ctrl-C or by a signal sent to make alone.

Usage (the Makefile's run target): ``exec python scripts/dev_supervisor.py -f Procfile.dev``, so
that make is this process's parent.

GNU make passes SIGTERM on to the recipe it runs but not SIGINT (it expects the terminal to have
sent that to the whole process group): sent SIGINT alone, make waits for the recipe, which never
hears of it. What make does first is visible, though: its handler restores the signal's default
action, so the signal leaves the set make catches (``SigCgt`` in /proc/<pid>/status). This process
watches that set, and make itself, and stops honcho when either changes; it also passes on the
signals it receives. Without /proc (not Linux), only make's exit and those signals are noticed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.2


def caught_signals(pid: int) -> int | None:
    """The bit mask of the signals ``pid`` catches, or None when that cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return None


def bit(signum: int) -> int:
    return 1 << (signum - 1)


def main(honcho_args: list[str]) -> int:
    make = os.getppid()
    caught_at_start = caught_signals(make) or 0
    # honcho gets its own process group, so that a terminal's Ctrl-C reaches it once, from here.
    honcho = subprocess.Popen(  # noqa: S603 - our own virtualenv's honcho, with make's arguments
        [str(Path(sys.executable).parent / "honcho"), "start", *honcho_args], process_group=0
    )
    stop_signal: int | None = None

    def stop(signum: int) -> None:
        nonlocal stop_signal
        if stop_signal is None:
            stop_signal = signum
            honcho.send_signal(signum)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop(signum)

    for signum in WATCHED:
        signal.signal(signum, on_signal)

    while True:
        try:
            honcho.wait(timeout=POLL_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        if os.getppid() != make:
            stop(signal.SIGTERM)  # make is gone
            continue
        caught_now = caught_signals(make)
        for signum in WATCHED:
            if caught_at_start & bit(signum) and caught_now is not None and not caught_now & bit(signum):
                stop(signum)  # make received it and is waiting for us
    return honcho.returncode if honcho.returncode >= 0 else 128 - honcho.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

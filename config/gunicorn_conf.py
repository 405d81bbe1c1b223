"""gunicorn's settings for the web processes, from the environment like every other setting.

Used by the Procfile's ``web`` command: ``gunicorn config.wsgi --config python:config.gunicorn_conf``.
Every variable is in the README's configuration table.
"""

from __future__ import annotations

import os
from pathlib import Path

from config.env import env_int, env_str

# Every interface on PORT (what a container or a platform expects); WEB_BIND overrides it, e.g.
# 127.0.0.1:8000 behind a proxy on the same host, or unix:/run/editorial/web.sock.
bind = [env_str("WEB_BIND") or f"0.0.0.0:{env_int('PORT', default=8000, minimum=1)}"]

# Processes times threads is how many requests one web container answers at once. Threads are
# cheap here: a request spends most of its time waiting on PostgreSQL.
workers = env_int("WEB_CONCURRENCY", default=2, minimum=1)
threads = env_int("WEB_THREADS", default=4, minimum=1)

# A request still running after WEB_TIMEOUT seconds has its worker killed and replaced; on
# SIGTERM, running requests get WEB_GRACEFUL_TIMEOUT seconds to finish.
timeout = env_int("WEB_TIMEOUT", default=30, minimum=1)
graceful_timeout = env_int("WEB_GRACEFUL_TIMEOUT", default=30, minimum=1)
keepalive = env_int("WEB_KEEPALIVE", default=5, minimum=1)

# A worker is replaced after this many requests (0: never), at staggered counts so that they
# do not all restart at once; a slow leak cannot grow without bound.
max_requests = env_int("WEB_MAX_REQUESTS", default=1000, minimum=0)
max_requests_jitter = max_requests // 10

accesslog = "-"
errorlog = "-"

# The workers' heartbeat files: on an overlay filesystem (a container's /tmp) a write can stall
# long enough for gunicorn to kill a healthy worker; /dev/shm is memory.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108

# gunicorn's runtime control socket ($HOME/.gunicorn) is not used here, and the home directory of
# the image's user does not exist.
control_socket_disable = True


# Prometheus in multiprocess mode (docs/operations.md, "Metrics"): the workers keep their
# histograms in files under PROMETHEUS_MULTIPROC_DIR, which must start empty (files of an earlier
# run would be counted again) and forget a worker that has exited.
def on_starting(server: object) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]

"""Brokers in every state a write may meet: healthy, down, and hung (accepting TCP, never answering).

Used by the write-latency benchmark and by the tests of the outbox, so that both measure against a
real socket rather than a mock.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from kombu.pools import ProducerPool

from config.celery import app


@contextmanager
def hung_broker() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte; yields a
    redis:// URL pointing at it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(client)  # held open, never read from or written to

    thread = threading.Thread(target=accept, name="hung-broker", daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(timeout=2)
        for client in accepted:
            client.close()
        server.close()


DOWN_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused


@contextmanager
def publishing_to(url: str, *, socket_timeout: float = 5, connect_timeout: float = 1) -> Iterator[None]:
    """Within this block, every task this process publishes goes to ``url`` (with the production
    socket timeouts), whatever CELERY_BROKER_URL says."""
    connection = app.connection_for_write(
        url,
        transport_options={"socket_timeout": socket_timeout, "socket_connect_timeout": connect_timeout},
    )
    pool = ProducerPool(connection.Pool(limit=4), limit=4)
    try:
        with mock.patch.object(app.amqp, "_producer_pool", pool):
            yield
    finally:
        pool.force_close_all()

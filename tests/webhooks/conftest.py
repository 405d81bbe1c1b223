"""A real HTTP receiver on the loopback address, verifying what it receives with the
``standardwebhooks`` verifier, and an endpoint of the site pointed at it."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from editorial.webhooks.models import EventType
from editorial.webhooks.services import endpoints


@dataclass
class Receiver:
    """What the receiver saw: each request (and whether its signature verified), the events it
    accepted (the verified JSON bodies, with their headers), and how many times each webhook-id
    came. It answers 500 to the first ``fail_first`` requests of each webhook-id."""

    url: str = ""
    secrets: list[str] = field(default_factory=list)
    fail_first: int = 0
    status_after_failures: int = 200
    delay_seconds: float = 0
    requests: list[dict] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)
    tries: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, body: bytes, headers: dict[str, str]) -> dict | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except Exception:  # noqa: BLE001, S112 - the next secret may verify it
                continue
        return None

    @property
    def accepted_ids(self) -> list[str]:
        return [event["webhook-id"] for event in self.accepted]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            headers = {key.lower(): value for key, value in self.headers.items()}
            parsed = receiver.verify(body, headers)
            with receiver.lock:
                webhook_id = headers.get("webhook-id", "")
                receiver.tries[webhook_id] += 1
                receiver.requests.append({"headers": headers, "body": body, "verified": parsed is not None})
                if parsed is None:
                    status = 401
                elif receiver.tries[webhook_id] <= receiver.fail_first:
                    status = 500
                else:
                    status = receiver.status_after_failures
                    if status < 300:
                        receiver.accepted.append({**parsed, "webhook-id": webhook_id})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"status": status}).encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    """A receiver listening on 127.0.0.1 (allowed, as in development, by the setting)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, chief):
    """An endpoint for every event type, pointed at the receiver, whose secret it knows."""
    created = endpoints.endpoint_create(actor=chief, url=receiver.url, event_types=EventType.values)
    receiver.secrets.append(created.secret)
    return created

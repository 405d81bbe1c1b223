"""The HTTP call of a webhook delivery: a POST with connect and read timeouts, no redirects
followed, http(s) only, and (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES) never to a private, loopback,
link-local or otherwise non-public address.

The host is resolved once, every address it resolves to is checked, and the connection is made to
the address that was checked (the TLS handshake still names and verifies the host), so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot point the request
at an internal service.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

EXCERPT_LENGTH = 500
_READ_LIMIT = 4096


class AddressRefused(Exception):
    """The URL is not one a webhook may be sent to."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    response_excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s) or names a non-public address literally (the host's DNS
    answer is checked at each delivery). Raises ``AddressRefused`` with a message for a person."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused("Only http:// and https:// URLs with a host can receive webhooks.")
    if parts.username or parts.password:
        raise AddressRefused("Put no user name or password in the URL; the signature authenticates us.")
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise AddressRefused("Webhooks cannot be sent to localhost.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address.is_global:
        raise AddressRefused(f"Webhooks cannot be sent to the non-public address {host}.")


def _resolve(host: str, port: int) -> str:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise AddressRefused(f"{host} does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise AddressRefused(f"{host} resolves to the non-public address {address}.")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the host resolves to now."""

    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float, read_timeout: float):
        super().__init__(host, port, timeout=connect_timeout)
        self._address = address
        self._read_timeout = read_timeout

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open_socket(), server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``; never raises: a refusal, a timeout or a connection error is the
    outcome's ``error``. A redirect is not followed (and is not a success)."""
    parts = urlsplit(url)
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        check_url(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        address = _resolve(parts.hostname or "", port)
        connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = connection_class(
            parts.hostname or "",
            port,
            address=address,
            connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.WEBHOOK_READ_TIMEOUT_SECONDS,
        )
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(_READ_LIMIT).decode("utf-8", errors="replace")[:EXCERPT_LENGTH]
        finally:
            connection.close()
    except AddressRefused as refusal:
        return Outcome(status_code=None, latency_ms=elapsed(), error=str(refusal)[:EXCERPT_LENGTH])
    except (OSError, http.client.HTTPException) as error:
        # Timeouts (socket.timeout is an OSError), refused connections, TLS and protocol errors.
        return Outcome(status_code=None, latency_ms=elapsed(), error=repr(error)[:EXCERPT_LENGTH])
    error = ""
    if 300 <= response.status < 400:
        error = f"Redirect to {response.getheader('Location', '?')} not followed."[:EXCERPT_LENGTH]
    elif not 200 <= response.status < 300:
        error = f"HTTP {response.status}"
    return Outcome(status_code=response.status, latency_ms=elapsed(), response_excerpt=excerpt, error=error)

"""Claiming an idempotency key, recording the response it guarded, and forgetting old keys."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.idempotency.models import IdempotencyKey

# Headers a replay must give back as they were: the new resource's validator and location.
REPLAYED_HEADERS = ("ETag", "Location")


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The outcome of presenting a key: ``record`` to fill in (a first request), or the
    ``earlier`` request's record (a retry, or a reuse when ``matches`` is false)."""

    record: IdempotencyKey | None = None
    earlier: IdempotencyKey | None = None
    matches: bool = True


def claim(*, user: Any, key: str, method: str, path: str, body: bytes) -> Claim:
    """Claim ``key`` for this request inside the caller's transaction. A concurrent request with
    the same key waits here until the first one's transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() must run in the transaction of the write it guards.")
    digest = fingerprint(method=method, path=path, body=body)
    expired_before = timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
    try:
        with transaction.atomic():
            return Claim(
                record=IdempotencyKey.objects.create(
                    user=user, key=key, fingerprint=digest, method=method, path=path[:2000]
                )
            )
    except IntegrityError:
        earlier = IdempotencyKey.objects.get(user=user, key=key)
        return Claim(earlier=earlier, matches=earlier.fingerprint == digest)


def record_response(record: IdempotencyKey, *, status_code: int, body: Any, headers: dict[str, str]) -> None:
    record.status_code = status_code
    record.response_body = body
    record.response_headers = {name: headers[name] for name in REPLAYED_HEADERS if name in headers}
    record.save(update_fields=["status_code", "response_body", "response_headers"])


def purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted

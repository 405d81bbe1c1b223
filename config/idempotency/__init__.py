"""Idempotent writes: a POST sent again with the same ``Idempotency-Key`` is answered once.

Following the IETF httpapi draft "The Idempotency-Key HTTP Header Field": a client that retries a
POST (after a timeout, a dropped connection) sends the same key; the server answers the retry with
the first response and writes nothing more. The same key with a different request is refused with
422. Keys are kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24 by default), per user.

The key is claimed in the same transaction as the write it guards, so a crash between the write and
recording its response is impossible: either both are committed or neither is. A retry that
arrives while the first request is still running waits for it on the key's unique index, then
replays its response.

A Django app of its own (label ``idempotency``) under ``config`` because every app's API uses it
and it knows none of them.
"""

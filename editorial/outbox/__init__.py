"""The transactional outbox: every side effect a change owes is a row written with the change.

A service that owes a side effect (the notification emails now, webhooks later) calls
``services.enqueue`` inside its transaction: the message row commits or rolls back with the change,
so nothing is owed for a change that did not happen and nothing owed is lost. Once the transaction
commits, the web process tries to hand the message to the broker within a hard time budget
(``OUTBOX_PUBLISH_BUDGET_MS``) and never fails or delays the request beyond it; whatever is still
pending is published by the relay (``services.relay``: a beat task and ``manage.py relay_outbox``).
Consumers are idempotent, because a message can be published more than once (the relay retries
what the inline attempt may have sent just before its budget ran out).
"""

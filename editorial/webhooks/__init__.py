"""Outbound webhooks: events recorded with the change that causes them, delivered to the site's
endpoints signed per the Standard Webhooks specification, at least once (docs/webhooks.md)."""

"""Signals the articles app sends, for the apps built on it (which it never imports)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``articles.services.update_article``, inside its transaction and under the article's
# lock, when the specialty or the risk level changed: the rules its approvals must meet depend on
# them. Arguments: ``article`` (the locked, saved article) and ``changes`` ({field: (old, new)},
# values as shown to people: the specialty's name, the risk level's label).
article_reclassified = Signal()

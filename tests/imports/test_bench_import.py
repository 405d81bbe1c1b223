"""The import benchmark compares like with like: both paths create every article of their lines
with its version, references and history, and a re-import finds them all unchanged."""

from __future__ import annotations

import pytest

from articles.models import Article, Reference
from bench import imports

pytestmark = pytest.mark.django_db


def test_both_paths_write_the_same_rows_and_a_reimport_writes_nothing():
    editor, specialty = imports.setup()
    bulk_lines = imports.make_lines("b-", 12)

    imports.time_bulk(editor=editor, lines=bulk_lines, batch_size=5)
    imports.time_service(editor=editor, specialty=specialty, lines=imports.make_lines("s-", 12))
    before = imports.counts()
    imports.time_reimport(editor=editor, lines=bulk_lines, batch_size=5)

    assert (
        imports.counts()
        == before
        == {
            "articles": 24,
            "versions": 24,
            "references": 48,
            "history rows": 24 * 2 + 24 + 48,
        }
    )
    bulk, service = (Article.objects.get(slug=f"{p}3") for p in ("b-", "s-"))
    assert bulk.current_version.references.count() == service.current_version.references.count() == 2
    assert Reference.objects.filter(version__article=bulk).first().doi.startswith("10.1016/")

from __future__ import annotations

import dataclasses

import pytest

from articles.content import ReferenceContent, VersionContent

REFERENCE = ReferenceContent(
    citation="CLEOPATRA trial.",
    source="N Engl J Med",
    year=2012,
    url="https://example.org/c",
    doi="10.1056/example",
    pmid="123456",
)
CONTENT = VersionContent(title="A question?", body="An answer.\n\nWith evidence.", references=(REFERENCE,))


def test_hash_is_a_pinned_sha256_of_the_canonical_form():
    # Pinned: a change to the canonical form would silently invalidate every recorded approval.
    assert CONTENT.sha256() == "183e2dcd85b8386211b23ee0afa4761142de1bc957904e2dbc00d22b1465be91"


def test_equal_content_gives_equal_hash():
    copy = VersionContent(title="A question?", body="An answer.\n\nWith evidence.", references=(REFERENCE,))
    assert copy.sha256() == CONTENT.sha256()


def test_platform_line_endings_and_unicode_forms_do_not_change_the_hash():
    windows = dataclasses.replace(CONTENT, body="An answer.\r\n\r\nWith evidence.\r\n")
    decomposed = VersionContent(title="Caf\u0065\u0301?", body="x")
    composed = VersionContent(title="Caf\u00e9?", body="x")
    assert windows.sha256() == CONTENT.sha256()
    assert decomposed.sha256() == composed.sha256()


@pytest.mark.parametrize("field", ["title", "body"])
def test_every_version_field_changes_the_hash(field):
    changed = dataclasses.replace(CONTENT, **{field: getattr(CONTENT, field) + " more"})
    assert changed.sha256() != CONTENT.sha256()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("citation", "Another trial."),
        ("source", "Lancet"),
        ("year", 2013),
        ("url", "https://example.org/d"),
        ("doi", "10.1056/other"),
        ("pmid", "654321"),
    ],
)
def test_every_reference_field_changes_the_hash(field, value):
    changed = dataclasses.replace(CONTENT, references=(dataclasses.replace(REFERENCE, **{field: value}),))
    assert changed.sha256() != CONTENT.sha256()


def test_reference_order_and_presence_change_the_hash():
    other = dataclasses.replace(REFERENCE, citation="Second.")
    assert (
        dataclasses.replace(CONTENT, references=(REFERENCE, other)).sha256()
        != dataclasses.replace(CONTENT, references=(other, REFERENCE)).sha256()
    )
    assert dataclasses.replace(CONTENT, references=()).sha256() != CONTENT.sha256()


def test_moving_text_between_fields_changes_the_hash():
    # The canonical form is structured, not a concatenation: "ab" + "c" is not "a" + "bc".
    assert VersionContent(title="ab", body="c").sha256() != VersionContent(title="a", body="bc").sha256()

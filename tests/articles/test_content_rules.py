"""The canonical form's rules beyond the pinned hashes of test_content.py: every line ending is
stored as a line feed, and the bulk import's hash of normalised values is the content hash."""

from __future__ import annotations

from articles.content import ReferenceContent, VersionContent, normalise_text, normalised_sha256


def test_a_lone_carriage_return_becomes_a_line_feed():
    """Text from an editor that ends lines with a carriage return alone (classic Mac OS) is stored
    with the same line feeds as text typed on Windows or Unix."""
    assert (
        normalise_text("First line\rsecond line\r\n\rlast line\r") == "First line\nsecond line\n\nlast line"
    )


def test_old_mac_line_endings_do_not_change_the_hash():
    unix = VersionContent(title="Dosing", body="Take one.\nThen wait.\n\nRepeat.")
    old_mac = VersionContent(title="Dosing", body="Take one.\rThen wait.\r\rRepeat.\r")

    assert old_mac.canonical_bytes() == unix.canonical_bytes()
    assert old_mac.sha256() == unix.sha256()


def test_the_bulk_hash_of_a_known_content_is_its_pinned_hash():
    """The bulk import hashes plain rows (with its own extra keys, such as the position) without
    building the dataclasses: the same bytes, so the same hash as test_content.py pins."""
    row = {
        "position": 1,
        "citation": "Only a citation",
        "source": "",
        "year": None,
        "url": "",
        "doi": "",
        "pmid": "",
    }

    digest = normalised_sha256(title="Q", body="A", references=[row])

    assert digest == "f603571db79408a8aad102e2550d7ea5b4cc430b68fe28c4cd7b9b381a641670"
    assert (
        digest
        == VersionContent(
            title="Q", body="A", references=(ReferenceContent(citation="Only a citation"),)
        ).sha256()
    )


def test_the_bulk_hash_names_every_field_of_the_canonical_form():
    reference = {
        "citation": "ESC 2023",
        "source": "Eur Heart J",
        "year": 2023,
        "url": "",
        "doi": "",
        "pmid": "1",
    }
    content = VersionContent(
        title="HbA1c \u2265 48 mmol/mol",
        body="\u03b2-blocker first.",
        references=(ReferenceContent(citation="ESC 2023", source="Eur Heart J", year=2023, pmid="1"),),
    )

    assert (
        normalised_sha256(title=content.title, body=content.body, references=[reference]) == content.sha256()
    )
    assert normalised_sha256(title=content.title, body=content.body, references=[]) != content.sha256()

from __future__ import annotations

import dataclasses

import pytest

from articles.content import ReferenceContent, VersionContent
from articles.models import ArticleVersion
from articles.services import create_article, create_version
from tests.factories import ArticleFactory
from tests.helpers import client_for

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


# Hashes computed before the canonical form was built by hand instead of with dataclasses.asdict:
# any change to it must keep these bytes, or recorded approvals stop naming their text.
PINNED = [
    (
        VersionContent(title="Dosing?", body="Take one."),
        b'{"body":"Take one.","format":1,"references":[],"title":"Dosing?"}',
        "34f17d9c91e2f9f6eac05f1d331a63b7a943d117b54b21fcdb100096cfcc6105",
    ),
    (
        VersionContent(title="Q", body="A", references=(ReferenceContent(citation="Only a citation"),)),
        b'{"body":"A","format":1,"references":[{"citation":"Only a citation","doi":"","pmid":"",'
        b'"source":"","url":"","year":null}],"title":"Q"}',
        "f603571db79408a8aad102e2550d7ea5b4cc430b68fe28c4cd7b9b381a641670",
    ),
    (
        VersionContent(
            title=" HbA1c \u2265 48 mmol/mol\r\n",
            body='\u03b2-blocker "quoted" \\ back\tslash\r\nline <b>x</b>',
            references=(
                ReferenceContent(
                    citation="Cafe\u0301",
                    source="ESC",
                    year=2023,
                    url=" https://e.org/x ",
                    doi="10.1/x",
                    pmid="1",
                ),
                ReferenceContent(citation="Two", year=1999),
            ),
        ),
        None,
        "1ecb4bf9348261b52b02cfe5f6f6abe54641ae1bd04c60fb39b3549f44472631",
    ),
]


@pytest.mark.parametrize(("content", "canonical", "digest"), PINNED)
def test_known_contents_keep_their_canonical_bytes_and_hashes(content, canonical, digest):
    if canonical is not None:
        assert content.canonical_bytes() == canonical
    assert content.sha256() == digest


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


# --- Clinical text: any characters, stored as typed -------------------------------------------
# Comparisons, arrows, units and Greek letters are everyday clinical writing; none of it is HTML.

CLINICAL_BODY = (
    "Reduce the dose when creatinine clearance < normal range and potassium > 5.0 mmol/L.\n"
    "\n"
    "- eGFR <30 mL/min/1.73 m²: avoid\n"
    "- eGFR >= 30 and <= 60 mL/min/1.73 m²: give half the dose\n"
    "- CrCl <normal and K+ >5.0 mmol/L: reduce the dose\n"
    "- if QTc >500 ms -> stop\n"
    "- HbA1c ≥ 48 mmol/mol → start metformin; HbA1c ≤ 42 mmol/mol → no treatment\n"
    "- K+ < 3.5 and Mg2+ < 0.7 mmol/L: replace both before the first dose\n"
    "- Noradrenaline 0.05–0.5 µg/kg/min; add a β-blocker once lactate ↓ and MAP ↑\n"
    "- α-blockers: start low; µ-opioid agonists: avoid"
)
CLINICAL_TITLE = "Potassium > 5.0 mmol/L and eGFR < 30: when to reduce the dose"
CLINICAL_SUMMARY = "Thresholds now eGFR <30 -> avoid, QTc >500 ms -> stop"
CLINICAL_REFERENCES = [
    {
        "citation": "Hyperkalaemia (K+ >6.0 mmol/L) in CKD <stage 4>: a cohort study.",
        "source": "Kidney Int <Suppl>",
    },
]
# Pinned, like the hash above: the same clinical text must always name the same approval.
CLINICAL_HASH = "ec51a07135b305a04c464b29e4acae181826143baca01b354dc705eb34a4e427"


def clinical_version_content(version):
    return VersionContent(
        title=version.title,
        body=version.body,
        references=tuple(reference.content() for reference in version.references.all()),
    )


@pytest.mark.django_db
def test_create_article_stores_clinical_text_byte_for_byte(editor, oncology):
    article = create_article(
        actor=editor,
        slug="hyperkalaemia",
        title=CLINICAL_TITLE,
        specialty=oncology,
        body=CLINICAL_BODY.replace("\n", "\r\n") + "\r\n",  # typed on Windows
        change_summary=CLINICAL_SUMMARY,
        references=CLINICAL_REFERENCES,
        reason="Reader question",
    )

    version = ArticleVersion.objects.get(article__slug="hyperkalaemia", number=1)
    stored = (version.article.title, version.title, version.body, version.change_summary)
    assert stored == (CLINICAL_TITLE, CLINICAL_TITLE, CLINICAL_BODY, CLINICAL_SUMMARY)
    assert version.body.encode() == CLINICAL_BODY.encode()
    (reference,) = version.references.all()
    assert (reference.citation, reference.source) == (
        CLINICAL_REFERENCES[0]["citation"],
        CLINICAL_REFERENCES[0]["source"],
    )
    assert version.content_hash == CLINICAL_HASH
    assert version.recompute_content_hash() == version.content_hash
    assert article.current_version == version


@pytest.mark.django_db
def test_create_version_stores_clinical_text_and_hashes_it_stably():
    article = ArticleFactory()
    versions = [
        create_version(
            actor=article.created_by,
            article=article,
            title=CLINICAL_TITLE,
            body=CLINICAL_BODY,
            change_summary=CLINICAL_SUMMARY,
            references=CLINICAL_REFERENCES,
            reason="Thresholds",
        )
        for _ in range(2)
    ]

    for version in versions:
        stored = ArticleVersion.objects.get(pk=version.pk)
        assert (stored.title, stored.body, stored.change_summary) == (
            CLINICAL_TITLE,
            CLINICAL_BODY,
            CLINICAL_SUMMARY,
        )
        assert stored.content_hash == clinical_version_content(stored).sha256() == CLINICAL_HASH
    assert [version.number for version in versions] == [2, 3]


@pytest.mark.django_db
def test_the_api_accepts_the_reported_sentence_and_returns_it_unchanged(world):
    api = client_for(world.editor)
    sentence = "Reduce the dose when creatinine clearance < normal range and potassium > 5.0 mmol/L."

    response = api.post(
        "/api/v1/articles/",
        {
            "slug": "potassium",
            "title": "Potassium > 5.0 mmol/L",
            "specialty": "medical-oncology",
            "body": sentence,
            "change_summary": "eGFR <30 -> avoid",
            "references": [{"citation": "K+ < 3.5 and Mg2+ < 0.7 mmol/L: a review."}],
            "reason": "Reader question",
            "provenance": "human",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    version = api.get("/api/v1/articles/potassium/versions/1/").json()
    assert (version["title"], version["body"], version["change_summary"]) == (
        "Potassium > 5.0 mmol/L",
        sentence,
        "eGFR <30 -> avoid",
    )
    assert version["references"][0]["citation"] == "K+ < 3.5 and Mg2+ < 0.7 mmol/L: a review."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "See <img src=x onerror=alert(1)>",
        '[x](javascript:alert(1)) and <a href="javascript:alert(1)">y</a>',
        "<!-- hidden --> Bold <b>text</b>",
    ],
)
def test_script_and_handler_payloads_are_stored_as_typed(world, payload):
    # Stored as typed so that editors and reviewers see exactly what was written; rendering shows
    # it as text (tests/articles/test_rendering.py).
    api = client_for(world.editor)

    response = api.post(
        "/api/v1/articles/phesgo/versions/",
        {"title": payload, "body": payload, "reason": "r", "provenance": "human"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    version = api.get("/api/v1/articles/phesgo/versions/2/").json()
    assert (version["title"], version["body"]) == (payload, payload)
    assert version["content_hash"] == VersionContent(title=payload, body=payload).sha256()

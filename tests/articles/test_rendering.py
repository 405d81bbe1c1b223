"""What a reader sees of article text: Markdown rendered, raw HTML shown as typed, nothing run.

The clinical text goes through ``create_article`` first, as in production: the reader sees what
was stored, not what was typed into the test.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from articles.rendering import render_markdown
from articles.services import create_article
from editorial import services
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory, SpecialtyFactory

# A dosing section as an editor writes it: comparisons, arrows, units and Greek letters.
REPORTED = "Reduce the dose when creatinine clearance < normal range and potassium > 5.0 mmol/L."
LINES = [
    "eGFR <30 mL/min/1.73 m²: avoid",
    "eGFR >= 30 and <= 60 mL/min/1.73 m²: give half the dose",
    "CrCl <normal and K+ >5.0 mmol/L: reduce the dose",
    "if QTc >500 ms -> stop",
    "HbA1c ≥ 48 mmol/mol → start metformin; HbA1c ≤ 42 mmol/mol → no treatment",
    "K+ < 3.5 and Mg2+ < 0.7 mmol/L: replace both before the first dose",
    "Noradrenaline 0.05–0.5 µg/kg/min; add a β-blocker once lactate ↓ and MAP ↑",
    "α-blockers: start low; µ-opioid agonists: avoid",
]
DOSING = "## Dose adjustment\n\n" + REPORTED + "\n\n" + "\n".join(f"- {line}" for line in LINES)


class Reader(HTMLParser):
    """The page as a browser builds it: the elements made and the text a reader sees."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data

    def handle_comment(self, data):
        self.elements.append(("<!--", {}))

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}

    def lines(self) -> list[str]:
        return [line for line in self.text.split("\n") if line]


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def stored_and_rendered(body: str) -> str:
    article = create_article(
        actor=EditorFactory(),
        slug="dose-adjustment",
        title="Dose adjustment",
        specialty=SpecialtyFactory(),
        body=body,
        reason="New article",
    )
    return render_markdown(article.current_version.body)


@pytest.mark.django_db
def test_the_reported_sentence_is_shown_as_written():
    html = stored_and_rendered(REPORTED)

    assert html == (
        "<p>Reduce the dose when creatinine clearance &lt; normal range and potassium &gt; 5.0 mmol/L.</p>"
    )
    assert Reader(html).text == REPORTED


@pytest.mark.django_db
@pytest.mark.parametrize("line", LINES)
def test_each_clinical_line_reads_as_written(line):
    html = stored_and_rendered(DOSING)

    assert f"<li>{escaped(line)}</li>" in html
    assert line in Reader(html).text


@pytest.mark.django_db
def test_comparisons_make_no_tags_only_the_markdown_structure():
    reader = Reader(stored_and_rendered(DOSING))

    assert reader.tags() == {"h2", "p", "ul", "li"}
    assert all(attributes == {} for _, attributes in reader.elements)
    assert reader.lines() == ["Dose adjustment", REPORTED, *LINES]


@pytest.mark.django_db
def test_a_reader_sees_the_clinical_text_on_the_public_page(client, oncology):
    editor = EditorFactory()
    article = ArticleFactory(specialty=oncology, actor=editor, body=DOSING)
    member = BoardMemberFactory(specialties=[oncology])
    services.submit(actor=editor, article=article, reason="Ready")
    assignment = services.assign(actor=editor, article=article, reviewer=member, reason="Oncologist")
    services.decide(actor=member.user, assignment=assignment, decision="approve", comment="")

    page = client.get(f"/api/v1/public/articles/{article.slug}/").json()

    assert page["body"] == DOSING
    assert "creatinine clearance &lt; normal range and potassium &gt; 5.0 mmol/L" in page["body_html"]
    assert Reader(page["body_html"]).lines() == ["Dose adjustment", REPORTED, *LINES]


@pytest.mark.parametrize(
    ("typed", "elements"),
    [
        ("<script>alert(1)</script>", [("p", {})]),
        ("See <img src=x onerror=alert(1)>", [("p", {})]),
        ('<svg onload="alert(1)"><style>p {}</style>', [("p", {})]),
        ('<iframe src="javascript:alert(1)"></iframe>', [("p", {})]),
        ("<!-- hidden --> Bold <b>text</b>", [("p", {})]),
        (
            '[x](javascript:alert(1)) and <a href="javascript:alert(1)">y</a>',
            [("p", {}), ("a", {"rel": "noopener noreferrer nofollow"})],
        ),
    ],
)
def test_raw_html_is_shown_as_typed_and_never_runs(typed, elements):
    html = render_markdown(typed)
    reader = Reader(html)

    assert reader.elements == elements  # no script, image, frame, handler or javascript: link
    assert reader.text == typed.replace("[x](javascript:alert(1))", "x")
    assert "&lt;" in html


def test_html_blocks_are_shown_as_typed_with_markdown_around_them():
    typed = '<div markdown="1" onclick="alert(1)">\n*Dose*\n</div>\n\n**Stop** if QTc >500 ms'

    html = render_markdown(typed)

    assert html == (
        '<p>&lt;div markdown="1" onclick="alert(1)"&gt;\n<em>Dose</em>\n&lt;/div&gt;</p>\n'
        "<p><strong>Stop</strong> if QTc &gt;500 ms</p>"
    )


def test_autolinks_still_link_next_to_tag_shaped_comparisons():
    typed = (
        "Cut-offs for eGFR <normal range> are at <https://kdigo.org/guidelines> (ask <renal@example.org>)."
    )

    html = render_markdown(typed)
    reader = Reader(html)

    assert reader.elements == [
        ("p", {}),
        ("a", {"href": "https://kdigo.org/guidelines", "rel": "noopener noreferrer nofollow"}),
        ("a", {"href": "mailto:renal@example.org", "rel": "noopener noreferrer nofollow"}),
    ]
    assert reader.text == (
        "Cut-offs for eGFR <normal range> are at https://kdigo.org/guidelines (ask renal@example.org)."
    )

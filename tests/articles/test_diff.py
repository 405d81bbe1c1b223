"""The rendered diff between versions: word-level insertions and deletions in the text as readers
see it, always well-formed and safe HTML, and the references compared as a list."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.content import ReferenceContent
from articles.diff import diff_versions
from articles.diff_html import align, blocks, render_changes
from articles.diff_references import diff_references
from articles.rendering import render_markdown
from articles.services import create_version
from editorial.demo import PHESGO_BODY, PHESGO_BODY_V1
from tests.factories import ArticleFactory

VOID = {"br", "hr"}


class _Checker(HTMLParser):
    """Reads HTML, failing on an element closed out of order; keeps the text and the tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.in_del = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.open.append(tag)
        self.in_del += tag == "del"

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open}"
        self.open.pop()
        self.in_del -= tag == "del"

    def handle_data(self, data):
        self.text.append(data)


def checked(fragment: str) -> _Checker:
    checker = _Checker()
    checker.feed(fragment)
    checker.close()
    assert checker.open == [], f"left open: {checker.open}"
    return checker


def words_of(fragment: str) -> str:
    return "".join("".join(checked(fragment).text).split())


def diff(old_markdown: str, new_markdown: str, side: str = "both") -> str:
    changes = align(
        blocks(render_markdown(old_markdown), "old"), blocks(render_markdown(new_markdown), "new")
    )
    return render_changes(changes, side)


def test_a_changed_word_is_marked_inside_its_formatting():
    html = diff("Give **at least six cycles** of it.", "Give **at least eight cycles** of it.")

    assert (
        html == '<p class="diff-changed">Give <strong>at least <del>six</del><ins>eight</ins> cycles</strong>'
        " of it.</p>"
    )


def test_an_added_list_item_is_an_insertion_in_the_same_list():
    html = diff(PHESGO_BODY_V1, PHESGO_BODY)

    assert (
        '<li class="diff-inserted"><ins>HER2-targeted drugs can weaken the heart. Monitor cardiac function'
        in html
    )
    assert "<del>" not in html  # the revision only adds
    assert html.count("<ul>") == render_markdown(PHESGO_BODY).count("<ul>")  # no list split in two


def test_the_reverse_diff_shows_the_same_advice_as_deleted():
    assert '<li class="diff-deleted"><del>HER2-targeted drugs can weaken the heart.' in diff(
        PHESGO_BODY, PHESGO_BODY_V1
    )


def test_a_change_across_formatting_and_paragraphs_stays_well_formed():
    old = "One *two three* four.\n\n- a **b** c\n- d\n\n| x | y |\n|---|---|\n| 1 | 2 |"
    new = "One two *three four*.\n\nA new paragraph.\n\n- a b **c**\n\n| x | y |\n|---|---|\n| 1 | 3 |"

    html = diff(old, new)

    checked(html)
    assert "<em><del>two</del></em>" in html or "<em><del>two " in html
    assert "<td><del>2</del><ins>3</ins></td>" in html.replace(' class="diff-changed"', "")


def test_text_typed_as_html_stays_text_in_the_diff():
    html = diff(
        "Plain.",
        "Plain. <script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3))",
    )

    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html
    assert set(checked(html).tags) <= {"p", "ins", "del", "a"}


def test_the_two_sides_show_each_version_with_its_own_changes():
    old, new = "Keep 4 mg daily.", "Keep 8 mg daily."

    assert diff(old, new, "old") == '<p class="diff-changed">Keep <del>4</del> mg daily.</p>'
    assert diff(old, new, "new") == '<p class="diff-changed">Keep <ins>8</ins> mg daily.</p>'


MARKDOWN_PIECES = st.sampled_from(
    [
        "dose", "4 mg", "**bold**", "*em*", "`code`", "[ref](https://example.org)", "<b>", "&", "≥ 5",
        "\n\n", "\n- ", "\n1. ", "\n## ", "\n> ", "\n\n    code\n\n", "  \n", ".", " ",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(MARKDOWN_PIECES, max_size=25), st.lists(MARKDOWN_PIECES, max_size=25))
def test_any_two_texts_give_well_formed_html_that_reads_as_each_version(old_pieces, new_pieces):
    old, new = "".join(old_pieces), "".join(new_pieces)

    inline, base_side, version_side = (diff(old, new, side) for side in ("both", "old", "new"))

    for html in (inline, base_side, version_side):
        checked(html)
    # Each side, read without its marks, is exactly the text readers see of that version.
    assert words_of(version_side) == words_of(render_markdown(new))
    assert words_of(base_side) == words_of(render_markdown(old))
    assert "<del>" not in version_side and "<ins>" not in base_side


def ref(citation: str, **fields: object) -> ReferenceContent:
    return ReferenceContent(citation=citation, **fields)


def test_references_are_compared_as_a_list():
    base = [
        ref("ESMO guideline.", source="ESMO"),
        ref("CLEOPATRA trial.", source="N Engl J Med", year=2012, pmid="22149875"),
        ref("A review that was dropped."),
    ]
    version = [
        ref("A new trial.", doi="10.1000/new"),
        ref("ESMO guideline.", source="ESMO"),
        ref("CLEOPATRA trial, final analysis.", source="N Engl J Med", year=2015, pmid="22149875"),
    ]

    changes = diff_references(base, version)

    assert [(c.change, c.position, c.base_position) for c in changes] == [
        ("added", 1, None),
        ("unchanged", 2, 1),
        ("changed", 3, 2),
        ("removed", None, 3),
    ]
    changed = changes[2]
    assert [(f.field, f.old, f.new) for f in changed.fields] == [
        ("citation", "CLEOPATRA trial.", "CLEOPATRA trial, final analysis."),
        ("year", 2012, 2015),
    ]
    assert "<del>2012</del><ins>2015</ins>" in changed.html
    assert changes[0].html.startswith("<ins>A new trial.")
    assert changes[3].html == "<del>A review that was dropped.</del>"


@pytest.mark.django_db
def test_a_version_s_diff_marks_its_title_text_and_references(editor):
    article = ArticleFactory(actor=editor, title="How many cycles?", body="At least six cycles.")
    base = article.current_version
    version = create_version(
        actor=editor,
        article=article,
        title="How many cycles of Phesgo?",
        body="At least six cycles. Monitor the heart.",
        reason="Revision",
        references=[{"citation": "A guideline.", "source": "A guideline body", "year": 2025}],
    )

    result = diff_versions(base, version)

    assert '<h1 class="diff-changed">How many cycles<ins> of Phesgo</ins>?</h1>' in result.html
    assert "<ins> Monitor the heart.</ins>" in result.html
    assert (result.title_changed, result.text_changed, result.references_changed) == (True, True, True)
    assert [c.change for c in result.references] == ["changed"]
    assert diff_versions(base, base).changed is False


@pytest.mark.django_db
def test_a_version_compared_with_nothing_is_all_added(editor):
    article = ArticleFactory(actor=editor, title="A question?", body="An answer.")

    result = diff_versions(None, article.current_version)

    assert (
        result.html == '<h1 class="diff-inserted"><ins>A question?</ins></h1>'
        '<p class="diff-inserted"><ins>An answer.</ins></p>'
    )
    assert [c.change for c in result.references] == ["added"]


def test_another_reference_in_the_same_place_is_one_removed_and_one_added():
    changes = diff_references([ref("A guideline.", year=2024)], [ref("CLEOPATRA trial.", year=2012)])

    assert [(c.change, c.position, c.base_position) for c in changes] == [
        ("removed", None, 1),
        ("added", 1, None),
    ]


def test_a_reference_corrected_in_place_is_changed():
    changes = diff_references(
        [ref("ESMO metastatic breast cancer guideline.")],
        [ref("ESMO metastatic breast cancer guideline, 2024.")],
    )

    assert [(c.change, c.position, c.base_position) for c in changes] == [("changed", 1, 1)]
    assert changes[0].html == "ESMO metastatic breast cancer guideline<ins>, 2024</ins>."

"""The plain text comment anchors count in, and finding a quoted passage in a later version."""

from __future__ import annotations

from articles.rendering import render_markdown
from editorial.comments.text import find_passage, html_text
from tests.comments.conftest import BODY, PASSAGE

TEXT = html_text(render_markdown(BODY))


def test_the_plain_text_is_the_rendered_text_without_its_markup():
    assert TEXT.startswith("Short answer\nStart a β-blocker after a myocardial infarction")
    assert "**" not in TEXT and "<" not in TEXT
    assert "treat when it is ≥ 48 mmol/mol on two readings." in TEXT


def test_character_references_are_decoded_as_a_browser_decodes_them():
    assert html_text(render_markdown("Creatinine < 30 & QTc > 500 ms")) == "Creatinine < 30 & QTc > 500 ms"


def test_an_unchanged_passage_is_found_exactly_where_it_is():
    start = TEXT.index(PASSAGE)
    passage = find_passage(TEXT, exact=PASSAGE, prefix="", suffix="", near=start)
    assert (passage.start, passage.end, passage.exact, passage.match) == (
        start,
        start + len(PASSAGE),
        PASSAGE,
        "exact",
    )


def test_a_moved_passage_is_found_where_it_went():
    moved = "The heart first. " + PASSAGE + "\n" + TEXT.replace(PASSAGE, "")
    passage = find_passage(moved, exact=PASSAGE, prefix="", suffix="", near=TEXT.index(PASSAGE))
    assert (passage.start, passage.exact, passage.match) == (17, PASSAGE, "exact")


def test_of_two_occurrences_the_one_whose_surroundings_agree_is_chosen():
    text = "Check potassium weekly. Later: check potassium weekly. Done."
    passage = find_passage(text, exact="potassium weekly", prefix="Later: check ", suffix=". Done", near=0)
    assert passage.start == text.rindex("potassium weekly")


def test_a_slightly_edited_passage_is_found_with_its_new_wording():
    edited = TEXT.replace(PASSAGE, "HER2-targeted drugs may weaken the heart muscle.")
    passage = find_passage(edited, exact=PASSAGE, prefix="", suffix="", near=TEXT.index(PASSAGE))
    assert passage.match == "fuzzy"
    assert passage.exact == "HER2-targeted drugs may weaken the heart muscle."
    assert edited[passage.start : passage.end] == passage.exact


def test_a_removed_passage_is_not_found():
    removed = TEXT.replace(PASSAGE + " ", "")
    assert find_passage(removed, exact=PASSAGE, prefix="", suffix="", near=TEXT.index(PASSAGE)) is None


def test_a_passage_rewritten_beyond_small_edits_is_not_found():
    rewritten = TEXT.replace(PASSAGE, "Trastuzumab and its relatives are cardiotoxic.")
    assert find_passage(rewritten, exact=PASSAGE, prefix="", suffix="", near=TEXT.index(PASSAGE)) is None

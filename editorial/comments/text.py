"""The plain text of a version that comment anchors count in, and finding a passage in it.

The plain text is the text content of the version's body as the review page shows it: the
Markdown rendered and sanitised by ``articles.rendering.render_markdown``, with the tags taken
away and character references decoded. It is what a browser gives as ``textContent`` of the
element holding that HTML (``#review-body`` on the review page), so the page's script and the
server count in the same text. Positions count Unicode code points, as the W3C model asks
(the script converts from JavaScript's UTF-16 units).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from diff_match_patch import diff_match_patch

from articles.models import ArticleVersion
from articles.rendering import render_markdown

# How much text on either side of a passage a quote selector keeps, when the client sends none.
CONTEXT_CHARS = 32
# A passage found by fuzzy matching may differ from the quote by at most this share of its length.
FUZZY_MAX_ERROR = 0.3


class _TextContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text content of an HTML fragment, as ``Node.textContent`` gives it."""
    parser = _TextContent()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def plain_text(version: ArticleVersion) -> str:
    return html_text(render_markdown(version.body))


@dataclass(frozen=True)
class Passage:
    """A passage found in a plain text, with its W3C selectors' values."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    match: str  # "exact" or "fuzzy"


def passage_at(text: str, start: int, end: int, match: str = "exact") -> Passage:
    return Passage(
        start=start,
        end=end,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        match=match,
    )


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def find_passage(text: str, *, exact: str, prefix: str, suffix: str, near: int) -> Passage | None:
    """Find a quoted passage in ``text`` (a later version's plain text).

    The exact quote first: of several occurrences, the one whose surroundings agree most with
    the prefix and suffix, then the nearest to ``near`` (where it was before). Failing that, a
    fuzzy match (diff-match-patch's Bitap ``match_main``) that tolerates small edits: its end is
    mapped through a character diff of the quote against the text found, and the passage is kept
    only if it differs from the quote by at most ``FUZZY_MAX_ERROR`` of its length. None when
    the passage is gone."""
    if not exact or not text:
        return None
    occurrences = []
    position = text.find(exact)
    while position != -1:
        occurrences.append(position)
        position = text.find(exact, position + 1)
    if occurrences:

        def fit(start: int) -> tuple[int, int]:
            context = _common_suffix(text[:start], prefix) + _common_prefix(
                text[start + len(exact) :], suffix
            )
            return (-context, abs(start - near))

        start = min(occurrences, key=fit)
        return passage_at(text, start, start + len(exact), "exact")

    dmp = diff_match_patch()
    dmp.Match_Threshold = 0.4
    # A passage that moved far is still the passage: distance from where it was weighs little.
    dmp.Match_Distance = max(1000, len(text))
    dmp.Match_MaxBits = 0  # the Python implementation has no word-size limit on the pattern
    start = dmp.match_main(text, exact, min(max(near, 0), len(text)))
    if start == -1:
        return None
    window = text[start : start + len(exact) + len(exact) // 2 + 1]
    diffs = dmp.diff_main(exact, window, False)
    # Map the quote's last character, not its end: the text after it belongs to what follows.
    end = start + dmp.diff_xIndex(diffs, len(exact) - 1) + 1
    found = text[start:end]
    if not found.strip():
        return None
    errors = dmp.diff_levenshtein(dmp.diff_main(exact, found, False))
    if errors > FUZZY_MAX_ERROR * len(exact):
        return None
    return passage_at(text, start, end, "fuzzy")

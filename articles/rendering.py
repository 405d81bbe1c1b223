"""Article text to HTML for readers and reviewers: Markdown, with any HTML in it shown as typed.

Article text accepts any character (``articles.content``): clinical writing is full of ``<`` and
``>`` ("creatinine clearance < normal range", "QTc >500 ms -> stop"), and a tag an author typed,
``<script>`` included, is kept in the stored text. It is made safe here, twice:

1. Python-Markdown is told not to recognise raw HTML: its raw-HTML block preprocessor and inline
   HTML pattern are removed, so ``<script>alert(1)</script>`` or ``<img src=x onerror=...>`` is
   ordinary text, escaped on output and shown to the reader exactly as typed. Autolinks
   (``<https://example.org>``, ``<name@example.org>``) are a separate pattern and still link.
2. nh3 then sanitises the result against an allow-list of tags and attributes and keeps only
   http(s) and mailto links (so ``[x](javascript:alert(1))`` loses its link), in case Markdown
   or one of its extensions ever emits something it should not.
"""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}

# Registry names in Python-Markdown 3.x (markdown/preprocessors.py and markdown/inlinepatterns.py;
# the "extra" extension's md_in_html replaces the preprocessor under the same name).
RAW_HTML_BLOCK_PREPROCESSOR = "html_block"
RAW_HTML_INLINE_PATTERN = "html"


def _markdown() -> markdown.Markdown:
    # A new instance per call: a Markdown instance holds per-document state and is not thread-safe.
    md = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    md.preprocessors.deregister(RAW_HTML_BLOCK_PREPROCESSOR)
    md.inlinePatterns.deregister(RAW_HTML_INLINE_PATTERN)
    return md


def render_markdown(text: str) -> str:
    html = _markdown().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )

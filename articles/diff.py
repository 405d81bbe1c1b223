"""What changed between two versions of an article, as reviewers and editors' tools read it.

``diff_versions`` gives the rendered diff (``articles.diff_html``: the title and the text as
readers see them, word by word, insertions in ``<ins>`` and deletions in ``<del>``, inline and as
two sides) and the references compared as a list (``articles.diff_references``). ``unified_diff``
is the plain line diff the API has always given, for tools that read it.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from functools import cached_property

from articles.diff_html import Change, align, blocks, render_changes
from articles.diff_references import ReferenceChange, diff_references
from articles.models import ArticleVersion
from articles.rendering import render_markdown


def rendered_document(version: ArticleVersion | None) -> str:
    """The version as a reader sees it, its title first; nothing for no version."""
    if version is None:
        return ""
    return f"<h1>{html.escape(version.title, quote=False)}</h1>\n{render_markdown(version.body)}"


@dataclass(frozen=True)
class VersionDiff:
    """``version`` compared with ``base`` (None: compared with nothing, all of it added)."""

    base: ArticleVersion | None
    version: ArticleVersion

    @cached_property
    def changes(self) -> list[Change]:
        return align(
            blocks(rendered_document(self.base), "old"), blocks(rendered_document(self.version), "new")
        )

    @cached_property
    def html(self) -> str:
        """Inline: the version with what was added and removed marked in place."""
        return render_changes(self.changes, "both")

    @cached_property
    def base_html(self) -> str:
        """The base's side, with what was removed marked."""
        return render_changes(self.changes, "old")

    @cached_property
    def version_html(self) -> str:
        """The version's side, with what was added marked."""
        return render_changes(self.changes, "new")

    @cached_property
    def references(self) -> list[ReferenceChange]:
        base = [reference.content() for reference in self.base.references.all()] if self.base else []
        return diff_references(base, [reference.content() for reference in self.version.references.all()])

    @property
    def title_changed(self) -> bool:
        return self.base is None or self.base.title != self.version.title

    @property
    def text_changed(self) -> bool:
        return any(change.operation != "equal" for change in self.changes)

    @property
    def references_changed(self) -> bool:
        return any(change.change != "unchanged" for change in self.references)

    @property
    def changed(self) -> bool:
        return self.text_changed or self.references_changed


def diff_versions(base: ArticleVersion | None, version: ArticleVersion) -> VersionDiff:
    return VersionDiff(base, version)


def version_lines(version: ArticleVersion) -> list[str]:
    """The version as plain lines: title, text, then the numbered references."""
    lines = [f"# {version.title}", "", *version.body.split("\n")]
    references = list(version.references.all())
    if references:
        lines += ["", "References:"]
        for reference in references:
            details = ", ".join(
                str(part)
                for part in (
                    reference.source,
                    reference.year,
                    reference.url,
                    reference.doi and f"doi:{reference.doi}",
                )
                if part
            )
            pmid = f" PMID {reference.pmid}" if reference.pmid else ""
            lines.append(
                f"{reference.position}. {reference.citation}" + (f" ({details})" if details else "") + pmid
            )
    return lines


def unified_diff(old: ArticleVersion | None, new: ArticleVersion, *, context: int = 3) -> str:
    return "\n".join(
        difflib.unified_diff(
            version_lines(old) if old is not None else [],
            version_lines(new),
            fromfile=f"version {old.number}" if old is not None else "nothing",
            tofile=f"version {new.number}",
            n=context,
            lineterm="",
        )
    )

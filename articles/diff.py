"""Unified diffs between versions: what a reviewer reads to see what changed."""

from __future__ import annotations

import difflib

from articles.models import ArticleVersion


def version_lines(version: ArticleVersion) -> list[str]:
    """The version as reviewers read it: title, text, then the numbered references."""
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


def unified_diff(old: ArticleVersion, new: ArticleVersion, *, context: int = 3) -> str:
    return "\n".join(
        difflib.unified_diff(
            version_lines(old),
            version_lines(new),
            fromfile=f"version {old.number}",
            tofile=f"version {new.number}",
            n=context,
            lineterm="",
        )
    )

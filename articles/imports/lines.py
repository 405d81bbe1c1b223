"""One line of an import: what it may hold, and what happened to it.

A line is a JSON object with the fields of ``LINE_FIELDS``; it is checked here for its shape
(the fields it names, their types) and then, in ``writer``, by the same model validation as
``articles.services.create_article`` and ``create_version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from articles.models import RiskLevel
from articles.provenance import VersionProvenance

TEXT_FIELDS = (
    "slug",
    "title",
    "specialty",
    "risk_level",
    "body",
    "change_summary",
    "provenance",
    "generator",
    "model_version",
    "source_reference",
    "reason",
)
LINE_FIELDS = (*TEXT_FIELDS, "references")
REQUIRED_FIELDS = ("slug", "title", "specialty", "body", "provenance")
_KNOWN = frozenset(LINE_FIELDS)
_RISK_LEVELS = frozenset(RiskLevel.values)


class Outcome(StrEnum):
    CREATED = "created"  # a new article with its version 1
    NEW_VERSION = "new_version"  # the next version of an existing article
    UNCHANGED = "unchanged"  # the article's current version already has this content hash
    REFUSED = "refused"  # the line itself is refused: ``fields`` says why
    NOT_WRITTEN = "not_written"  # the line was fine, but its batch was not written: ``detail`` says why

    @property
    def written_or_kept(self) -> bool:
        return self in (Outcome.CREATED, Outcome.NEW_VERSION, Outcome.UNCHANGED)


@dataclass
class LineResult:
    line: int  # 1-based position in the file or request
    slug: str
    outcome: Outcome
    version: int | None = None  # the version written, or the current one when unchanged
    fields: dict[str, list[str]] = field(default_factory=dict)  # why a line was refused
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"line": self.line, "slug": self.slug, "result": str(self.outcome)}
        if self.version is not None:
            result["version"] = self.version
        if self.fields:
            result["fields"] = self.fields
        if self.detail:
            result["detail"] = self.detail
        return result


@dataclass(frozen=True)
class Unreadable:
    """A line of a file that could not be decoded, with why."""

    message: str


@dataclass(frozen=True)
class LineInput:
    """A line whose shape is right: every field of the right type, references as a list of
    objects. Its values are still as given (normalised and validated by the writer)."""

    number: int
    slug: str
    title: str
    specialty: str
    risk_level: str
    body: str
    change_summary: str
    references: tuple[Mapping[str, Any], ...]
    provenance: VersionProvenance
    reason: str


def read_line(number: int, raw: Any, *, default_reason: str) -> LineInput | dict[str, list[str]]:
    """The line as a ``LineInput``, or the errors of its shape by field."""
    if isinstance(raw, Unreadable):
        return {"non_field_errors": [raw.message]}
    if not isinstance(raw, Mapping):
        return {"non_field_errors": ["A line must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    for name in sorted(set(raw) - _KNOWN):
        errors[str(name)] = ["There is no such field here."]
    for name in REQUIRED_FIELDS:
        if raw.get(name) in (None, ""):
            errors[name] = ["This field is required."]
    for name in TEXT_FIELDS:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            errors.setdefault(name, []).append("Must be a string.")
        elif isinstance(value, str) and "\x00" in value:
            errors.setdefault(name, []).append("Null characters are not allowed.")
    references = raw.get("references") or []
    if not isinstance(references, list) or not all(isinstance(item, Mapping) for item in references):
        errors["references"] = ["Must be a list of objects (citation, source, year, url, doi, pmid)."]
    risk_level = raw.get("risk_level") or RiskLevel.STANDARD
    if isinstance(risk_level, str) and risk_level not in _RISK_LEVELS:
        choices = ", ".join(RiskLevel.values)
        errors["risk_level"] = [f"“{risk_level}” is not a risk level; use one of: {choices}."]
    if errors:
        return errors
    return LineInput(
        number=number,
        slug=raw["slug"],
        title=raw["title"],
        specialty=raw["specialty"],
        risk_level=risk_level,
        body=raw["body"],
        change_summary=raw.get("change_summary") or "",
        references=tuple(references),
        provenance=VersionProvenance(
            kind=raw["provenance"],
            generator=raw.get("generator") or "",
            model_version=raw.get("model_version") or "",
            source_reference=raw.get("source_reference") or "",
        ),
        reason=(raw.get("reason") or "").strip() or default_reason,
    )

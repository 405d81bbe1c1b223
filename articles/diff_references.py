"""Two versions' references compared as a list: which entries were added, removed or changed
(and in which fields), and which stayed, wherever they moved to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Literal

from articles.content import ReferenceContent
from articles.diff_html import diff_plain_text
from articles.diff_sequences import similarity, words

ReferenceChangeKind = Literal["added", "removed", "changed", "unchanged"]
FIELDS = [f.name for f in fields(ReferenceContent)]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ReferenceChange:
    """One entry of the list: ``reference`` is the version's entry (the base's when removed);
    ``position`` its place in the version and ``base_position`` in the base (None where it has
    none); ``html`` the entry as one line, with what changed marked word by word."""

    change: ReferenceChangeKind
    reference: ReferenceContent
    position: int | None
    base_position: int | None
    fields: tuple[FieldChange, ...]
    html: str


def describe(reference: ReferenceContent) -> str:
    """A reference as one line, as the review page lists it."""
    details = ", ".join(str(part) for part in (reference.source, reference.year) if part)
    parts = [reference.citation + (f" ({details})" if details else "")]
    parts += [part for part in (reference.url, reference.doi and f"doi:{reference.doi}") if part]
    parts += [f"PMID {reference.pmid}"] if reference.pmid else []
    return " ".join(parts)


# How an entry of the base is recognised in the version when it changed: by an identifier first,
# then by its citation, then by its place in the list if its citation is much the same.
MATCHES: list[Callable[[ReferenceContent, int], object]] = [
    lambda reference, _: reference.doi and ("doi", reference.doi.lower()),
    lambda reference, _: reference.pmid and ("pmid", reference.pmid),
    lambda reference, _: reference.url and ("url", reference.url),
    lambda reference, _: ("citation", reference.citation),
]
# An entry at the same place whose citation shares less than this is another reference.
SAME_PLACE_SIMILARITY = 0.5


def diff_references(
    base: Sequence[ReferenceContent], version: Sequence[ReferenceContent]
) -> list[ReferenceChange]:
    """The version's references in order, each unchanged, changed or added, with the base's
    removed ones where they stood."""
    unmatched_base = dict(enumerate(base, start=1))
    unmatched_new = dict(enumerate(version, start=1))
    pairs: dict[int, int] = {}  # version position -> base position

    def match(key: Callable[[ReferenceContent, int], object]) -> None:
        keys: dict[object, int] = {}
        for position, reference in unmatched_base.items():
            found = key(reference, position)
            if found:
                keys.setdefault(found, position)
        for position, reference in list(unmatched_new.items()):
            found = key(reference, position)
            if found and found in keys and keys[found] in unmatched_base:
                pairs[position] = keys[found]
                del unmatched_base[keys[found]], unmatched_new[position]

    match(lambda reference, _: reference)  # the same entry, wherever it is now
    for key in MATCHES:
        match(key)
    for position, reference in list(unmatched_new.items()):
        old = unmatched_base.get(position)
        if old and similarity(_terms(old.citation), _terms(reference.citation)) >= SAME_PLACE_SIMILARITY:
            pairs[position] = position
            del unmatched_base[position], unmatched_new[position]

    changes: list[tuple[float, ReferenceChange]] = []
    for position, reference in enumerate(version, start=1):
        old_position = pairs.get(position)
        if old_position is None:
            changes.append((position, _whole("added", reference, position, None)))
            continue
        old = base[old_position - 1]
        changed = tuple(
            FieldChange(name, getattr(old, name), getattr(reference, name))
            for name in FIELDS
            if getattr(old, name) != getattr(reference, name)
        )
        kind: ReferenceChangeKind = "changed" if changed else "unchanged"
        line = diff_plain_text(describe(old), describe(reference)) if changed else _escaped(reference)
        changes.append((position, ReferenceChange(kind, reference, position, old_position, changed, line)))
    kept = {old_position: position for position, old_position in pairs.items()}
    for old_position, reference in unmatched_base.items():
        # Just after the entry that stood before it in the base and is still there, or first.
        before = max((kept[p] for p in kept if p < old_position), default=0)
        place = before + 0.5 + old_position / (2 * (len(base) + 1))
        changes.append((place, _whole("removed", reference, None, old_position)))
    return [change for _, change in sorted(changes, key=lambda item: item[0])]


def _terms(citation: str) -> list[str]:
    return [token.lower() for token in words(citation) if token[0].isalnum()]


def _escaped(reference: ReferenceContent) -> str:
    return diff_plain_text(describe(reference), describe(reference))


def _whole(
    kind: ReferenceChangeKind, reference: ReferenceContent, position: int | None, base_position: int | None
) -> ReferenceChange:
    text = describe(reference)
    line = diff_plain_text("", text) if kind == "added" else diff_plain_text(text, "")
    return ReferenceChange(kind, reference, position, base_position, (), line)

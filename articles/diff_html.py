"""A rendered diff: two versions' rendered, sanitised HTML compared block by block, then word by
word inside the blocks that changed, with insertions in ``<ins>`` and deletions in ``<del>``.

Why diff the rendered HTML rather than the Markdown: markers put into Markdown before rendering
break its syntax (a marker before "- " at the start of a line stops it being a list item; a deleted
"#" of a heading merged with the new text changes the heading's level), and markers put into HTML
text can straddle elements. Here both versions go through ``render_markdown`` (so they are exactly
what readers see, and safe), each is read into leaf blocks (paragraphs, headings, list items, table
cells) with the containers around them, the blocks are aligned, and blocks that changed are diffed
as words that remember their inline formatting. Every tag in the output is written by this module
from that structure (opened and closed in order), so the result is well-formed by construction;
the tags and attributes are only those nh3 let through plus ``ins``, ``del`` and our classes, and
the result is sanitised once more for good measure.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Literal

import nh3

from articles.diff_sequences import DELETE, EQUAL, INSERT, diff_sequences, similarity, words
from articles.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

Side = Literal["both", "old", "new"]
Attributes = tuple[tuple[str, str], ...]

VOID = {"br", "hr"}
# Elements that hold blocks; lists and tables merge with a neighbour of the same kind, while an item
# or a row is one element that its blocks share.
CONTAINERS = {"ul", "ol", "blockquote", "table", "thead", "tbody", "li", "tr"}
SHARED_BY_IDENTITY = {"li", "tr"}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "li", "td", "th"}
BLOCK_LEVEL = CONTAINERS | BLOCKS
# Blocks that share less than this are shown as one removed and one added, not as one changed.
PAIRING_THRESHOLD = 0.4
# How many added blocks are searched for one that resembles a removed one: a bound on the work a
# rewritten article costs (each look is a word diff).
LOOKAHEAD = 8

DIFF_TAGS = ALLOWED_TAGS | {"ins", "del"}
DIFF_ATTRIBUTES = {
    **{tag: {"class"} for tag in BLOCKS | {"ins", "del"}},
    **{tag: attributes | {"class"} for tag, attributes in ALLOWED_ATTRIBUTES.items()},
}


# --- Reading sanitised HTML into a tree ------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attributes: Attributes
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", ())
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, tuple((name, value or "") for name, value in attrs))
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, tuple((name, value or "") for name, value in attrs)))

    def handle_endtag(self, tag: str) -> None:
        # nh3's output is well-formed; this only guards against an end tag with no start.
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(fragment: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


# --- Blocks and the words in them --------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    tag: str
    attributes: Attributes
    # Items and rows are told apart by where they come from; lists and tables are not (None).
    identity: tuple[str, int] | None = None


@dataclass(frozen=True)
class Word:
    """A word, a run of white space, one punctuation mark or a line break, with the inline
    elements around it (bold, a link...): a change of formatting is a change."""

    text: str
    inline: tuple[tuple[str, Attributes], ...]


@dataclass(frozen=True)
class Block:
    """A leaf block: its tag (None for text directly in a list item that also holds blocks), its
    attributes, its words, and the containers around it. Blocks are equal when a reader would see
    the same thing, wherever they come from."""

    tag: str | None
    attributes: Attributes
    words: tuple[Word, ...]
    containers: tuple[Container, ...] = field(compare=False)
    shape: tuple[tuple[str, Attributes], ...] = ()


def _words(nodes: Sequence[Element | str], inline: tuple[tuple[str, Attributes], ...] = ()) -> Iterator[Word]:
    for node in nodes:
        if isinstance(node, str):
            for token in words(node):
                yield Word(token, inline)
        elif node.tag == "br":
            yield Word("\n", (*inline, ("br", ())))
        else:
            yield from _words(node.children, (*inline, (node.tag, node.attributes)))


def _holds_blocks(element: Element) -> bool:
    return any(isinstance(child, Element) and child.tag in BLOCK_LEVEL for child in element.children)


class _BlockReader:
    def __init__(self, side: str) -> None:
        self.side = side
        self.count = 0

    def read(self, element: Element, containers: tuple[Container, ...] = ()) -> Iterator[Block]:
        loose: list[Element | str] = []
        for child in element.children:
            if isinstance(child, str) or child.tag not in BLOCK_LEVEL:
                loose.append(child)
                continue
            yield from self._loose(loose, containers)
            loose = []
            if child.tag in CONTAINERS and (child.tag not in BLOCKS or _holds_blocks(child)):
                self.count += 1
                identity = (self.side, self.count) if child.tag in SHARED_BY_IDENTITY else None
                yield from self.read(child, (*containers, Container(child.tag, child.attributes, identity)))
            else:
                yield self._block(child.tag, child.attributes, child.children, containers)
        yield from self._loose(loose, containers)

    def _loose(self, nodes: list[Element | str], containers: tuple[Container, ...]) -> Iterator[Block]:
        # Text between blocks: white space between tags, or a list item's own text before a
        # nested list.
        if any(not isinstance(node, str) or node.strip() for node in nodes):
            yield self._block(None, (), nodes, containers)

    def _block(
        self,
        tag: str | None,
        attributes: Attributes,
        nodes: Sequence[Element | str],
        containers: tuple[Container, ...],
    ) -> Block:
        shape = tuple((container.tag, container.attributes) for container in containers)
        return Block(tag, attributes, tuple(_words(nodes)), containers, shape)


def blocks(fragment: str, side: str) -> list[Block]:
    return list(_BlockReader(side).read(parse(fragment)))


# --- Writing HTML ---------------------------------------------------------------------------------


def _start(tag: str, attributes: Attributes, css_class: str = "") -> str:
    pairs = [*attributes, ("class", css_class)] if css_class else list(attributes)
    return f"<{tag}" + "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in pairs) + ">"


class _Writer:
    """Writes blocks and words, opening and closing containers and inline elements as they
    change, so that every element it opens it closes, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.containers: list[Container] = []

    def enter(self, containers: Sequence[Container]) -> None:
        shared = 0
        while (
            shared < min(len(self.containers), len(containers))
            and self.containers[shared] == containers[shared]
        ):
            shared += 1
        for container in reversed(self.containers[shared:]):
            self.parts.append(f"</{container.tag}>")
        for container in containers[shared:]:
            self.parts.append(_start(container.tag, container.attributes))
        self.containers = list(containers)

    def block(self, block: Block, runs: Sequence[tuple[int, Sequence[Word]]], css_class: str = "") -> None:
        self.enter(block.containers)
        if block.tag is not None:
            self.parts.append(_start(block.tag, block.attributes, css_class))
        if block.tag not in VOID:
            self.parts.append(_inline(runs))
            if block.tag is not None:
                self.parts.append(f"</{block.tag}>")

    def finish(self) -> str:
        self.enter([])
        return "".join(self.parts)


MARKS = {INSERT: ("ins", ()), DELETE: ("del", ())}


def _inline(runs: Sequence[tuple[int, Sequence[Word]]]) -> str:
    """Words with their inline elements, each changed run inside ``<ins>`` or ``<del>`` (inside
    the formatting, so that marks never cross an element's boundary)."""
    parts: list[str] = []
    open_: list[tuple[str, Attributes]] = []
    for operation, run in runs:
        for word in run:
            inline = [element for element in word.inline if element[0] != "br"]
            wanted = [*inline, MARKS[operation]] if operation in MARKS else inline
            shared = 0
            while shared < min(len(open_), len(wanted)) and open_[shared] == wanted[shared]:
                shared += 1
            parts.extend(f"</{tag}>" for tag, _ in reversed(open_[shared:]))
            parts.extend(_start(tag, attributes) for tag, attributes in wanted[shared:])
            open_ = wanted
            parts.append(
                "<br>"
                if word.text == "\n" and word.inline[-1:] == (("br", ()),)
                else html.escape(word.text, quote=False)
            )
    parts.extend(f"</{tag}>" for tag, _ in reversed(open_))
    return "".join(parts)


# --- Aligning and diffing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One block of the diff: equal, inserted, deleted, or changed (a pair of blocks)."""

    operation: Literal["equal", "inserted", "deleted", "changed"]
    old: Block | None
    new: Block | None
    # Where a deleted block goes in the inline view: in the version's item or row that took the
    # place of its own, so that a removed cell stays in its row.
    inline_containers: tuple[Container, ...] = ()


def _pairable(old: Block, new: Block) -> bool:
    # A table cell in the same place is the same cell, however little of it is left.
    return (
        old.tag == new.tag
        and old.shape == new.shape
        and (
            old.tag in ("td", "th")
            or similarity([w.text for w in old.words], [w.text for w in new.words]) >= PAIRING_THRESHOLD
        )
    )


def _pair(old: list[Block], new: list[Block]) -> Iterator[Change]:
    """Blocks removed and added at one place: each old block that resembles a new one, in order,
    is shown as changed; the others as deleted or inserted."""
    i = j = 0
    while i < len(old) and j < len(new):
        if _pairable(old[i], new[j]):
            yield Change("changed", old[i], new[j])
            i, j = i + 1, j + 1
        elif any(_pairable(old[i], later) for later in new[j + 1 : j + 1 + LOOKAHEAD]):
            yield Change("inserted", None, new[j])
            j += 1
        else:
            yield Change("deleted", old[i], None)
            i += 1
    yield from (Change("deleted", block, None) for block in old[i:])
    yield from (Change("inserted", None, block) for block in new[j:])


def align(old: list[Block], new: list[Block]) -> list[Change]:
    changes: list[Change] = []
    removed: list[Block] = []
    added: list[Block] = []
    for operation, old_run, new_run in diff_sequences(old, new, semantic=False):
        if operation == EQUAL:
            changes.extend(_pair(removed, added))
            removed, added = [], []
            changes.extend(Change("equal", o, n) for o, n in zip(old_run, new_run, strict=True))
        else:
            removed += old_run
            added += new_run
    changes.extend(_pair(removed, added))
    # The base's items and rows that live on in the version, by the blocks they share.
    successors = {
        old_container: new_container
        for change in changes
        if change.old is not None and change.new is not None
        for old_container, new_container in zip(change.old.containers, change.new.containers, strict=False)
        if old_container.identity is not None and old_container.tag == new_container.tag
    }
    return [
        replace(change, inline_containers=tuple(successors.get(c, c) for c in change.old.containers))
        if change.operation == "deleted"
        else change
        for change in changes
    ]


def render_changes(changes: Sequence[Change], side: Side = "both") -> str:
    """The changes as HTML: ``both`` (inline, insertions and deletions together), ``old`` (the
    base with what was removed marked) or ``new`` (the version with what was added marked)."""
    writer = _Writer()
    for change in changes:
        if change.operation == "equal":
            same = change.old if side == "old" else change.new
            writer.block(same, [(EQUAL, same.words)])
        elif change.operation == "inserted" and side != "old":
            writer.block(change.new, [(INSERT, change.new.words)], "diff-inserted")
        elif change.operation == "deleted" and side != "new":
            shown = change.old if side == "old" else replace(change.old, containers=change.inline_containers)
            writer.block(shown, [(DELETE, change.old.words)], "diff-deleted")
        elif change.operation == "changed":
            runs = [
                (operation, old_run if operation == DELETE else new_run)
                for operation, old_run, new_run in diff_sequences(change.old.words, change.new.words)
                if not (operation == DELETE and side == "new") and not (operation == INSERT and side == "old")
            ]
            shown = change.old if side == "old" else change.new
            writer.block(shown, runs, "diff-changed")
    return nh3.clean(
        writer.finish(),
        tags=DIFF_TAGS,
        attributes=DIFF_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def diff_plain_text(old: str, new: str) -> str:
    """Two lines of plain text as HTML, word by word, with insertions and deletions marked."""
    runs = [
        (operation, old_run if operation == DELETE else new_run)
        for operation, old_run, new_run in diff_sequences(
            [Word(token, ()) for token in words(old)], [Word(token, ()) for token in words(new)]
        )
    ]
    return _inline(runs)

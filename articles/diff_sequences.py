"""The diff algorithm behind every comparison of versions: diff-match-patch on sequences of tokens.

diff-match-patch (Myers' O(ND) algorithm, with a time limit) diffs strings of characters. Words
and blocks are diffed by giving each distinct token one character of its own, diffing those
strings and reading the tokens back, so that a change is never reported inside a word. Its
semantic clean-up then folds small runs of equal tokens between changes into the change ("the
<del>weekly</del><ins>daily</ins> dose" rather than a patchwork of one-word edits), which is what
makes a diff of prose readable. The evaluation against difflib is in docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

from diff_match_patch import diff_match_patch

DELETE, EQUAL, INSERT = -1, 0, 1

# A word (letters and digits of any script), a run of white space, or one other character: the
# units a reviewer sees added or removed. "5.0 mmol/L" is "5", ".", "0", " ", "mmol", "/", "L".
WORD = re.compile(r"\w+|\s+|[^\w\s]")

# Seconds diff-match-patch may spend on one diff before it settles for a coarser (still correct)
# one; a whole article takes milliseconds, so this only bounds pathological input.
TIMEOUT_SECONDS = 2.0

SURROGATES = range(0xD800, 0xE000)

Token = TypeVar("Token", bound=Hashable)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def _character(index: int) -> str:
    # One character per distinct token, skipping the surrogate range, which is not text.
    return chr(index + len(SURROGATES) if index >= SURROGATES.start else index)


def diff_sequences(
    old: Sequence[Token], new: Sequence[Token], *, semantic: bool = True
) -> list[tuple[int, list[Token], list[Token]]]:
    """The edit from ``old`` to ``new`` as runs ``(operation, old tokens, new tokens)``: EQUAL
    runs carry both (equal tokens, which may differ in what is not compared), DELETE runs the old
    tokens only, INSERT runs the new ones only. ``semantic`` folds small equal runs between changes
    into the change, for prose; without it every equal token stays equal."""
    codes: dict[Token, str] = {}

    def encode(tokens: Sequence[Token]) -> str:
        return "".join(codes.setdefault(token, _character(len(codes))) for token in tokens)

    old_text, new_text = encode(old), encode(new)
    engine = diff_match_patch()
    engine.Diff_Timeout = TIMEOUT_SECONDS
    runs = engine.diff_main(old_text, new_text, False)
    if semantic:
        engine.diff_cleanupSemantic(runs)
    result: list[tuple[int, list[Token], list[Token]]] = []
    at_old = at_new = 0
    for operation, text in runs:
        size = len(text)
        if operation == EQUAL:
            result.append((EQUAL, list(old[at_old : at_old + size]), list(new[at_new : at_new + size])))
            at_old, at_new = at_old + size, at_new + size
        elif operation == DELETE:
            result.append((DELETE, list(old[at_old : at_old + size]), []))
            at_old += size
        else:
            result.append((INSERT, [], list(new[at_new : at_new + size])))
            at_new += size
    return result


def similarity(old: Sequence[Token], new: Sequence[Token]) -> float:
    """How much of two token sequences is shared, from 0 (nothing) to 1 (equal)."""
    if not old and not new:
        return 1.0
    shared = sum(len(o) for operation, o, _ in diff_sequences(old, new, semantic=False) if operation == EQUAL)
    return 2 * shared / (len(old) + len(new))

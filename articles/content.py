"""The canonical form of an article version's content, and its SHA-256 hash.

A reviewer approves exactly one text: the hash names it. It covers everything a reader sees (the
title, the Markdown body and every field of every reference, in order) and nothing else (not the
change summary, the author or the time), so that two versions with the same content have the same
hash and any change a reader could notice changes it.

Text is normalised before it is stored and hashed (Unicode NFC, ``\\n`` line endings, no
surrounding white space), so the hash does not depend on the editor's platform. Nothing else is
changed or refused: any character may be written, so that clinical text such as "creatinine
clearance < normal range and potassium > 5.0 mmol/L", "HbA1c ≥ 48 mmol/mol" or "β-blocker" is
stored exactly as typed. The body is Markdown; HTML typed into any field is kept as text, and is
made safe where it is displayed, not here: ``articles.rendering`` shows it escaped (as typed,
never as markup), and every other field is plain text that templates escape.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass(frozen=True)
class ReferenceContent:
    citation: str
    source: str = ""
    year: int | None = None
    url: str = ""
    doi: str = ""
    pmid: str = ""

    def normalised(self) -> ReferenceContent:
        return ReferenceContent(
            citation=normalise_text(self.citation),
            source=normalise_text(self.source),
            year=self.year,
            url=(self.url or "").strip(),
            doi=(self.doi or "").strip(),
            pmid=(self.pmid or "").strip(),
        )

    def document(self) -> dict[str, object]:
        # By hand rather than ``dataclasses.asdict``, which deep-copies every value and was a sixth
        # of a bulk import's planning; the keys are sorted when dumped, so the bytes are the same.
        return {
            "citation": self.citation,
            "source": self.source,
            "year": self.year,
            "url": self.url,
            "doi": self.doi,
            "pmid": self.pmid,
        }


@dataclass(frozen=True)
class VersionContent:
    title: str
    body: str
    references: tuple[ReferenceContent, ...] = ()

    def normalised(self) -> VersionContent:
        return VersionContent(
            title=normalise_text(self.title),
            body=normalise_text(self.body),
            references=tuple(reference.normalised() for reference in self.references),
        )

    def canonical_bytes(self) -> bytes:
        content = self.normalised()
        document = {
            "format": 1,
            "title": content.title,
            "body": content.body,
            "references": [reference.document() for reference in content.references],
        }
        return _dump(document)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


REFERENCE_KEYS = ("citation", "source", "year", "url", "doi", "pmid")


def normalised_sha256(*, title: str, body: str, references: Iterable[Mapping[str, Any]]) -> str:
    """``VersionContent(title, body, references).sha256()`` for values already normalised (as
    ``normalised()`` leaves them; normalising again changes nothing), each reference a mapping with
    at least ``REFERENCE_KEYS``: the bulk import hashes thousands of versions a second this way,
    without building the dataclasses twice. tests/imports/test_checks.py checks both agree."""
    document = {
        "format": 1,
        "title": title,
        "body": body,
        "references": [{key: reference[key] for key in REFERENCE_KEYS} for reference in references],
    }
    return hashlib.sha256(_dump(document)).hexdigest()


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

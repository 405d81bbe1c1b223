"""Who or what wrote a version: a person, a person helped by a model, or a model.

Provenance is recorded on every version (immutable, like its text) and is not part of the content
hash: the hash names what a reader sees, so an approval keeps naming the same text whoever drafted
it. A version approved by the board keeps the provenance it was approved with, because the version
row never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from articles.content import normalise_text


class Provenance(models.TextChoices):
    HUMAN = "human", "Written by a person"
    AI_ASSISTED = "ai_assisted", "Written by a person with AI assistance"
    AI_GENERATED = "ai_generated", "Drafted by AI"
    # Only for versions written before provenance was recorded (migration articles 0005); never
    # accepted from a caller.
    NOT_RECORDED = "not_recorded", "Not recorded"


# Kinds a caller may declare, and those that name a generator and its model version.
DECLARABLE = (Provenance.HUMAN, Provenance.AI_ASSISTED, Provenance.AI_GENERATED)
MACHINE_WRITTEN = (Provenance.AI_ASSISTED, Provenance.AI_GENERATED)
DECLARABLE_CHOICES = [(kind.value, kind.label) for kind in DECLARABLE]


@dataclass(frozen=True)
class VersionProvenance:
    kind: str = Provenance.HUMAN
    generator: str = ""
    model_version: str = ""
    source_reference: str = ""

    def cleaned(self) -> VersionProvenance:
        """The normalised provenance, or a ValidationError naming each field that is wrong."""
        cleaned = VersionProvenance(
            kind=self.kind,
            generator=normalise_text(self.generator),
            model_version=normalise_text(self.model_version),
            source_reference=normalise_text(self.source_reference),
        )
        errors: dict[str, str] = {}
        if cleaned.kind not in DECLARABLE:
            errors["provenance"] = (
                f"“{cleaned.kind}” is not a provenance; use one of: {', '.join(DECLARABLE)}."
            )
        elif cleaned.kind in MACHINE_WRITTEN:
            for field in ("generator", "model_version"):
                if not getattr(cleaned, field):
                    errors[field] = (
                        f"A version with provenance “{cleaned.kind}” must name its {field.replace('_', ' ')}."
                    )
        else:
            for field in ("generator", "model_version"):
                if getattr(cleaned, field):
                    errors[field] = (
                        f"A version written by a person has no {field.replace('_', ' ')}; "
                        "use provenance “ai_assisted” if a model helped."
                    )
        if errors:
            raise ValidationError(errors, code="invalid_provenance")
        return cleaned

    @property
    def machine_written(self) -> bool:
        return self.kind in MACHINE_WRITTEN

"""The validation of ``articles.services.create_article`` and ``create_version`` for import lines,
on plain values instead of model instances.

The services build an ``Article``, an ``ArticleVersion`` and its ``Reference`` rows and call
``full_clean`` on each; at thousands of lines a second, building those instances and the
machinery of ``full_clean`` cost more than the checks themselves. Here the same checks run on
dicts of values: ``FieldChecks`` is ``Model.clean_fields`` over a dict, calling each model field's
own ``clean`` (``to_python``, choices, blank and null, ``max_length`` and the field's validators),
so the rules have one home, the model's field definitions, and cannot drift; the rules beyond the
fields are shared functions (``refuse_reserved_slug``, ``VersionProvenance.cleaned``,
``services.reference_values``). ``tests/imports/test_checks.py`` feeds the same lines to both
paths and compares what each refuses, field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from articles.content import normalise_text, normalised_sha256
from articles.models import Article, ArticleVersion, Reference, refuse_reserved_slug
from articles.provenance import VersionProvenance
from articles.services import ReferenceInput, reference_values


class FieldChecks:
    """``model.clean_fields()`` for a dict of values keyed by attribute name: each value is
    converted and validated as its field's ``clean`` does, an empty value of a field that may be
    blank is skipped, and a value not given is the field's default, as on a new instance."""

    def __init__(self, model: type[models.Model], *, exclude: Iterable[str] = ()) -> None:
        excluded = set(exclude)
        self.fields = []
        for field in model._meta.fields:
            if field.name in excluded or field.generated:
                continue
            # A field left to its default that may be blank, and whose default is empty, is
            # skipped whatever the values are (the primary key, the dates, the empty pointers).
            fixed = not (field.has_default() and callable(field.default))
            skip_when_absent = fixed and field.blank and field.get_default() in field.empty_values
            self.fields.append((field, _FieldCheck.of(field), skip_when_absent))

    def clean(self, values: dict[str, Any]) -> dict[str, list[str]]:
        """Replace each value by its cleaned form; returns the messages by field name."""
        errors: dict[str, list[str]] = {}
        for field, check, skip_when_absent in self.fields:
            name = field.attname
            if name in values:
                raw = values[name]
            elif skip_when_absent:
                continue
            else:
                raw = field.get_default()
            if field.blank and raw in field.empty_values:
                continue
            try:
                cleaned = check(raw)
            except ValidationError as error:
                errors[field.name] = error.messages
            else:
                if name in values:
                    values[name] = cleaned
        return errors


class _FieldCheck:
    """``field.clean(value, None)`` with its steps unrolled once per field: ``to_python``, the
    checks of ``Field.validate`` (choices, null, blank) and the field's validators, taken from the
    field itself. A value failing any step goes through ``field.clean`` itself, so that every
    message is the field's own. Fields whose class changes these steps always use ``field.clean``."""

    def __init__(self, field: models.Field) -> None:
        self.field = field
        self.to_python = field.to_python
        self.empty = field.empty_values
        self.null = field.null
        self.blank = field.blank
        # Field.validate skips the choices, null and blank checks of a field that is not editable.
        self.validated = field.editable
        self.choices = None if field.choices is None else [key for key, _ in field.flatchoices]
        self.validators = list(field.validators)

    @classmethod
    def of(cls, field: models.Field) -> Callable[[Any], Any]:
        steps = ("clean", "validate", "run_validators")
        if any(getattr(type(field), step) is not getattr(models.Field, step) for step in steps):
            return lambda value: field.clean(value, None)
        return cls(field)

    def __call__(self, raw: Any) -> Any:
        try:
            value = self.to_python(raw)
            empty = value in self.empty
            if self.validated and (
                (self.choices is not None and not empty and value not in self.choices)
                or (value is None and not self.null)
                or (not self.blank and empty)
            ):
                raise ValidationError("")
            if not empty:
                for validator in self.validators:
                    validator(value)
        except ValidationError:
            return self.field.clean(raw, None)  # raises with the field's own messages
        return value


# What the services exclude or leave to the database, and what the bulk import checks for a whole
# batch with one query (the slug is new, the specialty exists) or knows already (the user).
ARTICLE_CHECKS = FieldChecks(Article, exclude=["status", "specialty", "created_by"])
VERSION_CHECKS = FieldChecks(ArticleVersion, exclude=["article", "author", "content_hash"])
REFERENCE_CHECKS = FieldChecks(Reference, exclude=["version"])
PROVENANCE_DEFAULTS = {
    name: ArticleVersion._meta.get_field(name).get_default()
    for name in ("provenance", "generator", "model_version", "source_reference")
}


def check_new_article(values: dict[str, Any]) -> dict[str, list[str]]:
    """What ``Article.full_clean`` finds wrong with a new article's values (cleaned in place)."""
    errors = ARTICLE_CHECKS.clean(values)
    try:
        refuse_reserved_slug(values["slug"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def build_version(
    *,
    number: int,
    author_id: int,
    title: str,
    body: str,
    change_summary: str,
    references: Iterable[ReferenceInput],
    provenance: VersionProvenance,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """As ``articles.services.versions._build_version``: the version's and its references' values,
    cleaned, with the content hash, or a ValidationError with the same messages by field."""
    version: dict[str, Any] = {
        "number": number,
        "title": normalise_text(title),
        "body": normalise_text(body),
        "change_summary": normalise_text(change_summary),
        "author_id": author_id,
        **PROVENANCE_DEFAULTS,
    }
    errors: dict[str, list[str]] = {}
    try:
        cleaned = provenance.cleaned()
    except ValidationError as error:
        errors.update(error.message_dict)
    else:
        version["provenance"] = cleaned.kind
        version["generator"] = cleaned.generator
        version["model_version"] = cleaned.model_version
        version["source_reference"] = cleaned.source_reference
    rows = reference_values(references)
    errors.update(VERSION_CHECKS.clean(version))
    for row in rows:
        for name, messages in REFERENCE_CHECKS.clean(row).items():
            errors.setdefault("references", []).extend(
                f"Reference {row['position']}, {name}: {message}" for message in messages
            )
    if errors:
        raise ValidationError(errors)
    version["content_hash"] = normalised_sha256(title=version["title"], body=version["body"], references=rows)
    return version, rows

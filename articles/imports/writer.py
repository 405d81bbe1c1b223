"""Writing an import: lines in batches, each batch in one transaction, all of it or none of it.

For each batch: the shape of every line is checked (``lines.read_line``), then, with one query
each, the specialties it names and the articles it names are read (those articles locked,
``FOR UPDATE``, in id order), then each line is planned with the validation of
``articles.services.create_article``/``create_version`` (``Article.full_clean``,
``services._build_version``: normalised text, provenance, the version's and references' fields,
the content hash). A line is then:

- ``created``: a new slug, the article with its version 1;
- ``new_version``: the article exists and the line's content hash differs from its current
  version's: the next version, made current;
- ``unchanged``: the current version already has this content hash (so re-importing a file writes
  nothing);
- ``refused``: the line is wrong or may not be imported now (an article in review or retired,
  another specialty or risk level than the article's, a slug already on an earlier line), with
  the reasons by field.

If any line of a batch is refused, nothing of the batch is written and its other lines are
``not_written``, naming the refused lines; fixing them and importing the file again is safe, since
what was written is ``unchanged`` the second time. Otherwise the batch is written with one
``bulk_create`` per table and one statement per table and reason for the historical rows
(``history.insert_history``), and the current-version pointers with one ``UPDATE``: the same rows,
history rows (type, user, reason) and values as the services write one by one.

Two imports of the same lines at once: the article rows are locked, so a new version is planned
against the current version as committed; two inserts of one new slug clash on its unique index,
and the batch that loses is rolled back and planned once more (its lines are then ``unchanged``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.content import normalise_text
from articles.imports.history import insert_history
from articles.imports.lines import LineInput, LineResult, Outcome, read_line
from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion, Reference
from articles.services import _build_version
from config.audit import clean_reason
from config.errors import ApplicationError, ErrorKind
from reviewers.models import Specialty
from reviewers.roles import is_editor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DEFAULT_REASON = "Bulk import"


class ImportForbidden(ApplicationError):
    code = "permission_denied"
    kind = ErrorKind.FORBIDDEN


@dataclass
class _Planned:
    line: LineInput
    version: ArticleVersion
    references: list[Any]
    article: Article
    new: bool


@dataclass
class _Batch:
    """What one batch found and will write."""

    results: dict[int, LineResult] = field(default_factory=dict)
    planned: list[_Planned] = field(default_factory=list)
    slugs: dict[str, int] = field(default_factory=dict)  # slug -> its line, for duplicates

    def refuse(self, number: int, slug: str, errors: dict[str, list[str]]) -> None:
        self.results[number] = LineResult(line=number, slug=slug, outcome=Outcome.REFUSED, fields=errors)


def import_articles(
    *,
    actor: AbstractBaseUser,
    lines: Iterable[tuple[int, Any]],
    batch_size: int,
    reason: str = DEFAULT_REASON,
) -> Iterator[list[LineResult]]:
    """Import ``lines`` (decoded JSON objects, each with its line number) in batches of
    ``batch_size``, each batch in its own transaction; yields each batch's results, in line
    order, once the batch is committed or refused. A line without its own ``reason`` gets ``reason``."""
    if not is_editor(actor):
        raise ImportForbidden("Only editors and editors-in-chief can import articles.")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    seen: dict[str, int] = {}
    specialties: dict[str, int] = {}
    batch: list[tuple[int, Any]] = []
    for number, raw in lines:
        batch.append((number, raw))
        if len(batch) == batch_size:
            yield _import_batch(actor=actor, batch=batch, seen=seen, specialties=specialties, reason=reason)
            batch = []
    if batch:
        yield _import_batch(actor=actor, batch=batch, seen=seen, specialties=specialties, reason=reason)


def _import_batch(
    *,
    actor: AbstractBaseUser,
    batch: list[tuple[int, Any]],
    seen: dict[str, int],
    specialties: dict[str, int],
    reason: str,
) -> list[LineResult]:
    try:
        return _attempt(actor=actor, batch=batch, seen=seen, specialties=specialties, reason=reason)
    finally:
        # The first line naming a slug owns it, whatever became of its batch.
        for number, raw in batch:
            if slug := _slug_of(raw):
                seen.setdefault(slug, number)


def _attempt(
    *,
    actor: AbstractBaseUser,
    batch: list[tuple[int, Any]],
    seen: dict[str, int],
    specialties: dict[str, int],
    reason: str,
) -> list[LineResult]:
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                planned = _plan(actor=actor, batch=batch, seen=seen, specialties=specialties, reason=reason)
                if not any(result.outcome == Outcome.REFUSED for result in planned.results.values()):
                    _write(actor=actor, planned=planned)
        except IntegrityError as error:
            # Most likely another import inserted one of these slugs since we looked: plan again.
            if attempt == 2:
                detail = (
                    f"Not written: the database refused this batch ({str(error).strip()}); "
                    "nothing of it was written. Import the file again."
                )
                return [
                    LineResult(line=number, slug=_slug_of(raw), outcome=Outcome.NOT_WRITTEN, detail=detail)
                    for number, raw in batch
                ]
        else:
            break
    results = [planned.results[number] for number, _ in batch]
    refused = [result.line for result in results if result.outcome == Outcome.REFUSED]
    if refused:
        named = ", ".join(map(str, refused))
        detail = (
            f"Not written: line{'s' if len(refused) > 1 else ''} {named} of this batch "
            f"{'were' if len(refused) > 1 else 'was'} refused, and a batch is written whole or not at all."
        )
        results = [
            result
            if result.outcome in (Outcome.REFUSED, Outcome.UNCHANGED)
            else LineResult(line=result.line, slug=result.slug, outcome=Outcome.NOT_WRITTEN, detail=detail)
            for result in results
        ]
    return results


def _slug_of(raw: Any) -> str:
    slug = raw.get("slug") if isinstance(raw, Mapping) else None
    return slug if isinstance(slug, str) else ""


def _plan(
    *,
    actor: AbstractBaseUser,
    batch: list[tuple[int, Any]],
    seen: dict[str, int],
    specialties: dict[str, int],
    reason: str,
) -> _Batch:
    plan = _Batch()
    lines: list[LineInput] = []
    for number, raw in batch:
        line = read_line(number, raw, default_reason=reason)
        if isinstance(line, dict):
            plan.refuse(number, _slug_of(raw), line)
        else:
            lines.append(line)

    wanted = {line.specialty for line in lines} - set(specialties)
    if wanted:
        specialties.update(Specialty.objects.filter(slug__in=wanted).values_list("slug", "pk"))
    # No joins: a row that had to wait for its lock is read again as committed (see lock_article).
    existing = {
        article.slug: article
        for article in Article.objects.filter(slug__in={line.slug for line in lines})
        .select_for_update()
        .order_by("pk")
        .only("pk", "slug", "status", "specialty_id", "risk_level", "current_version_id")
    }
    current = {
        version.pk: version
        for version in ArticleVersion.objects.filter(
            pk__in=[article.current_version_id for article in existing.values() if article.current_version_id]
        ).only("pk", "number", "content_hash")
    }

    for line in lines:
        errors: dict[str, list[str]] = {}
        try:
            line_reason = clean_reason(line.reason)
        except ValidationError as error:
            errors.update(error.message_dict)
            line_reason = reason
        earlier = seen.get(line.slug) or plan.slugs.get(line.slug)
        if earlier:
            errors.setdefault("slug", []).append(
                f"“{line.slug}” is already on line {earlier} of this import; give each article one line."
            )
        else:
            plan.slugs[line.slug] = line.number
        article = existing.get(line.slug)
        if article is None:
            planned = _plan_new(actor=actor, line=line, specialties=specialties, errors=errors)
        else:
            planned = _plan_next(
                actor=actor,
                line=line,
                article=article,
                current=current,
                specialties=specialties,
                errors=errors,
            )
        if errors:
            plan.refuse(line.number, line.slug, errors)
        elif planned is None:
            version = current[article.current_version_id]
            plan.results[line.number] = LineResult(
                line=line.number, slug=line.slug, outcome=Outcome.UNCHANGED, version=version.number
            )
        else:
            planned.line = LineInput(**{**vars(line), "reason": line_reason})
            plan.planned.append(planned)
            plan.results[line.number] = LineResult(
                line=line.number,
                slug=line.slug,
                outcome=Outcome.CREATED if planned.new else Outcome.NEW_VERSION,
                version=planned.version.number,
            )
    return plan


def _merge(errors: dict[str, list[str]], error: ValidationError) -> None:
    for name, messages in error.message_dict.items():
        errors.setdefault(name, []).extend(messages)


def _build(
    *, actor: AbstractBaseUser, line: LineInput, article: Article, number: int, errors: dict[str, list[str]]
) -> tuple[ArticleVersion, list[Reference]] | None:
    try:
        return _build_version(
            article=article,
            number=number,
            author=actor,
            title=line.title,
            body=line.body,
            change_summary=line.change_summary,
            references=line.references,
            provenance=line.provenance,
        )
    except ValidationError as error:
        _merge(errors, error)
        return None


def _plan_new(
    *, actor: AbstractBaseUser, line: LineInput, specialties: dict[str, int], errors: dict[str, list[str]]
) -> _Planned | None:
    specialty_id = specialties.get(line.specialty)
    if specialty_id is None:
        errors.setdefault("specialty", []).append(f"There is no specialty “{line.specialty}”.")
    article = Article(
        slug=line.slug,
        title=normalise_text(line.title),
        specialty_id=specialty_id,
        risk_level=line.risk_level,
        created_by=actor,
    )
    try:
        # As create_article, less what this batch checks with one query for all its lines (the
        # slug is new, the specialty exists) and what is the caller's own (the user).
        article.full_clean(
            exclude=["status", "specialty", "created_by"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        _merge(errors, error)
    built = _build(actor=actor, line=line, article=article, number=1, errors=errors)
    if built is None or errors:
        return None
    version, references = built
    return _Planned(line=line, version=version, references=references, article=article, new=True)


def _plan_next(
    *,
    actor: AbstractBaseUser,
    line: LineInput,
    article: Article,
    current: dict[int, ArticleVersion],
    specialties: dict[str, int],
    errors: dict[str, list[str]],
) -> _Planned | None:
    """The next version of ``article``, or None when its current version has the same content."""
    status = ArticleStatus(article.status)
    specialty_id = specialties.get(line.specialty)
    if specialty_id is None:
        errors.setdefault("specialty", []).append(f"There is no specialty “{line.specialty}”.")
    elif specialty_id != article.specialty_id or line.risk_level != article.risk_level:
        errors.setdefault("specialty", []).append(
            f"“{article.slug}” is classified differently (its specialty or risk level is not the "
            "line's). The classification decides who reviews it, so change it with PATCH "
            f"/api/v1/articles/{article.slug}/ (its approvals are checked again) and import again."
        )
    latest = current.get(article.current_version_id)
    built = _build(
        actor=actor, line=line, article=article, number=(latest.number if latest else 0) + 1, errors=errors
    )
    if built is None or errors:
        return None
    version, references = built
    if latest is not None and version.content_hash == latest.content_hash:
        return None
    if status in IN_REVIEW:
        errors["slug"] = [
            f"“{article.slug}” is in review ({status.label.lower()}): a new version would close the "
            "board's review round. Withdraw it first, or import after the board has decided."
        ]
        return None
    if status == ArticleStatus.RETIRED:
        errors["slug"] = [f"“{article.slug}” is retired: restore it before importing a new version."]
        return None
    return _Planned(line=line, version=version, references=references, article=article, new=False)


def _by_reason(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for reason, pk in pairs:
        grouped.setdefault(reason, []).append(pk)
    return grouped


def _write(*, actor: AbstractBaseUser, planned: _Batch) -> None:
    items = planned.planned
    if not items:
        return
    new = [item for item in items if item.new]
    if new:
        Article.objects.bulk_create([item.article for item in new])
        insert_history(
            Article,
            ids_by_reason=_by_reason((item.line.reason, item.article.pk) for item in new),
            history_type="+",
            user_id=actor.pk,
            date=timezone.now(),
        )
    for item in items:
        item.version.article = item.article  # sets article_id now that new articles have theirs
    ArticleVersion.objects.bulk_create([item.version for item in items])
    insert_history(
        ArticleVersion,
        ids_by_reason=_by_reason((item.line.reason, item.version.pk) for item in items),
        history_type="+",
        user_id=actor.pk,
        date=timezone.now(),
    )
    references = []
    reference_reasons = []
    for item in items:
        for reference in item.references:
            reference.version = item.version
            references.append(reference)
            reference_reasons.append(item.line.reason)
    if references:
        Reference.objects.bulk_create(references)
        insert_history(
            Reference,
            ids_by_reason=_by_reason(zip(reference_reasons, [ref.pk for ref in references], strict=True)),
            history_type="+",
            user_id=actor.pk,
            date=timezone.now(),
        )
    # The newest version of each article is the one just written (versions only ever get added,
    # under the article's lock).
    article_ids = [item.article.pk for item in items]
    Article.objects.filter(pk__in=article_ids).update(
        current_version=Subquery(
            ArticleVersion.objects.filter(article=OuterRef("pk")).order_by("-number").values("pk")[:1]
        ),
        updated_at=timezone.now(),
    )
    insert_history(
        Article,
        ids_by_reason=_by_reason((item.line.reason, item.article.pk) for item in items),
        history_type="~",
        user_id=actor.pk,
        date=timezone.now(),
    )

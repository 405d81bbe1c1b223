"""Writing an import: lines in batches, each batch in one transaction, all of it or none of it.

For each batch: the shape of every line is checked (``lines.read_line``), then, with one query
each, the specialties it names and the articles it names are read (those articles locked,
``FOR UPDATE``, in id order), then each line is planned with the validation of
``articles.services.create_article``/``create_version`` run on plain values (``checks``: the model
fields' own ``clean``, normalised text, provenance, the content hash). A line is then:

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
``COPY`` per table on PostgreSQL, its ids taken from the sequences first so that a new article is
written with its current version (``bulk_create`` on other databases, and the pointers set
afterwards; ``batch``, ``tables``), one statement per table and reason for the historical rows
(``history.insert_history``), and the current-version pointers of existing articles with one
``UPDATE``: the same rows, history rows (type, user, reason) and values as the services write one
by one.

Two imports of the same lines at once: the article rows are locked, so a new version is planned
against the current version as committed; two inserts of one new slug clash on its unique index,
and the batch that loses is rolled back and planned once more (its lines are then ``unchanged``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from articles.imports.batch import write_batch
from articles.imports.lines import LineInput, LineResult, Outcome
from articles.imports.prepare import PreparedLine, ShapeRefused, prepare_batch, slug_of
from articles.models import IN_REVIEW, Article, ArticleStatus, ArticleVersion
from config.errors import ApplicationError, ErrorKind
from reviewers.models import Specialty
from reviewers.roles import is_editor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DEFAULT_REASON = "Bulk import"
VERSION_NUMBER = ArticleVersion._meta.get_field("number")


class ImportForbidden(ApplicationError):
    code = "permission_denied"
    kind = ErrorKind.FORBIDDEN


@dataclass
class Planned:
    """A line to write: its rows' values (``tables``), primary keys filled in when written."""

    line: LineInput
    reason: str
    version: dict[str, Any]
    references: list[dict[str, Any]]
    article_id: int | None  # None for a new article, whose values are ``article``
    article: dict[str, Any] | None = None

    @property
    def new(self) -> bool:
        return self.article is not None


@dataclass
class _Batch:
    """What one batch found and will write."""

    results: dict[int, LineResult] = field(default_factory=dict)
    planned: list[Planned] = field(default_factory=list)
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
    # Each batch is prepared (pure Python, no database) in a worker thread while the one before it
    # is written, which mostly waits on the database with the GIL released.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-prepare") as worker:
        waiting: tuple[list[tuple[int, Any]], Future[list[PreparedLine | ShapeRefused]]] | None = None
        for batch in _batches(lines, batch_size):
            preparing = worker.submit(prepare_batch, batch, author_id=actor.pk, reason=reason)
            if waiting is not None:
                yield _import_batch(actor=actor, batch=waiting, seen=seen, specialties=specialties)
            waiting = (batch, preparing)
        if waiting is not None:
            yield _import_batch(actor=actor, batch=waiting, seen=seen, specialties=specialties)


def _batches(lines: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    for item in lines:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _import_batch(
    *,
    actor: AbstractBaseUser,
    batch: tuple[list[tuple[int, Any]], Future[list[PreparedLine | ShapeRefused]]],
    seen: dict[str, int],
    specialties: dict[str, int],
) -> list[LineResult]:
    raw_lines, preparing = batch
    try:
        return _attempt(actor=actor, batch=preparing.result(), seen=seen, specialties=specialties)
    finally:
        # The first line naming a slug owns it, whatever became of its batch.
        for number, raw in raw_lines:
            if slug := slug_of(raw):
                seen.setdefault(slug, number)


def _attempt(
    *,
    actor: AbstractBaseUser,
    batch: list[PreparedLine | ShapeRefused],
    seen: dict[str, int],
    specialties: dict[str, int],
) -> list[LineResult]:
    numbers = [item.number if isinstance(item, ShapeRefused) else item.line.number for item in batch]
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                planned = _plan(actor=actor, batch=batch, seen=seen, specialties=specialties)
                if not any(result.outcome == Outcome.REFUSED for result in planned.results.values()):
                    write_batch(actor=actor, items=planned.planned)
        except IntegrityError as error:
            # Most likely another import inserted one of these slugs since we looked: plan again.
            if attempt == 2:
                detail = (
                    f"Not written: the database refused this batch ({str(error).strip()}); "
                    "nothing of it was written. Import the file again."
                )
                return [
                    LineResult(
                        line=number,
                        slug=item.slug if isinstance(item, ShapeRefused) else item.line.slug,
                        outcome=Outcome.NOT_WRITTEN,
                        detail=detail,
                    )
                    for number, item in zip(numbers, batch, strict=True)
                ]
        else:
            break
    results = [planned.results[number] for number in numbers]
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


def _plan(
    *,
    actor: AbstractBaseUser,
    batch: list[PreparedLine | ShapeRefused],
    seen: dict[str, int],
    specialties: dict[str, int],
) -> _Batch:
    plan = _Batch()
    lines: list[PreparedLine] = []
    for item in batch:
        if isinstance(item, ShapeRefused):
            plan.refuse(item.number, item.slug, item.errors)
        else:
            lines.append(item)

    wanted = {item.line.specialty for item in lines} - set(specialties)
    if wanted:
        specialties.update(Specialty.objects.filter(slug__in=wanted).values_list("slug", "pk"))
    # No joins: a row that had to wait for its lock is read again as committed (see lock_article).
    existing = {
        article.slug: article
        for article in Article.objects.filter(slug__in={item.line.slug for item in lines})
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

    for item in lines:
        line = item.line
        errors: dict[str, list[str]] = {name: list(messages) for name, messages in item.reason_errors.items()}
        earlier = seen.get(line.slug) or plan.slugs.get(line.slug)
        if earlier:
            errors.setdefault("slug", []).append(
                f"“{line.slug}” is already on line {earlier} of this import; give each article one line."
            )
        else:
            plan.slugs[line.slug] = line.number
        article = existing.get(line.slug)
        if article is None:
            planned = _plan_new(actor=actor, item=item, specialties=specialties, errors=errors)
        else:
            planned = _plan_next(
                item=item, article=article, current=current, specialties=specialties, errors=errors
            )
        if errors:
            plan.refuse(line.number, line.slug, errors)
        elif planned is None:
            version = current[article.current_version_id]
            plan.results[line.number] = LineResult(
                line=line.number, slug=line.slug, outcome=Outcome.UNCHANGED, version=version.number
            )
        else:
            plan.planned.append(planned)
            plan.results[line.number] = LineResult(
                line=line.number,
                slug=line.slug,
                outcome=Outcome.CREATED if planned.new else Outcome.NEW_VERSION,
                version=planned.version["number"],
            )
    return plan


def _merge(errors: dict[str, list[str]], found: dict[str, list[str]]) -> None:
    for name, messages in found.items():
        errors.setdefault(name, []).extend(messages)


def _plan_new(
    *, actor: AbstractBaseUser, item: PreparedLine, specialties: dict[str, int], errors: dict[str, list[str]]
) -> Planned | None:
    line = item.line
    specialty_id = specialties.get(line.specialty)
    if specialty_id is None:
        errors.setdefault("specialty", []).append(f"There is no specialty “{line.specialty}”.")
    # As create_article, less what this batch checks with one query for all its lines (the slug is
    # new, the specialty exists) and what is the caller's own (the user).
    _merge(errors, item.article_errors)
    _merge(errors, item.version_errors)
    if item.version is None or errors:
        return None
    return Planned(
        line=line,
        reason=item.reason,
        # Copies: a batch planned again after a clash must not see the ids of its first attempt.
        version=dict(item.version),
        references=[dict(reference) for reference in item.references],
        article_id=None,
        article={**item.article, "specialty_id": specialty_id, "created_by_id": actor.pk},
    )


def _plan_next(
    *,
    item: PreparedLine,
    article: Article,
    current: dict[int, ArticleVersion],
    specialties: dict[str, int],
    errors: dict[str, list[str]],
) -> Planned | None:
    """The next version of ``article``, or None when its current version has the same content."""
    line = item.line
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
    number = (latest.number if latest else 0) + 1
    _merge(errors, item.version_errors)
    try:
        number = VERSION_NUMBER.clean(number, None)  # prepared as version 1
    except ValidationError as error:
        errors.setdefault("number", []).extend(error.messages)
    if item.version is None or errors:
        return None
    if latest is not None and item.version["content_hash"] == latest.content_hash:
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
    return Planned(
        line=line,
        reason=item.reason,
        version={**item.version, "number": number},
        references=[dict(reference) for reference in item.references],
        article_id=article.pk,
    )

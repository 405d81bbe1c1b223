"""Inserting a batch's rows: ``COPY`` on PostgreSQL, ``bulk_create`` on other databases.

Rows are dicts of column values keyed by attribute name. On PostgreSQL the primary keys are taken
from the table's sequence first (``reserve_ids``, one statement for any number of rows), so a
batch knows every id before it writes (an article's current version among them), and the rows are
then streamed with ``COPY ... FROM STDIN``: psycopg formats each value in C, where ``bulk_create``
compiles an ``INSERT`` with every value prepared by its field in Python. A column the row does not
name gets what a new instance would (its default, or the batch's time for ``auto_now`` fields), so
both ways write the same rows (``tests/imports/test_tables.py``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import connection, models

_REQUIRED = object()


def copies() -> bool:
    """Whether this database takes rows by ``COPY`` (and ids from ``reserve_ids``)."""
    return connection.vendor == "postgresql"


def reserve_ids(counts: Mapping[type[models.Model], int]) -> dict[type[models.Model], list[int]]:
    """For each model, that many new primary keys from its sequence, in increasing order; one
    statement for all of them."""
    wanted = [(model, count) for model, count in counts.items() if count > 0]
    ids: dict[type[models.Model], list[int]] = {model: [] for model in counts}
    if not wanted:
        return ids
    selects = " UNION ALL ".join(
        f"SELECT {position}, nextval(pg_get_serial_sequence(%s, %s)::regclass) FROM generate_series(1, %s)"  # noqa: S608 - a number
        for position in range(len(wanted))
    )
    params = [
        value for model, count in wanted for value in (model._meta.db_table, model._meta.pk.column, count)
    ]
    with connection.cursor() as cursor:
        cursor.execute(selects, params)
        for position, pk in cursor.fetchall():
            ids[wanted[position][0]].append(pk)
    for values in ids.values():
        values.sort()
    return ids


def _column_defaults(model: type[models.Model], now: datetime.datetime) -> list[tuple[str, str, Any]]:
    columns = []
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        elif field.has_default() or field.null:
            default = field.get_default()
        else:
            default = _REQUIRED
        columns.append((field.attname, field.column, default))
    return columns


def copy_rows(model: type[models.Model], rows: list[dict[str, Any]], *, now: datetime.datetime) -> None:
    """Insert ``rows`` (each with its primary key, see ``reserve_ids``) with one ``COPY``."""
    if not rows:
        return
    columns = _column_defaults(model, now)
    for attname, _, default in columns:
        if default is _REQUIRED and any(attname not in row for row in rows):
            raise ValueError(f"Every row of {model.__name__} needs a value for {attname}.")
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for _, column, _ in columns)
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    # Errors (a slug another import inserted meanwhile) reach the caller as Django's IntegrityError.
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row.get(attname, default) for attname, _, default in columns])


def bulk_create_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` with ``bulk_create``; sets each row's primary key."""
    if not rows:
        return
    instances = model.objects.bulk_create([model(**row) for row in rows])
    pk = model._meta.pk.attname
    for row, instance in zip(rows, instances, strict=True):
        row[pk] = instance.pk

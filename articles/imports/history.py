"""Historical rows for rows written in bulk, copied by the database from the rows themselves.

``bulk_create`` and ``QuerySet.update`` write no simple-history rows, and building them in Python
(``bulk_create_with_history``) sends every body twice through the driver. Here one
``INSERT ... SELECT`` per reason copies the tracked columns of the given rows into the model's
historical table with the type, date, user and reason, which is what simple-history writes on
``save()``. Columns may be overridden with a constant (``NULL`` for an article's first row, whose
current version the service sets only after its insert).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection, models

# SQLite's default limit on the parameters of one statement is 32766; keep well below it.
CHUNK = 5000


def insert_history(
    model: type[models.Model],
    *,
    ids_by_reason: Mapping[str, Sequence[int]],
    history_type: str,
    user_id: int,
    date: datetime.datetime,
    null_columns: Iterable[str] = (),
) -> int:
    """Copy the rows of ``model`` with these ids into its historical table; returns how many."""
    history = model.history.model  # type: ignore[attr-defined]
    nulls = set(null_columns)
    tracked = [field.column for field in model._meta.concrete_fields]
    historical = {field.column for field in history._meta.concrete_fields}
    missing = set(tracked) - historical
    if missing:
        raise RuntimeError(f"{history.__name__} lacks the columns {sorted(missing)}.")
    quote = connection.ops.quote_name
    columns = [*tracked, "history_date", "history_type", "history_user_id", "history_change_reason"]
    selected = ["NULL" if column in nulls else quote(column) for column in tracked]
    stamp = connection.ops.adapt_datetimefield_value(date)
    written = 0
    insert = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608 - names from the models
        f"SELECT {', '.join(selected)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
    )
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        for reason, ids in ids_by_reason.items():
            if connection.vendor == "postgresql":
                # One parameter, an array literal, rather than one per id: the driver parses the
                # statement for its placeholders in Python, and a thousand of them cost milliseconds.
                array = "{" + ",".join(str(int(pk_value)) for pk_value in ids) + "}"
                cursor.execute(
                    f"{insert} WHERE {pk} = ANY(%s::bigint[]) ORDER BY {pk}",
                    [stamp, history_type, user_id, reason, array],
                )
                written += cursor.rowcount
                continue
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start : start + CHUNK])
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"{insert} WHERE {pk} IN ({placeholders}) ORDER BY {pk}",
                    [stamp, history_type, user_id, reason, *chunk],
                )
                written += cursor.rowcount
    return written

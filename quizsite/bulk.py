"""Inserting many rows of one model in one statement, without model instances.

`QuerySet.bulk_create` builds a model instance per row and compiles the
insert through the ORM's general machinery; for the 65 items of a starting
attempt that costs more than the rest of the start. `insert_rows` writes the
same values (each field's own database preparation, its default where a row
leaves it out) as one multi-row INSERT, in batches that stay within SQLite's
limit on parameters. It returns nothing: callers that need the new primary
keys use bulk_create.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

# SQLite allows 32,766 parameters in a statement; stay well inside it.
MAX_PARAMETERS = 16_000


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (dicts of field attnames to values) into `model`'s table.

    Every concrete field except an automatic primary key is written: the
    row's value, else the field's default (now, for auto_now and
    auto_now_add). An unknown key is an error, so a renamed field cannot be
    dropped silently.
    """
    if not rows:
        return
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and f.get_default() is None)
    ]
    known = {f.attname for f in fields}
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_batch = max(1, MAX_PARAMETERS // len(fields))
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        # The field's default, as Model.__init__ would set it.
        else f.get_default()
        for f in fields
    }
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            params: list[Any] = []
            for row in batch:
                for f in fields:
                    value = row[f.attname] if f.attname in row else defaults[f.attname]
                    params.append(f.get_db_prep_save(value, connection))
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([placeholders] * len(batch))}",
                params,
            )

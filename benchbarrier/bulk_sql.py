"""Insert many rows in one statement, the fast way for each database.

    returned = insert_rows(
        "analytics_events", [("message_id", "text"), ("timestamp", "timestamptz")], rows,
        on_conflict="ON CONFLICT (message_id) DO NOTHING", returning="id, message_id",
    )

PostgreSQL: the rows are `COPY`ed into a per-connection temporary staging table, then
moved with one `INSERT ... SELECT ... ON CONFLICT ... RETURNING`. COPY encodes rows in
C; a statement with thousands of placeholders (or one array parameter per column) would
spend most of a batch's time quoting values in Python. Other databases (SQLite, the
embedded default) get a plain `INSERT ... VALUES (...), (...)`, as do small batches
that ask for it (`staged=False`).

Must run inside a transaction (`transaction.atomic`). The staging tables are session
temporary tables, so a pooler in transaction mode (PgBouncer) cannot sit in between.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection


def insert_rows(
    table: str,
    columns: list[tuple[str, str]],
    rows: list[tuple[Any, ...]],
    *,
    constants: dict[str, str] | None = None,
    on_conflict: str = "",
    returning: str = "",
    order_by: str = "",
    staged: bool = True,
) -> list[tuple[Any, ...]]:
    """INSERT `rows` into `table`; returns the RETURNING rows (empty without one).

    `columns` are (name, PostgreSQL type) pairs, one value per row each; `constants` are
    further columns with the same SQL literal in every row (e.g. `{"timezone": "'UTC'"}`);
    `order_by` orders the rows as they are inserted on PostgreSQL, so concurrent
    upserts lock rows in one order (SQLite has a single writer and needs none).
    `staged=False` skips the staging table on PostgreSQL too: cheaper for a few rows.
    Table and column names must come from code, never from input: they are not quoted.
    """
    if not rows:
        return []
    constants = constants or {}
    names = ", ".join([*(name for name, _ in columns), *constants])
    tail = f" {on_conflict}" + (f" RETURNING {returning}" if returning else "")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and staged:
            stage = f"_stage_{table}"
            values = ", ".join([*(name for name, _ in columns), *constants.values()])
            definition = ", ".join(f"{name} {pg_type}" for name, pg_type in columns)
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({definition})")
            plain = ", ".join(name for name, _ in columns)
            with cursor.cursor.copy(f"COPY {stage} ({plain}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            order = f" ORDER BY {order_by}" if order_by else ""
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {values} FROM {stage}{order}{tail}"  # noqa: S608 (names from code)
            )
            returned = cursor.fetchall() if returning else []
            cursor.execute(f"TRUNCATE {stage}")
            return returned
        extra = "".join(f", {literal}" for literal in constants.values())
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + extra + ")"
        params = [_adapt(value) for row in rows for value in row]
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholders] * len(rows))}{tail}",  # noqa: S608 (names from code)
            params,
        )
        return cursor.fetchall() if returning else []


def _adapt(value: Any) -> Any:
    if isinstance(value, UUID):
        return value if connection.features.has_native_uuid_field else value.hex
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, Decimal):
        return connection.ops.adapt_decimalfield_value(value)
    return value


def update_rows(
    table: str,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    keys: tuple[str, ...] = ("id",),
    *,
    where: str = "",
) -> list[bool]:
    """UPDATE many rows, each with its own values, where Django's bulk_update would
    build a CASE per row and column in Python. Each row is (*values in `columns` order,
    *values of `keys`): a row changes only where every key column has its value (and
    `where`, a fixed SQL condition on the table's own columns, holds). Returns, per
    row, whether it matched.

    PostgreSQL: up to STAGE_FROM rows go as one pipelined `executemany`; more are
    COPYed into a staging table shaped like the table's columns and applied with one
    `UPDATE ... FROM`. Elsewhere, one statement per row."""
    if not rows:
        return []
    condition = " AND ".join([*(f"{name} = %s" for name in keys), *([where] if where else [])])
    assignments = ", ".join(f"{name} = %s" for name in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE {condition}"  # noqa: S608 (names from code)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            matched = []
            for row in rows:
                cursor.execute(sql, tuple(_adapt(value) for value in row))
                matched.append(cursor.rowcount > 0)
            return matched
        if len(rows) >= STAGE_FROM:
            return _update_staged(cursor, table, columns, rows, keys, where)
        raw = cursor.cursor  # psycopg's own: executemany can return each row's result
        raw.executemany(f"{sql} RETURNING 1", rows, returning=True)
        matched = []
        while True:
            matched.append(raw.fetchone() is not None)
            if not raw.nextset():
                return matched


STAGE_FROM = 100


def _update_staged(
    cursor: Any,
    table: str,
    columns: list[str],
    rows: list[tuple[Any, ...]],
    keys: tuple[str, ...],
    where: str,
) -> list[bool]:
    names = [*columns, *keys]
    stage = f"_stage_u_{table}_{hashlib.md5(repr(names).encode()).hexdigest()[:8]}"  # noqa: S324 (a name)
    shape = ", ".join(f"{name} AS c{i}" for i, name in enumerate(names))
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS "  # noqa: S608 (names from code)
        f"SELECT 0 AS n, {shape} FROM {table} WITH NO DATA"
    )
    with cursor.cursor.copy(f"COPY {stage} FROM STDIN") as copy:
        for n, row in enumerate(rows):
            copy.write_row((n, *row))
    sets = ", ".join(f"{name} = s.c{i}" for i, name in enumerate(columns))
    match = " AND ".join(
        [*(f"{table}.{name} = s.c{len(columns) + i}" for i, name in enumerate(keys)),
         *([f"({where})"] if where else [])]
    )  # fmt: skip
    cursor.execute(f"UPDATE {table} SET {sets} FROM {stage} AS s WHERE {match} RETURNING s.n")  # noqa: S608
    hit = {row[0] for row in cursor.fetchall()}
    cursor.execute(f"TRUNCATE {stage}")
    return [n in hit for n in range(len(rows))]

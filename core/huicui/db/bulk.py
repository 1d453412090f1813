"""Multi-row INSERT and wide IN (…) lookups through the driver, for hundreds of rows at once.

Piccolo builds an INSERT of many rows value by value in Python (a nested query string per
value), and a ``.is_in()`` of 500 values the same way: that cost more than the database's
own work in the roster import and the sync ingest. Here the SQL text is made once per
shape (table, columns, rows per statement) and the values go to the driver as one flat
list, on the connection Piccolo would use: the current transaction's if there is one,
else the pool's or a new one, as Piccolo does. On PostgreSQL the rows go as one JSON
array of arrays (one parameter, written by msgspec, read with ``jsonb_array_elements``
and a cast per column), or, when a column's type or a naive timestamp would not survive
JSON, as one array per column through ``unnest``; on SQLite as a VALUES list within its
parameter limit.
Values are passed as Piccolo passes them (its SQLite adapters for datetimes are global
to ``sqlite3``), so the rows read back the same as rows Piccolo wrote.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import msgspec
from piccolo.columns.defaults.base import Default
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

from huicui.db import is_postgres

# Bound parameters per statement: PostgreSQL's protocol allows 32767; SQLite 32766 since
# 3.32 and 999 before it.
_PG_MAX_PARAMS = 32767
_SQLITE_MAX_PARAMS = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
# Past a thousand rows a statement is no faster, only a bigger string to build.
_MAX_ROWS_PER_STATEMENT = 1000


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tail(conflict: str | None, returning: str | None) -> str:
    """The statement's ``ON CONFLICT … DO NOTHING`` and ``RETURNING``, as asked."""
    sql = f" ON CONFLICT ({_quote(conflict)}) DO NOTHING" if conflict else ""
    return sql + (f" RETURNING {_quote(returning)}" if returning else "")


@lru_cache(maxsize=64)
def _statement(
    table: str,
    columns: tuple[str, ...],
    rows: int,
    postgres: bool,
    conflict: str | None,
    returning: str | None,
) -> str:
    width = len(columns)
    if postgres:
        values = ",".join(
            "(" + ",".join(f"${r * width + c + 1}" for c in range(width)) + ")"
            for r in range(rows)
        )
    else:
        values = ",".join(["(" + ",".join("?" * width) + ")"] * rows)
    # Names come from the Table classes, never from input; every value is a parameter.
    head = f"INSERT INTO {_quote(table)} ({','.join(map(_quote, columns))})"
    sql = f"{head} VALUES {values}"
    return sql + _tail(conflict, returning)


@lru_cache(maxsize=64)
def _pg_types(table: type[Table]) -> tuple[tuple[str, str], ...]:
    out = []
    for column in table._meta.non_default_columns:
        kind = column.column_type
        # text[] rather than varchar(n)[]: a cast to varchar(n) would cut a long value
        # short silently, where the insert into the column refuses it as Piccolo's does.
        if kind.upper().startswith(("VARCHAR", "CHAR")):
            kind = "TEXT"
        out.append((column._meta.db_column_name, kind))
    return tuple(out)


# Column types whose values msgspec's JSON writes as PostgreSQL reads them back unchanged
# (text, integers, booleans, and timestamps with a zone as RFC 3339 text).
_JSON_TYPES = frozenset({"TEXT", "INTEGER", "BIGINT", "SMALLINT", "BOOLEAN", "TIMESTAMPTZ"})
_json = msgspec.json.Encoder()


@lru_cache(maxsize=64)
def _pg_statement(
    table: str,
    typed: tuple[tuple[str, str], ...],
    conflict: str | None,
    returning: str | None,
    as_json: bool,
) -> str | None:
    """The INSERT reading its rows from one JSON array of arrays (``as_json``; ``None``
    when a column's type is not one JSON carries faithfully), or from one array
    parameter per column through ``unnest``."""
    names = ",".join(_quote(name) for name, _ in typed)
    if as_json:
        if any(kind not in _JSON_TYPES for _, kind in typed):
            return None
        values = ",".join(f"(r->>{n})::{kind}" for n, (_, kind) in enumerate(typed))
        source = f"SELECT {values} FROM jsonb_array_elements($1::jsonb) AS r"  # noqa: S608
    else:
        arrays = ",".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(typed, 1))
        source = f"SELECT * FROM unnest({arrays})"  # noqa: S608
    # Names and types come from the Table classes, never from input; values are parameters.
    return f"INSERT INTO {_quote(table)} ({names}) {source}" + _tail(conflict, returning)


def _zoned(rows: list[list[Any]], typed: tuple[tuple[str, str], ...]) -> bool:
    """Whether every timestamp with a zone carries one (a naive one would be read in the
    server's zone from JSON, where asyncpg takes it as UTC)."""
    for n, (_, kind) in enumerate(typed):
        if kind == "TIMESTAMPTZ":
            for row in rows:
                value = row[n]
                if value is not None and (
                    not isinstance(value, dt.datetime) or value.tzinfo is None
                ):
                    return False
    return True


async def _execute(engine: Any, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    transaction = engine.current_transaction.get()
    if is_postgres(engine):
        if transaction is not None:
            records = await transaction.connection.fetch(sql, *args)
        elif engine.pool is not None:
            async with engine.pool.acquire() as connection:
                records = await connection.fetch(sql, *args)
        else:
            records = await engine._run_in_new_connection(sql, args)
        return [dict(record) for record in records]
    if transaction is not None:
        async with transaction.connection.execute(sql, args) as cursor:
            return list(await cursor.fetchall())
    # A connection of its own, committed, exactly as Piccolo runs a query outside a
    # transaction (rows come back as dicts through its row factory).
    return list(await engine._run_in_new_connection(sql, args))


def defaults(table: type[Table]) -> dict[str, Any]:
    """Every non-key column's default value, evaluated now (``TimestamptzNow`` → now)."""
    out: dict[str, Any] = {}
    for column in table._meta.non_default_columns:
        value = column.get_default_value()
        if isinstance(value, Default):
            value = value.python()
        out[column._meta.db_column_name] = value
    return out


async def insert_rows(
    table: type[Table],
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict_do_nothing: str | None = None,
    returning: str | None = None,
) -> list[dict[str, Any]]:
    """Insert ``rows`` (column → value; missing columns take their defaults) in few statements.

    With ``on_conflict_do_nothing`` (a unique column) rows that clash are skipped; with
    ``returning`` the named column of each row written comes back, as Piccolo's
    ``.returning()`` would. Works on SQLite (3.35+, for RETURNING) and PostgreSQL.
    """
    if not rows:
        return []
    engine = engine_finder()
    assert engine is not None
    filled = defaults(table)
    columns = tuple(filled)
    postgres = is_postgres(engine)
    limit = _PG_MAX_PARAMS if postgres else _SQLITE_MAX_PARAMS
    per_statement = max(1, min(_MAX_ROWS_PER_STATEMENT, limit // len(columns)))
    flags = (postgres, on_conflict_do_nothing, returning)
    name = table._meta.tablename
    if postgres:
        typed = _pg_types(table)
        # The rows as one JSON array of arrays, one parameter: msgspec writes it in C,
        # where asyncpg encodes an array parameter value by value in Python (with an
        # isinstance check against abstract classes for each): 3-5 ms of client CPU per
        # batch of 500 redemptions against 0.2 ms, for about 1 ms more on the server.
        sql = _pg_statement(name, typed, *flags[1:], as_json=True)
        if sql is not None:
            listed = [[row[c] if c in row else filled[c] for c in columns] for row in rows]
            if _zoned(listed, typed):
                return await _execute(engine, sql, [_json.encode(listed).decode()])
        # Column-wise arrays through unnest: one statement with a parameter per column,
        # planned once, where a VALUES list of thousands of parameters was planned anew.
        sql = _pg_statement(name, typed, *flags[1:], as_json=False)
        args = [[row[c] if c in row else filled[c] for row in rows] for c in columns]
        return await _execute(engine, sql, args)
    if len(rows) > per_statement and engine.current_transaction.get() is None:
        # Several statements (an old SQLite's 999 parameters): all of them or none.
        async with engine.transaction():
            return await _insert(engine, name, columns, filled, rows, per_statement, flags)
    return await _insert(engine, name, columns, filled, rows, per_statement, flags)


async def _insert(
    engine: Any,
    name: str,
    columns: tuple[str, ...],
    filled: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    per_statement: int,
    flags: tuple[bool, str | None, str | None],
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        args = [
            row[column] if column in row else filled[column]
            for row in chunk
            for column in columns
        ]
        sql = _statement(name, columns, len(chunk), *flags)
        out.extend(await _execute(engine, sql, args))
    return out


class Params:
    """Collects a query's parameters and writes each one's placeholder (``?`` or ``$n``).

    ``p(value)`` and ``p.many(values)`` return SQL text to put in the query; pass the
    query and ``p`` to :func:`fetch`. The engine decides the placeholder style.
    """

    def __init__(self) -> None:
        engine = engine_finder()
        assert engine is not None
        self.engine = engine
        self.postgres = is_postgres(engine)
        self.args: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}" if self.postgres else "?"

    def many(self, values: Sequence[Any]) -> str:
        """Placeholders for ``values``, comma-separated (for ``IN (…)``)."""
        if not self.postgres:
            self.args.extend(values)
            return ",".join("?" * len(values))
        first = len(self.args) + 1
        self.args.extend(values)
        return ",".join(f"${n}" for n in range(first, first + len(values)))

    def one_of(self, values: Sequence[Any]) -> str:
        """``IN (?, …)`` on SQLite, ``= ANY($n)`` with one array parameter on PostgreSQL.

        Put it after a column name. On PostgreSQL the text is the same for any number of
        values, so the statement is prepared and planned once per connection: an
        ``IN`` list of a batch's few hundred placeholders was a new text, parsed and
        planned again, nearly every time (most of a 10 ms lookup).
        """
        if not self.postgres:
            return f"IN ({self.many(values)})"
        return f"= ANY({self(list(values))})"


async def fetch(sql: str, params: Params) -> list[dict[str, Any]]:
    """Rows (as dicts) of ``sql``, whose placeholders ``params`` wrote.

    Column values come back as Piccolo's own select returns them (SQLite's converters
    for timestamps are chosen by the declared column type, on the same connection).
    """
    return await _execute(params.engine, sql, params.args)


def is_unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` is the driver's refusal of a row that repeats a unique key."""
    if isinstance(exc, sqlite3.IntegrityError):
        return str(exc).startswith("UNIQUE constraint failed")
    # asyncpg's UniqueViolationError, by its SQLSTATE: asyncpg is absent on SQLite-only
    # installs.
    return getattr(exc, "sqlstate", None) == "23505"


# Bound parameters one IN (…) list may use, leaving room for a few others: within even
# an old SQLite's 999.
IN_CHUNK = 900

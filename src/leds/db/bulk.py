"""Bulk writes for the ingest hot path.

SQLAlchemy Core builds a parameter dictionary per row, which costs more than
the database's own work at ingest rates.  These helpers hand tuples straight
to the driver's ``executemany``.  Statement text is built only from the
schema's own table and column names; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Connection, Table

from . import fast


def _mark(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


@cache
def _insert_sql(dialect: str, table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join(_mark(dialect) for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (schema names only)


@cache
def _update_sql(dialect: str, table: str, set_columns: tuple[str, ...], where: str) -> str:
    m = _mark(dialect)
    sets = ", ".join(f"{c} = {m}" for c in set_columns)
    return f"UPDATE {table} SET {sets} WHERE {where.replace('?', m)}"  # noqa: S608 (schema names only)


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:  # type: ignore[type-arg]
    if not rows:
        return
    assert all(c in table.c for c in columns), "unknown column"
    if conn.dialect.name == "postgresql":
        # COPY is PostgreSQL's bulk-load path: several times faster than INSERTs.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(_insert_sql(conn.dialect.name, table.name, tuple(columns)), rows)


def update_rows(conn: Connection, table: Table, set_columns: Sequence[str], where: str,
                rows: list[tuple]) -> None:  # type: ignore[type-arg]
    """``where`` uses ``?`` for its parameters, which follow the SET values in each row."""
    if rows:
        assert all(c in table.c for c in set_columns), "unknown column"
        conn.exec_driver_sql(_update_sql(conn.dialect.name, table.name, tuple(set_columns), where), rows)


@cache
def _select_in_sql(dialect: str, table: str, columns: tuple[str, ...], key: str, n: int, extra: str,
                   index: str | None = None) -> str:
    m = _mark(dialect)
    where = f"{key} IN ({', '.join(m for _ in range(n))})"
    if extra:
        where += " AND " + extra.replace("?", m)
    hint = f" INDEXED BY {index}" if index and dialect == "sqlite" else ""
    return f"SELECT {', '.join(columns)} FROM {table}{hint} WHERE {where}"  # noqa: S608 (schema names only)


@cache
def _select_any_sql(table: str, columns: tuple[str, ...], key: str, extra: str) -> str:
    where = f"{key} = ANY(%s)"
    if extra:
        where += " AND " + extra.replace("?", "%s")
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"  # noqa: S608 (schema names only)


def select_in(conn: Connection, table: Table, columns: Sequence[str], key: str, values: Sequence[object],
              extra: str = "", extra_params: tuple = (), chunk: int = 500,  # type: ignore[type-arg]
              index: str | None = None) -> list[tuple]:  # type: ignore[type-arg]
    """Rows of ``table`` whose ``key`` is one of ``values`` (chunked), optionally
    narrowed by ``extra`` (``?`` marks its parameters).  ``index`` names a covering index
    that SQLite should use (its planner prefers a unique index that then reads the table's
    rows); PostgreSQL chooses for itself."""
    assert key in table.c and all(c in table.c for c in columns), "unknown column"
    assert index is None or any(ix.name == index for ix in table.indexes), "unknown index"
    out: list[tuple] = []  # type: ignore[type-arg]
    if conn.dialect.name == "postgresql" and values:
        # One array parameter instead of hundreds of placeholders: a short query
        # that psycopg does not re-parse and PostgreSQL plans once.
        sql = _select_any_sql(table.name, tuple(columns), key, extra)
        return [tuple(r) for r in conn.exec_driver_sql(sql, (list(values), *extra_params))]
    for i in range(0, len(values), chunk):
        part = list(values[i : i + chunk])
        sql = _select_in_sql(conn.dialect.name, table.name, tuple(columns), key, len(part), extra, index)
        out.extend(fast.driver_rows(conn, sql, (*part, *extra_params)))
    return out

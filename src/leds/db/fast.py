"""The look-ups' hot reads, executed on the driver's own cursor (SQLite).

A person check sends about eight short SELECTs.  Through ``Connection.execute`` each one
costs SQLAlchemy more Python than SQLite spends answering it: the compiled-statement cache
look-up, a parameter dictionary built from every bind, a result object, and a row object per
row.  :func:`rows` compiles a Core statement **once** (SQLAlchemy still writes the SQL, and
every value is still a bound parameter), then hands the driver the SQL and the values in
order and returns plain tuples.

It is for SELECTs whose parameters need no type conversion (strings and integers, as bound
by the look-ups); their columns are returned as the driver gives them.  On PostgreSQL it is
``Connection.execute``: psycopg's own cost per statement is not SQLAlchemy's, and that path
is measured by the PostgreSQL tests.  Either way the statement runs in the connection's
transaction, begun as SQLAlchemy begins it, so a look-up's reads see one snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine

# id(statement) -> (the statement, kept so that its id is not reused; SQL; bind names in
# order; the values bound in the statement itself)
_COMPILED: dict[int, tuple[Any, str, tuple[str, ...], dict[str, Any]]] = {}
_LOCK = threading.Lock()


def _compiled(stmt: Any, conn: Connection | Engine) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    hit = _COMPILED.get(id(stmt))
    if hit is not None and hit[0] is stmt:
        return hit[1], hit[2], hit[3]
    c = stmt.compile(dialect=conn.dialect)
    if c.positiontup is None:
        raise ValueError("db.fast.rows needs a dialect with positional parameters")
    sql = str(c)
    if "POSTCOMPILE" in sql:  # an expanding IN: SQLAlchemy rewrites its SQL per execution
        raise ValueError("db.fast.rows takes no expanding parameters (bind a list as one parameter: "
                         "access.policy.keys_in)")
    fixed = {k: v for k, v in c.params.items() if v is not None}
    out = (sql, tuple(c.positiontup), fixed)
    with _LOCK:
        if len(_COMPILED) > 4096:  # statements are built once per shape; this is a guard, not a policy
            _COMPILED.clear()
        _COMPILED[id(stmt)] = (stmt, *out)
    return out


def _bound(stmt: Any, conn: Connection | Engine, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The statement's SQL and its values in order (SQLite)."""
    sql, order, fixed = _compiled(stmt, conn)
    try:
        return sql, [params[n] if n in params else fixed[n] for n in order]
    except KeyError as exc:
        raise ValueError(f"no value for the statement's parameter {exc.args[0]!r}") from None


def rows(conn: Connection, stmt: Any, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Every row of ``stmt`` (a SELECT) with ``params`` bound, as tuples."""
    params = params or {}
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.execute(stmt, dict(params))]
    sql, values = _bound(stmt, conn, params)
    return driver_rows(conn, sql, values)


def driver_rows(conn: Connection, sql: str, values: Any) -> list[tuple[Any, ...]]:
    """Every row of ``sql`` (the driver's own SQL, every value a parameter) in the
    connection's transaction."""
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's autobegin would: the engine's "begin" event runs
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cur.execute(sql, values).fetchall()  # type: ignore[no-any-return]
    finally:
        cur.close()


def first_alone(engine: Engine, stmt: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """:func:`first` for a read that is a look-up's only statement (the caller's token or
    session on every request).  On SQLite it runs on a pooled driver connection without a
    transaction (one SELECT is its own snapshot), so it skips SQLAlchemy's BEGIN and the
    ROLLBACK when the connection goes back: on the event loop of a serving process, that
    ceremony cost more than the read."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            return first(conn, stmt, params)
    sql, values = _bound(stmt, engine, params or {})
    raw = engine.raw_connection()
    try:
        found = raw.driver_connection.execute(sql, values).fetchone()  # type: ignore[union-attr]
    finally:
        raw.close()
    return _named(stmt, found)


def first(conn: Connection, stmt: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The first row of ``stmt`` as a dict keyed by its selected columns' names, or None."""
    found = rows(conn, stmt, params)
    return _named(stmt, found[0] if found else None)


def _named(stmt: Any, row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    """A row as a dict keyed by ``stmt``'s selected columns' names, or None."""
    return dict(zip(stmt.selected_columns.keys(), row, strict=True)) if row is not None else None

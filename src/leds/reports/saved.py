"""Saved user reports: a query with parameters over DuckDB, run on demand or on a schedule,
delivered to the owner's alerts inbox.

A report's query is one DuckDB ``SELECT`` over the published relations (:data:`RELATIONS`),
each granted by an action of the access policy.  Before it runs, the query is parsed by
DuckDB itself: anything but a single read is refused, and so is a relation the user may not
see (or that does not exist, or a table function such as ``read_csv``).  It then runs in a
fresh in-memory DuckDB that holds only the relations it names, loaded for that user (record
counts through the policy), with external access switched off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select, update

from leds.access.lookup import Lookup
from leds.access.policy import AccessDenied, Principal, count_records
from leds.db.engine import write_transaction
from leds.errors import BadRequest, NotFound

from .tables import report_runs, saved_reports

if TYPE_CHECKING:
    import pyarrow as pa

# DuckDB and Arrow load when a report first runs, not when the service starts (a serving
# process that never runs a report does not carry them).


class QueryRefused(AccessDenied):
    """The service will not run this query (403): not a single read, a relation that does not
    exist or that the user may not see, or a query that fails or runs too long.  The message
    says which."""


MAX_ROWS = 10_000
TIME_LIMIT_S = 20.0
MEMORY_LIMIT = "1GB"
KEPT_ROWS = 200  # rows kept with a run (and delivered)
SCHEDULES = {"none": None, "daily": timedelta(days=1), "weekly": timedelta(days=7)}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _select(conn: Connection, stmt: Any) -> pa.Table:
    import pyarrow as pa
    res = conn.execute(stmt)
    names = list(res.keys())
    rows = res.fetchall()
    if not rows:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    cols = list(zip(*rows, strict=True))
    return pa.table({n: pa.array(list(c)) for n, c in zip(names, cols, strict=True)})


def _opendata(name: str) -> Callable[[Connection, Principal, Lookup], pa.Table]:
    def load(conn: Connection, _: Principal, __: Lookup) -> pa.Table:
        from leds.opendata import tables

        t = getattr(tables, name)
        return _select(conn, select(*[c for c in t.columns if c.name != "batch"]))

    return load


def _scorecard(conn: Connection, _: Principal, __: Lookup) -> pa.Table:
    import pyarrow as pa

    from leds.quality.rules import BY_ID
    from leds.quality.tables import quality_counts

    t = _select(conn, select(quality_counts))
    dims = [BY_ID[r].dimension if r in BY_ID else None for r in t.column("rule").to_pylist()]
    return t.append_column("dimension", pa.array(dims, pa.string()))


def _record_counts(conn: Connection, principal: Principal, lookup: Lookup) -> pa.Table:
    """Counts of the records the user may see, by dataset, type and force: through the access
    policy (its row predicate, and its audit of the consultation)."""
    import pyarrow as pa
    facets, keys, counts = [], [], []
    for by in ("dataset", "rtype", "force"):
        for k, n in sorted(count_records(conn, principal, lookup.purpose if not principal.is_system
                                         else "system_maintenance", action="search", reason=lookup.reason,
                                         audit=lookup.audit, by=by).items()):
            facets.append(by)
            keys.append(k)
            counts.append(n)
    return pa.table({"facet": pa.array(facets, pa.string()), "key": pa.array(keys, pa.string()),
                     "records": pa.array(counts, pa.int64())})


@dataclass(frozen=True)
class Relation:
    action: str  # the access policy's action that grants it
    description: str
    load: Callable[[Connection, Principal, Lookup], pa.Table]


RELATIONS: dict[str, Relation] = {
    "street_crime": Relation("view_reports", "data.police.uk street-level crimes", _opendata("opendata_street")),
    "outcomes": Relation("view_reports", "data.police.uk outcomes", _opendata("opendata_outcomes")),
    "stop_search": Relation("view_reports", "data.police.uk stop and search", _opendata("opendata_stop_search")),
    "population": Relation("view_reports", "population by force area and ethnic group",
                           _opendata("opendata_population")),
    "quality_scorecard": Relation("view_data_quality", "data-quality counters by day, force, source and rule",
                                  _scorecard),
    "record_counts": Relation("search", "counts (facet, key, records) of the records the user may see, by "
                              "dataset, rtype and force", _record_counts),
}


def _walk(node: Any, tables: set[str], ctes: set[str], functions: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and "table_name" in node:
            tables.add(str(node["table_name"]).lower())
            if node.get("schema_name") or node.get("catalog_name"):
                tables.add(f"{node.get('catalog_name', '')}.{node.get('schema_name', '')}.{node['table_name']}")
        if node.get("type") == "TABLE_FUNCTION":
            fn = node.get("function", {})
            functions.add(str(fn.get("function_name", "?")))
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                if isinstance(entry, dict) and "key" in entry:
                    ctes.add(str(entry["key"]).lower())
        for v in node.values():
            _walk(v, tables, ctes, functions)
    elif isinstance(node, list):
        for v in node:
            _walk(v, tables, ctes, functions)


def check_query(query: str, principal: Principal) -> list[str]:
    """The relations ``query`` reads, or a refusal (:class:`QueryRefused`, 403): not one read,
    a table function, an unknown relation, or a relation the principal may not see."""
    import duckdb

    db = duckdb.connect()
    try:
        statements = db.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {str(exc).splitlines()[0][:300]}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"a report is one statement, not {len(statements)}")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"a report may only read: this is a {statements[0].type.name} statement")
    tree = orjson.loads(db.execute("SELECT json_serialize_sql($q)", {"q": query}).fetchall()[0][0])
    if tree.get("error"):
        raise QueryRefused(f"the query cannot be read: {tree.get('error_message', '')[:300]}")
    tables: set[str] = set()
    ctes: set[str] = set()
    functions: set[str] = set()
    _walk(tree, tables, ctes, functions)
    if functions:
        raise QueryRefused(f"table functions are not allowed in a report: {', '.join(sorted(functions))}")
    names = sorted(tables - ctes)
    unknown = [n for n in names if n not in RELATIONS]
    if unknown:
        raise QueryRefused(f"unknown relation(s) {', '.join(unknown)}: a report reads {', '.join(RELATIONS)}")
    if not principal.is_system:
        barred = [n for n in names if RELATIONS[n].action not in principal.actions()]
        if barred:
            raise AccessDenied(f"{principal.id} may not see {', '.join(barred)} "
                               f"(needs {', '.join(sorted({RELATIONS[n].action for n in barred}))})")
    return names


def run_query(conn: Connection, lookup: Lookup, query: str, params: dict[str, Any] | None = None,
              *, name: str = "ad hoc") -> dict[str, Any]:
    """Run a report's query as ``lookup``'s principal; audited (the relations and row count)."""
    import duckdb

    from leds.audit import AuditEvent

    principal = lookup.principal
    names = check_query(query, principal)  # each relation is granted by its own action
    started = time.perf_counter()
    db = duckdb.connect()
    try:
        for n in names:
            db.register(n, RELATIONS[n].load(conn, principal, lookup))
        db.execute("SET enable_external_access = false")
        db.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        db.execute("SET lock_configuration = true")
        timer = threading.Timer(TIME_LIMIT_S, db.interrupt)  # a runaway join is stopped, not left running
        timer.start()
        try:
            res = db.execute(query, {k: v for k, v in (params or {}).items() if f"${k}" in query})
            columns = [d[0] for d in res.description or []]
            rows = res.fetchmany(MAX_ROWS + 1)
        except duckdb.InterruptException as exc:
            raise QueryRefused(f"the query ran for more than {TIME_LIMIT_S:g} s and was stopped") from exc
        except duckdb.Error as exc:
            raise QueryRefused(f"the query failed: {str(exc).splitlines()[0][:300]}") from exc
        finally:
            timer.cancel()
    finally:
        db.close()
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    if not principal.is_system:
        lookup.audit(AuditEvent(action="consultation", actor=principal.id, purpose=lookup.purpose,
                                reason=lookup.reason, detail={"kind": "report", "report": name[:100],
                                                               "relations": names, "rows": len(rows)}))
    return {"columns": columns, "rows": [[_plain(v) for v in r] for r in rows], "row_count": len(rows),
            "truncated": truncated, "relations": names, "seconds": round(time.perf_counter() - started, 3)}


def _plain(v: Any) -> Any:
    return v if v is None or isinstance(v, (int, float, str, bool)) else str(v)


# -- saved reports ---------------------------------------------------------------------------
def _username(principal: Principal) -> str:
    if not principal.id.startswith("user:"):
        raise BadRequest("only a user saves reports")
    return principal.id.split(":", 1)[1]


def save(conn: Connection, principal: Principal, *, name: str, query: str, params: dict[str, Any],
         schedule: str = "none") -> dict[str, Any]:
    if schedule not in SCHEDULES:
        raise BadRequest(f"schedule is one of {', '.join(SCHEDULES)}")
    if not principal.is_system and "view_reports" not in principal.actions():
        raise AccessDenied(f"{principal.id} has no role that allows 'view_reports'")
    check_query(query, principal)
    step = SCHEDULES[schedule]
    now = datetime.now(UTC)
    res = conn.execute(insert(saved_reports).values(
        owner=_username(principal), name=name, query=query, params=orjson.dumps(params).decode(),
        schedule=schedule, created_at=_now(),
        next_run_at=(now + step).strftime("%Y-%m-%dT%H:%M:%SZ") if step else None))
    return get(conn, principal, int(res.inserted_primary_key[0]))  # type: ignore[index]


def _row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "owner": r.owner, "name": r.name, "query": r.query, "params": orjson.loads(r.params),
            "schedule": r.schedule, "created_at": r.created_at, "next_run_at": r.next_run_at}


def get(conn: Connection, principal: Principal, report_id: int) -> dict[str, Any]:
    r = conn.execute(select(saved_reports).where(saved_reports.c.id == report_id)).first()
    if r is None or (not principal.is_system and r.owner != _username(principal)):
        raise NotFound(f"no report {report_id}")
    return _row(r)


def mine(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    q = select(saved_reports).order_by(saved_reports.c.id)
    if not principal.is_system:
        q = q.where(saved_reports.c.owner == _username(principal))
    return [_row(r) for r in conn.execute(q)]


def remove(conn: Connection, principal: Principal, report_id: int) -> None:
    get(conn, principal, report_id)
    conn.execute(delete(saved_reports).where(saved_reports.c.id == report_id))


def runs(conn: Connection, principal: Principal, report_id: int, limit: int = 20) -> list[dict[str, Any]]:
    get(conn, principal, report_id)
    return [{"id": r.id, "at": r.at, "status": r.status, "rows": r.rows, "result": orjson.loads(r.result)}
            for r in conn.execute(select(report_runs).where(report_runs.c.report_id == report_id)
                                  .order_by(report_runs.c.id.desc()).limit(limit))]


def run_saved(engine: Engine, lookup: Lookup, report_id: int, params: dict[str, Any] | None = None,
              *, deliver: bool = True) -> dict[str, Any]:
    """Run a saved report as its owner (``lookup``), keep the run, and deliver it to the owner's
    alerts inbox.  A refusal (the owner lost a role) is kept as a run too."""
    with engine.connect() as conn:
        rep = get(conn, lookup.principal, report_id)
        merged = {**rep["params"], **(params or {})}
        try:
            result = run_query(conn, lookup, rep["query"], merged, name=rep["name"])
            status, kept = "ok", {k: result[k] for k in ("columns", "row_count", "truncated")} | {
                "rows": result["rows"][:KEPT_ROWS]}
        except (AccessDenied, BadRequest) as exc:
            status, kept, result = ("refused" if not isinstance(exc, QueryRefused) or "may not see" in str(exc)
                                    else "failed"), \
                {"error": str(exc)}, {"error": str(exc)}
    with engine.connect() as conn, write_transaction(conn):
        run_id = int(conn.execute(insert(report_runs).values(
            report_id=report_id, at=_now(), status=status, rows=kept.get("row_count", 0),
            result=orjson.dumps(kept).decode())).inserted_primary_key[0])  # type: ignore[index]
        step = SCHEDULES[rep["schedule"]]
        if step:
            conn.execute(update(saved_reports).where(saved_reports.c.id == report_id).values(
                next_run_at=(datetime.now(UTC) + step).strftime("%Y-%m-%dT%H:%M:%SZ")))
        delivered = deliver and deliver_to_inbox(conn, rep, run_id, status, kept)
    return {"report": rep, "run_id": run_id, "status": status, "delivered": delivered, **result}


def deliver_to_inbox(conn: Connection, rep: dict[str, Any], run_id: int, status: str, kept: dict[str, Any]) -> bool:
    """The one place a report is delivered: the owner's alerts inbox (leds.alerts.service.notify),
    in the run's transaction.  Without the alerts domain the run is kept and not delivered."""
    try:
        from leds.alerts.service import notify
    except ModuleNotFoundError:
        return False
    notify(conn, kind="report", users=[rep["owner"]], key=f"report:{rep['id']}:{run_id}", purpose="audit",
           detail={"report_id": rep["id"], "name": rep["name"], "run_id": run_id, "status": status,
                   "rows": kept.get("row_count", 0), "error": kept.get("error")})
    return True


def due(conn: Connection, now: str | None = None) -> list[dict[str, Any]]:
    now = now or _now()
    return [_row(r) for r in conn.execute(select(saved_reports).where(
        saved_reports.c.next_run_at.is_not(None), saved_reports.c.next_run_at <= now).order_by(saved_reports.c.id))]


def run_due(engine: Engine, lookup_for: Callable[[str], Lookup | None], now: str | None = None) -> list[dict[str, Any]]:
    """Run every scheduled report that is due, each as its owner (``lookup_for(username)``;
    None for an owner who no longer exists or is disabled: the run is skipped)."""
    with engine.connect() as conn:
        todo = due(conn, now)
    done = []
    for rep in todo:
        lk = lookup_for(rep["owner"])
        if lk is None:
            continue
        out = run_saved(engine, lk, rep["id"])
        done.append({"id": rep["id"], "name": rep["name"], "status": out["status"], "delivered": out["delivered"]})
    return done

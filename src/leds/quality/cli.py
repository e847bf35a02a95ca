"""``leds quality``: the rule table, scorecards, failures (as a named user, through the access
policy), new/resolved/persisting failures, non-standard values, the recompute and the
national data performance framework.

Scorecards and the framework are aggregates and run as the local operator; ``failures``
shows records, so it acts as ``--user USERNAME`` (their roles, force and vetting apply, and
the consultation is audited under their name)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leds.config import get_settings
from leds.db.engine import get_engine
from leds.errors import LedsError

out = Console()
err = Console(stderr=True, soft_wrap=True)  # a file:line message stays on one line
quality_app = typer.Typer(help="Data quality: rules, scorecards, failing records and the performance framework.",
                          no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ForceOpt = Annotated[str | None, typer.Option("--force", help="Only this force (code).")]


def register(app: typer.Typer) -> None:
    app.add_typer(quality_app, name="quality")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _print(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


def _pct(p: int, t: int) -> str:
    return f"{100 * p / t:.1f}%" if t else "-"


@quality_app.command("rules")
def rules_cmd(as_json: JsonOpt = False) -> None:
    """The published rule table."""
    from .rules import RULES

    if as_json:
        _print({"rules": [{"id": r.id, "dimension": r.dimension, "description": r.description, "counts": r.counts}
                          for r in RULES]})
        return
    t = Table("rule", "dimension", "description", "counts")
    for r in RULES:
        t.add_row(r.id, r.dimension, r.description, r.counts)
    out.print(t)


@quality_app.command("scorecard")
def scorecard_cmd(
    as_json: JsonOpt = False,
    by: Annotated[str, typer.Option("--by", help="force or source.")] = "source",
    period: Annotated[str | None, typer.Option("--period", help="week or month (default: all time).")] = None,
    force: ForceOpt = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule.")] = None,
) -> None:
    """Passed and total per force (and source), rule and dimension; per week or month with --period."""
    from .service import scorecard

    if by not in ("force", "source"):
        raise _fail("--by is force or source")
    if period not in (None, "week", "month"):
        raise _fail("--period is week or month")
    try:
        with get_engine(get_settings()).connect() as conn:
            rows = scorecard(conn, by=by, period=period, force=force, rule=rule)  # type: ignore[arg-type]
    except LedsError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _print({"rows": rows})
        return
    t = Table(*(["period"] if period else []), "force", "source", "rule", "dimension", "passed", "total", "rate")
    for r in rows:
        t.add_row(*([r["period"]] if period else []), r["force"], r["source"] or "(all)", r["rule"], r["dimension"],
                  f"{r['passed']:,}", f"{r['total']:,}", _pct(r["passed"], r["total"]))
    out.print(t)


@quality_app.command("failures")
def failures_cmd(
    rule: Annotated[str, typer.Argument(help="A rule id (leds quality rules).")],
    force: Annotated[str, typer.Option("--force", help="The force whose failing records to list.")],
    user: Annotated[str, typer.Option("--user", help="Act as this user (their access applies; audited).")],
    source: Annotated[str | None, typer.Option("--source", help="Only this source system.")] = None,
    purpose: Annotated[str, typer.Option(help="Reason code.")] = "data_quality",
    reason: Annotated[str | None, typer.Option(help="Explanation, where the reason needs one.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """The records failing RULE at a force, as USER may see them (through the access policy)."""
    from leds.access import identity
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer

    from .service import failures

    settings = get_settings()
    engine = get_engine(settings)
    found = identity.get_user(engine, user)
    if found is None or found.disabled:
        raise _fail(f"no enabled user named {user!r}")
    lookup = Lookup(Principal.from_user(found), purpose, reason, get_writer(settings).record)
    try:
        with engine.connect() as conn:
            doc = failures(conn, lookup, rule, force, source=source, limit=limit)
    except LedsError as exc:
        raise _fail(str(exc), 3 if exc.status_code == 403 else 2) from exc
    if as_json:
        _print(doc)
        return
    err.print(f"{doc['failing']:,} records fail {rule} at {force}; {doc['shown']} shown"
              + (f", {doc['not_visible']} not visible to {user}" if doc["not_visible"] else ""))
    t = Table("record", "type", "issued", "failing since", "why")
    for r in doc["records"]:
        t.add_row(r["rkey"], r["type"], r["issued_at"], r["failing_since"], r["why"] or "")
    out.print(t)


@quality_app.command("changes")
def changes_cmd(
    period: Annotated[str, typer.Option("--period", help="An ISO week (2025-W10) or a month (2025-03).")],
    rule: Annotated[str | None, typer.Option("--rule")] = None,
    force: ForceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """New, resolved and persisting failures in a period."""
    from .service import changes

    try:
        with get_engine(get_settings()).connect() as conn:
            doc = changes(conn, rule=rule, force=force, period=period)
    except LedsError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _print({"period": period, "rule": rule, "force": force, **doc})
        return
    out.print(f"{period}: {doc['new']:,} new, {doc['resolved']:,} resolved, {doc['persisting']:,} persisting")


@quality_app.command("nonstandard")
def nonstandard_cmd(force: ForceOpt = None, as_json: JsonOpt = False) -> None:
    """Non-standard values of open vocabularies in use, by force and source (to agree a mapping)."""
    from .service import nonstandard_values

    with get_engine(get_settings()).connect() as conn:
        rows = nonstandard_values(conn, force=force)
    if as_json:
        _print({"rows": rows})
        return
    t = Table("force", "source", "field", "value", "records")
    for r in rows:
        t.add_row(r["force"], r["source"], r["field"], r["value"], f"{r['records']:,}")
    out.print(t)


@quality_app.command("recompute")
def recompute_cmd(
    apply: Annotated[bool, typer.Option("--apply", help="Replace the counters with the recomputed figures.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every figure from the store with DuckDB and compare with the counters kept at ingest."""
    from .recompute import differences, recompute, replace

    engine = get_engine(get_settings())
    again = recompute(engine)
    diffs = differences(engine, again)
    if apply and diffs:
        replace(engine, again)
    doc = {"records": again.records, "log_entries": again.log_entries, "seconds": round(again.seconds, 2),
           "differences": diffs[:100], "difference_count": len(diffs), "applied": bool(apply and diffs)}
    if as_json:
        _print(doc)
    else:
        out.print(f"recomputed {again.records:,} records and {again.log_entries:,} log entries in "
                  f"{again.seconds:.1f} s: {len(diffs)} difference(s)" + (" (counters replaced)" if doc["applied"]
                                                                            else ""))
    if diffs and not apply:
        raise typer.Exit(1)


@quality_app.command("framework")
def framework_cmd(
    force: ForceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The national data performance framework: the league table, or one force's page with --force."""
    from .framework import MEASURES, force_page, league

    with get_engine(get_settings()).connect() as conn:
        doc: Any = force_page(conn, force) if force else {"league": league(conn)}
    if as_json:
        _print(doc)
        return
    rows = [doc["current"]] if force else doc["league"]
    t = Table("rank", "force", "pilot", "RAG", "score", *[m.id for m in MEASURES])
    for r in rows:
        t.add_row(str(r.get("rank", "")), r["force"], "yes" if r.get("pilot") else "", r["rag"],
                  "-" if r["score"] is None else f"{r['score']}",
                  *[_cell(r["measures"].get(m.id)) for m in MEASURES])
    out.print(t)


def _cell(v: dict[str, Any] | None) -> str:
    if not v or v["value"] is None:
        return "-"
    return f"{v['value']}% {v['rag']}"

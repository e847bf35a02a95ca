"""``leds report``: management information, statistics over imported open data, ad hoc
queries and saved reports (save, list, run, run the scheduled ones that are due).

Aggregates run as the local operator.  Queries and saved reports act as ``--user USERNAME``:
the relations they may read are that user's (through the access policy), and runs are
audited under their name."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leds.config import get_settings
from leds.db.engine import get_engine, write_transaction
from leds.errors import LedsError

out = Console()
err = Console(stderr=True, soft_wrap=True)  # a file:line message stays on one line
report_app = typer.Typer(help="Reports: management information, statistics, saved user reports.",
                         no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
UserOpt = Annotated[str, typer.Option("--user", help="Act as this user (their access applies; audited).")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="NAME=VALUE (repeatable); numbers stay numbers.")]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _print(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


def _table(rows: list[dict[str, Any]], title: str | None = None) -> None:
    if not rows:
        out.print("(no rows)")
        return
    t = Table(*rows[0].keys(), title=title)
    for r in rows:
        t.add_row(*[("" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in r.values()])
    out.print(t)


def _lookup(username: str) -> Any:
    from leds.access import identity
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer

    settings = get_settings()
    user = identity.get_user(get_engine(settings), username)
    if user is None or user.disabled:
        raise _fail(f"no enabled user named {username!r}")
    return Lookup(Principal.from_user(user), "audit", None, get_writer(settings).record)


def _params(items: list[str] | None) -> dict[str, Any]:
    out_: dict[str, Any] = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k.isidentifier():
            raise _fail(f"--param {item!r}: write NAME=VALUE")
        try:
            out_[k] = int(v)
        except ValueError:
            try:
                out_[k] = float(v)
            except ValueError:
                out_[k] = v
    return out_


@report_app.command("mi")
def mi_cmd(grain: Annotated[str, typer.Option(help="day, week or month")] = "week",
           since: Annotated[str | None, typer.Option(help="From this day, YYYY-MM-DD.")] = None,
           as_json: JsonOpt = False) -> None:
    """Management information: ingest, quarantine by reason, look-ups, matching, alerts, missing."""
    from .mi import management_information

    if grain not in ("day", "week", "month"):
        raise _fail("--grain is day, week or month")
    with get_engine(get_settings()).connect() as conn:
        doc = management_information(conn, grain=grain, since=since)  # type: ignore[arg-type]
    if as_json:
        _print(doc)
        return
    for key in ("ingest", "quarantine", "lookups", "matching", "alerts", "missing"):
        _table(doc[key], key)


@report_app.command("crime")
def crime_cmd(by: Annotated[str, typer.Option(help="crime_type, month, lsoa or falls_within")] = "crime_type",
              force: Annotated[str | None, typer.Option(help="police.uk force, e.g. city-of-london")] = None,
              month_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM")] = None,
              month_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM")] = None,
              as_json: JsonOpt = False) -> None:
    """Street-level crime from imported data.police.uk files, by category, month or area."""
    from .statistics import crime

    try:
        with get_engine(get_settings()).connect() as conn:
            doc = crime(conn, by=by, force=force, month_from=month_from, month_to=month_to)  # type: ignore[arg-type]
    except LedsError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _print(doc)
        return
    _table(doc["rows"], f"{doc['total']:,} crimes")


@report_app.command("stop-search")
def stop_search_cmd(force: Annotated[str | None, typer.Option(help="police.uk force, e.g. metropolitan")] = None,
                    month: Annotated[str | None, typer.Option(help="YYYY-MM")] = None,
                    ethnicity: Annotated[str, typer.Option(help="officer or self")] = "officer",
                    as_json: JsonOpt = False) -> None:
    """Stop and search by ethnicity: outcome rates, ratios, disparity (with a population) and 95% intervals."""
    from .statistics import stop_search

    try:
        with get_engine(get_settings()).connect() as conn:
            doc = stop_search(conn, force=force, month=month, ethnicity=ethnicity)  # type: ignore[arg-type]
    except LedsError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        _print(doc)
        return
    _table([{"group": g["group"], "searches": g["searches"], "arrest rate": g["arrest_rate"],
             "arrest 95% CI": g["arrest_rate_ci95"], "ratio vs White": (g["arrest_rate_ratio"] or {}).get("value"),
             "ratio 95% CI": (g["arrest_rate_ratio"] or {}).get("ci95")} for g in doc["groups"]],
           f"{doc['total']:,} searches")
    err.print("What this data cannot show:\n" + "\n".join(f"- {t}" for t in doc["cannot_show"]))


@report_app.command("query")
def query_cmd(query: Annotated[str, typer.Argument(help="One DuckDB SELECT over the published relations.")],
              user: UserOpt, param: ParamOpt = None, as_json: JsonOpt = False) -> None:
    """Run a query as USER (refused if it is not a read, or reaches data USER may not see)."""
    from .saved import run_query

    lk = _lookup(user)
    try:
        with get_engine(get_settings()).connect() as conn:
            doc = run_query(conn, lk, query, _params(param))
    except LedsError as exc:
        raise _fail(str(exc), 3 if exc.status_code == 403 else 2) from exc
    if as_json:
        _print(doc)
        return
    _table([dict(zip(doc["columns"], r, strict=True)) for r in doc["rows"]])


@report_app.command("save")
def save_cmd(user: UserOpt, name: Annotated[str, typer.Option(help="The report's name.")],
             query: Annotated[str, typer.Option(help="One DuckDB SELECT; parameters as $name.")],
             param: ParamOpt = None,
             schedule: Annotated[str, typer.Option(help="none, daily or weekly")] = "none",
             as_json: JsonOpt = False) -> None:
    """Save a report for USER, optionally scheduled."""
    from .saved import save

    lk = _lookup(user)
    try:
        with get_engine(get_settings()).connect() as conn, write_transaction(conn):
            rep = save(conn, lk.principal, name=name, query=query, params=_params(param), schedule=schedule)
    except LedsError as exc:
        raise _fail(str(exc), 3 if exc.status_code == 403 else 2) from exc
    if as_json:
        _print(rep)
    else:
        out.print(f"saved report {rep['id']}: {rep['name']}")


@report_app.command("list")
def list_cmd(user: UserOpt, as_json: JsonOpt = False) -> None:
    """USER's saved reports."""
    from .saved import mine

    lk = _lookup(user)
    with get_engine(get_settings()).connect() as conn:
        rows = mine(conn, lk.principal)
    if as_json:
        _print({"reports": rows})
        return
    _table([{k: r[k] for k in ("id", "name", "schedule", "next_run_at")} for r in rows])


@report_app.command("run")
def run_cmd(report_id: Annotated[int, typer.Argument(min=1)], user: UserOpt, param: ParamOpt = None,
            as_json: JsonOpt = False) -> None:
    """Run a saved report now as USER; the result goes to USER's alerts inbox."""
    from .saved import run_saved

    lk = _lookup(user)
    try:
        doc = run_saved(get_engine(get_settings()), lk, report_id, _params(param))
    except LedsError as exc:
        raise _fail(str(exc), 3 if exc.status_code == 403 else 2) from exc
    if as_json:
        _print(doc)
        return
    if doc["status"] != "ok":
        raise _fail(f"{doc['status']}: {doc.get('error')}", 3 if doc["status"] == "refused" else 2)
    _table([dict(zip(doc["columns"], r, strict=True)) for r in doc["rows"]])
    err.print("delivered to the alerts inbox" if doc["delivered"] else "not delivered (no alerts domain)")


@report_app.command("run-due")
def run_due_cmd(as_json: JsonOpt = False) -> None:
    """Run every scheduled report that is due, each as its owner (for cron or a timer)."""
    from leds.access import identity
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer

    from .saved import run_due

    settings = get_settings()
    engine = get_engine(settings)

    def lookup_for(name: str) -> Lookup | None:
        u = identity.get_user(engine, name)
        return None if u is None or u.disabled else Lookup(Principal.from_user(u), "audit", None,
                                                            get_writer(settings).record)

    done = run_due(engine, lookup_for)
    if as_json:
        _print({"runs": done})
    else:
        out.print(f"ran {len(done)} scheduled report(s)")

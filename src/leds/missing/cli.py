"""``leds missing``: the register from the command line, as the local operator (audited):
``live`` (every live episode), ``stats``, ``show`` (one episode with its history) and
``timers`` (overdue reviews and return interviews; ``--alert`` tells the coordinators)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.config import Settings, get_settings
from leds.db.engine import get_engine, write_transaction
from leds.errors import LedsError

PURPOSE = "missing_register"
missing_app = typer.Typer(help="The National Register of Missing Persons.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.add_typer(missing_app, name="missing")


def _operator(settings: Settings) -> tuple[Lookup, str]:
    actor = settings.actor or f"os:{getpass.getuser()}"
    return Lookup(Principal.system(), PURPOSE, None, lambda e: 0), actor


def _audit(settings: Settings, actor: str, kind: str, detail: dict[str, Any], subjects: tuple[str, ...] | list[str] = ()) -> None:
    from leds.audit import AuditEvent, get_writer

    get_writer(settings).record(AuditEvent(action="consultation", actor=actor, purpose=PURPOSE,
                                           subjects=tuple(subjects)[:1000], detail={"kind": kind, **detail}))


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _fail(exc: LedsError) -> None:
    err.print(f"[red]error:[/red] {escape(exc.message)}")
    raise typer.Exit(2)


@missing_app.command("live")
def live_cmd(json_out: Annotated[bool, typer.Option("--json", help="Print {\"episodes\": [...]}.")] = False,
             force: Annotated[str | None, typer.Option(help="Only this reporting force.")] = None,
             risk: Annotated[str | None, typer.Option(help="very_low, low, medium or high.")] = None) -> None:
    """Every live episode, newest first."""
    from pydantic import ValidationError

    from .models import LiveFilters
    from .service import live

    settings = get_settings()
    lk, actor = _operator(settings)
    episodes: list[dict[str, Any]] = []
    try:
        page = 1
        while True:
            f = LiveFilters(force=force.upper() if force else None, risk=risk, page=page, per_page=200)  # type: ignore[arg-type]
            with get_engine(settings).connect() as conn:
                ans = live(conn, lk, f)
            episodes += ans["episodes"]
            if page * 200 >= ans["total"]:
                break
            page += 1
    except ValidationError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc.errors()[0]['msg']))}")
        raise typer.Exit(2) from None
    except LedsError as exc:
        _fail(exc)
    _audit(settings, actor, "missing live", {"returned": len(episodes)}, [e["episode_id"] for e in episodes])
    if json_out:
        _print_json({"episodes": episodes})
        return
    t = Table("episode", "person", "force", "risk", "reported", "hours", "repeat")
    for e in episodes:
        t.add_row(escape(e["episode_id"]), escape(e["name"] or e["person_id"]), e["force"], e["risk"],
                  e["reported_at"], str(e["hours_missing"]), "yes" if e["repeat"] else "")
    out.print(t)
    out.print(f"{len(episodes)} live episode{'s' if len(episodes) != 1 else ''}")


@missing_app.command("stats")
def stats_cmd(json_out: Annotated[bool, typer.Option("--json")] = False,
              csv_out: Annotated[bool, typer.Option("--csv", help="Every table as CSV.")] = False) -> None:
    """Episodes, people, found; by force, risk, age band and month; repeat rates; time missing;
    return-interview timeliness."""
    from .stats import stats, stats_csv

    settings = get_settings()
    lk, actor = _operator(settings)
    with get_engine(settings).connect() as conn:
        s = stats(conn, lk)
    _audit(settings, actor, "missing stats", {"episodes": s["episodes"]})
    if json_out:
        _print_json(s)
    elif csv_out:
        sys.stdout.write(stats_csv(s))
    else:
        out.print(f"episodes {s['episodes']:,} · live {s['live']:,} · people {s['people']:,} · found {s['found']:,}"
                  f" · repeat rate {s['repeat_rate']:.1%}")
        t = Table("force", "episodes", "live", "found")
        for r in s["by_force"]:
            t.add_row(r["key"], f"{r['episodes']:,}", f"{r['live']:,}", f"{r['found']:,}")
        out.print(t)


@missing_app.command("show")
def show_cmd(episode_id: str, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One episode with its history (who, when, why), sightings, protocols and timers."""
    from .service import episode

    settings = get_settings()
    lk, actor = _operator(settings)
    try:
        with get_engine(settings).connect() as conn:
            ans = episode(conn, lk, episode_id)
    except LedsError as exc:
        _fail(exc)
    _audit(settings, actor, "missing episode", {}, [episode_id])
    if json_out:
        _print_json(ans)
        return
    e = ans["episode"]
    out.print(f"[bold]{escape(e['episode_id'])}[/bold] {escape(e['name'] or e['person_id'])}: {e['status']}, "
              f"risk {e['risk']}, reported {e['reported_at']}")
    t = Table("issued", "status", "risk", "by", "why")
    for h in ans["history"]:
        t.add_row(h["issued_at"], h["status"] or h["op"], h["risk"] or "", escape(h["recorded_by"] or h["source"]),
                  escape(h["rationale"] or ""))
    out.print(t)


@missing_app.command("timers")
def timers_cmd(alert: Annotated[bool, typer.Option("--alert", help="Tell each force's coordinators.")] = False,
               json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Overdue risk reviews and return home interviews, every force."""
    from .timers import _overdue, alert_overdue

    settings = get_settings()
    _, actor = _operator(settings)
    with get_engine(settings).connect() as conn:
        if alert:
            with write_transaction(conn):
                n = alert_overdue(conn)
            items: list[dict[str, Any]] = []
        else:
            items = _overdue(conn, Principal.system(), None)
            n = len(items)
    _audit(settings, actor, "missing timers", {"overdue": n, "alerted": alert})
    if json_out:
        _print_json({"overdue": items} if not alert else {"alerted": n})
        return
    if alert:
        out.print(f"{n} overdue item{'s' if n != 1 else ''}; coordinators told")
        return
    t = Table("episode", "force", "timer", "due")
    for o in items:
        t.add_row(escape(o["episode_id"]), o["force"], o["kind"], o["due"])
    out.print(t)

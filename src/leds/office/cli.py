"""``leds maturity``, ``leds commissioning``, ``leds benefits``, ``leds objectives`` and
``leds office``: the data office's portal from the command line.  Commands run as the local
operator acting for the data office (the ``national_data_office_analyst`` role, named by
``LEDS_ACTOR`` or the OS user)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console()
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FwOpt = Annotated[str, typer.Option("--framework", help="Framework id.")]

maturity_app = typer.Typer(help="Data maturity: frameworks, rounds, targets and the national dashboard.",
                           no_args_is_help=True)
commissioning_app = typer.Typer(help="Commissioning requests, the prioritisation model and duplicates.",
                                no_args_is_help=True)
benefits_app = typer.Typer(help="Benefit profiles and the measures leds computes.", no_args_is_help=True)
objectives_app = typer.Typer(help="Delivery objectives, risks and the quarterly report.", no_args_is_help=True)
office_app = typer.Typer(help="The data office's services catalogue.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(maturity_app, name="maturity")
    app.add_typer(commissioning_app, name="commissioning")
    app.add_typer(benefits_app, name="benefits")
    app.add_typer(objectives_app, name="objectives")
    app.add_typer(office_app, name="office")


def _operator() -> Any:
    from leds.access.policy import Principal
    from leds.config import get_settings

    s = get_settings()
    return Principal(id=s.actor or f"os:{getpass.getuser()}", roles=frozenset({"national_data_office_analyst"}))


def _engine() -> Any:
    from leds.config import get_settings
    from leds.db.engine import get_engine

    return get_engine(get_settings())


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _print(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(f"{path}: not JSON ({e})") from None


def _write(fn: Any) -> Any:
    from leds.errors import LedsError

    try:
        from .maturity import writing

        with writing(_engine()) as conn:
            return fn(conn)
    except LedsError as e:
        raise _fail(str(e), 1) from None


# -- maturity --------------------------------------------------------------------------------
@maturity_app.command("schema")
def schema_cmd(name: Annotated[str, typer.Argument(help="framework or assessment")] = "assessment") -> None:
    """Print the JSON Schema of a framework or of an assessment (a round's file)."""
    from .maturity import schemas

    found = schemas()
    if name not in found:
        raise _fail(f"no schema {name}: choose {' or '.join(found)}")
    _print(found[name])


@maturity_app.command("frameworks")
def frameworks_cmd(as_json: JsonOpt = False) -> None:
    """The frameworks, shipped and imported."""
    from .maturity import list_frameworks

    with _engine().connect() as conn:
        rows = list_frameworks(conn)
    if as_json:
        _print({"frameworks": rows})
        return
    t = Table("id", "version", "title", "questions", "builtin")
    for r in rows:
        t.add_row(r["id"], str(r["version"]), r["title"], str(r["questions"]), "yes" if r["builtin"] else "")
    out.print(t)


@maturity_app.command("framework")
def framework_cmd(file: Annotated[Path, typer.Argument(help="A framework as JSON (leds maturity schema framework).")]
                  ) -> None:
    """Publish a framework (or a new version of one) from a file."""
    from .maturity import save_framework

    body = _read_json(file)
    fw = _write(lambda c: save_framework(c, _operator(), body))
    out.print(f"published {fw.id} version {fw.version}: {len(fw.questions)} questions")


@maturity_app.command("import")
def import_cmd(file: Annotated[Path, typer.Argument(help="A round as JSON (leds maturity schema assessment).")],
               as_json: JsonOpt = False) -> None:
    """Load a force's round from a file: every level above 0 needs its evidence."""
    from .maturity import import_round

    body = _read_json(file)
    r = _write(lambda c: import_round(c, _operator(), body))
    if as_json:
        _print(r)
        return
    out.print(f"{r['force']} round {r['label']} ({r['framework']} v{r['framework_version']}): "
              f"{r['answered']} of {r['questions']} answered, {r['status']}")


@maturity_app.command("target")
def target_cmd(force: str, topic: str, level: int,
               by: Annotated[str, typer.Option("--by", help="By this date (YYYY-MM-DD).")],
               framework: FwOpt = "force-data-strategy") -> None:
    """Set a force's target level in a topic."""
    from pydantic import ValidationError

    from .maturity import set_target
    from .models import Target

    try:
        t = Target(framework=framework, force=force, topic=topic, level=level, by_date=by)
    except ValidationError as e:
        raise _fail(e.errors()[0]["msg"]) from None
    _write(lambda c: set_target(c, _operator(), t))
    out.print(f"target set: {force} {topic} level {level} by {by}")


@maturity_app.command("dashboard")
def dashboard_cmd(framework: FwOpt = "force-data-strategy", as_json: JsonOpt = False) -> None:
    """The national dashboard: each topic's national mean, spread of forces and change."""
    from leds.errors import LedsError

    from .maturity import dashboard

    try:
        with _engine().connect() as conn:
            d = dashboard(conn, framework)
    except LedsError as e:
        raise _fail(str(e), 1) from None
    if as_json:
        _print(d)
        return
    out.print(f"{d['framework']} v{d['version']}: {len(d['forces'])} forces "
              f"({d['change']['forces_with_two_rounds']} with two rounds)")
    levels = [str(s["level"]) for s in d["scale"]]
    t = Table("topic", "national mean", "change", *[f"at {lv}" for lv in levels])
    for topic in d["topics"]:
        i = topic["id"]
        mean, change = d["national"]["topics"][i], d["change"]["topics"][i]
        t.add_row(topic["title"], "-" if mean is None else f"{mean:.2f}",
                  "-" if change is None else f"{change:+.2f}", *[str(d["spread"][i][lv]) for lv in levels])
    out.print(t)


# -- commissioning -------------------------------------------------------------------------
@commissioning_app.command("list")
def requests_cmd(status: Annotated[str | None, typer.Option("--status")] = None, as_json: JsonOpt = False) -> None:
    """Requests, newest first."""
    from .commissioning import list_requests

    with _engine().connect() as conn:
        rows = list_requests(conn, status=status)
    if as_json:
        _print({"requests": rows})
        return
    t = Table("ref", "title", "portfolio", "priority", "status", "category")
    for r in rows:
        t.add_row(r["ref"], r["title"], r["portfolio"], r["priority"], r["status"], r["category"] or "")
    out.print(t)


@commissioning_app.command("similar")
def similar_cmd(text: Annotated[str, typer.Argument(help="A draft request's title and problem.")],
                as_json: JsonOpt = False) -> None:
    """The existing requests and services most like a draft request."""
    from leds.config import get_settings

    from .commissioning import similar

    with _engine().connect() as conn:
        rows = similar(conn, text, "", home=get_settings().home)
    if as_json:
        _print({"similar": rows})
        return
    t = Table("kind", "id", "title", "score", "likely duplicate")
    for r in rows:
        t.add_row(r["kind"], r["id"], r["title"], f"{r['score']:.2f}", "yes" if r["likely_duplicate"] else "")
    out.print(t)


# -- benefits and objectives -----------------------------------------------------------------
@benefits_app.command("list")
def benefits_cmd(as_json: JsonOpt = False) -> None:
    """Benefit profiles, latest measurement and progress to target."""
    from .benefits import list_benefits

    with _engine().connect() as conn:
        rows = list_benefits(conn)
    if as_json:
        _print({"benefits": rows})
        return
    t = Table("ref", "title", "baseline", "latest", "target", "progress", "RAG")
    for b in rows:
        t.add_row(b["ref"], b["title"], f"{b['baseline']:g}", "-" if b["latest"] is None else f"{b['latest']:g}",
                  f"{b['target']:g}", "-" if b["progress"] is None else f"{b['progress']}%", b["rag"])
    out.print(t)


@benefits_app.command("refresh")
def refresh_cmd() -> None:
    """Record today's value of every measure leds computes."""
    from .benefits import refresh

    rows = _write(lambda c: refresh(c, _operator().id))
    for r in rows:
        out.print(f"{r['ref']} {r['measure']} = {r['value']:g}")


@objectives_app.command("list")
def objectives_cmd(as_json: JsonOpt = False) -> None:
    """Objectives by strand, with RAG and open risks."""
    from .objectives import list_objectives

    with _engine().connect() as conn:
        rows = list_objectives(conn)
    if as_json:
        _print({"objectives": rows})
        return
    t = Table("ref", "strand", "title", "owner", "RAG", "open risks")
    for o in rows:
        t.add_row(o["ref"], o["strand"], o["title"], o["owner"], o["rag"],
                  str(sum(1 for r in o["risks"] if r["status"] == "open")))
    out.print(t)


@objectives_app.command("report")
def report_cmd(quarter: Annotated[str | None, typer.Option("--quarter", help="e.g. 2026-Q3")] = None,
               as_json: JsonOpt = False) -> None:
    """The quarterly report in the delivery plan's shape (Markdown)."""
    from .objectives import quarterly_report

    with _engine().connect() as conn:
        r = quarterly_report(conn, quarter)
    if as_json:
        _print(r)
    else:
        typer.echo(r["markdown"])


@office_app.command("catalogue")
def catalogue_cmd(as_json: JsonOpt = False) -> None:
    """The services catalogue, with status and the portal-coverage measure."""
    from .catalogue import SERVICES, coverage

    if as_json:
        _print({"services": SERVICES, "coverage": coverage()})
        return
    t = Table("service", "group", "status")
    for s in SERVICES:
        t.add_row(s["title"], s["group"], s["status"].replace("_", " "))
    out.print(t)
    c = coverage()
    out.print(f"key services available through the portal: {c['available']} of {c['key']} ({c['percent']}%)")


@office_app.command("seed")
def seed_cmd() -> None:
    """Add the plan's example benefit profiles and delivery objectives (those not there yet)."""
    from . import benefits, objectives

    def go(c: Any) -> tuple[int, int]:
        p = _operator()
        return benefits.seed_examples(c, p), objectives.seed_examples(c, p)

    b, o = _write(go)
    out.print(f"added {b} benefit profiles and {o} objectives")

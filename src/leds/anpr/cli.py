"""``leds anpr``: ingest, train, profile, convoys, cloned, generate.

The commands run as the local operator (LEDS_ACTOR, or ``os:<login>``) under the ``anpr``
action; each query states a purpose (``--purpose``, default intelligence development with
``--reason``) and is audited like a check.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)
out = Console()

anpr_app = typer.Typer(help="ANPR Find & Profile: reads, trips, courier profiles, convoys, cloned plates.",
                       no_args_is_help=True)

Purpose = Annotated[str, typer.Option(help="Why you are querying reads (a purpose code).")]
Reason = Annotated[str, typer.Option(help="The operation or case reference.")]
Engine = Annotated[str, typer.Option("--engine", help="duckdb (one machine) or spark.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Since = Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"],
                                                 help="Only reads from this day on (default: all kept).")]


def _day(since: datetime | None) -> str | None:
    return since.date().isoformat() if since else None


def register(app: typer.Typer) -> None:
    app.add_typer(anpr_app, name="anpr")


def _ctx() -> tuple[Any, Any]:
    import leds.anpr.tables  # noqa: F401  (tables on the metadata)
    from leds.config import get_settings
    from leds.db.engine import get_engine

    settings = get_settings()
    return settings, get_engine(settings)


def _lookup(settings: Any, purpose: str, reason: str) -> Any:
    """The local operator, with the ANPR action (an analyst's), audited to the store's trail."""
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer

    actor = settings.actor or f"os:{getpass.getuser()}"
    who = Principal(id=actor, roles=frozenset({"intelligence_analyst"}))
    return Lookup(who, purpose, reason, get_writer(settings).record)


def _run(fn: Any) -> Any:
    from leds.errors import LedsError

    try:
        return fn()
    except LedsError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2 if exc.status_code != 404 else 3) from exc


@anpr_app.command("ingest")
def ingest_cmd(
    files: Annotated[list[Path], typer.Argument(help="reads-YYYY-MM-DD.csv (or .parquet) files.")],
    cameras: Annotated[Path, typer.Option("--cameras", help="cameras.csv (camera sites).", exists=True,
                                          dir_okay=False)],
    as_json: AsJson = False,
) -> None:
    """Load camera sites and days of reads; a file already loaded is skipped; bad reads are kept aside."""
    from .ingest import ingest

    settings, engine = _ctx()
    for f in files:
        if not f.is_file():
            err.print(f"[red]error:[/] {f}: no such file")
            raise typer.Exit(2)
    with err.status(f"loading {len(files)} file(s)"):
        res = _run(lambda: ingest(settings, engine, cameras, files))
    if as_json:
        print(json.dumps(res))
        return
    t = Table("file", "status", "reads", "kept aside", "by reason")
    for r in res["files"]:
        t.add_row(r["name"], r["status"], str(r["reads"]), str(r["rejected"]),
                  ", ".join(f"{k} {v}" for k, v in sorted(r["by_reason"].items())))
    out.print(t)
    out.print(f"{res['cameras']} cameras; {res['loaded']} reads loaded, {res['rejected']} kept aside"
              + (f"; {len(res['purged_days'])} expired day(s) deleted" if res["purged_days"] else ""))


@anpr_app.command("train")
def train_cmd(
    labels: Annotated[Path, typer.Option("--labels", help="labels.csv: vrm,label (1 courier, 0 cleared).",
                                         exists=True, dir_okay=False)],
    routes: Annotated[Path | None, typer.Option("--routes", help="routes.json (default: the last routes given).",
                                                exists=True, dir_okay=False)] = None,
    engine_name: Engine = "duckdb",
    purpose: Purpose = "intelligence_development",
    reason: Reason = "ANPR courier model training",
    as_json: AsJson = False,
) -> None:
    """Fit a new version of the courier model from a few labels; prints its measured quality."""
    from . import service

    settings, engine = _ctx()
    lk = _lookup(settings, purpose, reason)
    card = _run(lambda: service.train(settings, engine, lk, labels,
                                      service.load_routes(routes) if routes else service.known_routes(settings),
                                      engine_name))
    if as_json:
        print(json.dumps(card))
        return
    m = card["metrics"]
    out.print(f"model v{card['version']} saved to {card['path']}")
    out.print(f"labels: {m['labelled']}")
    out.print(f"out-of-fold average precision: logistic regression {m['choice']['logistic_regression_ap']}, "
              f"gradient boosting {m['choice']['gradient_boosting_ap']} (used: {m['choice']['used']})")
    out.print(f"calibration: Brier {m['calibration']['brier']}; " + "; ".join(
        f"{b['bin']}: n={b['n']} mean {b['mean_score']} observed {b['observed']}" for b in m["calibration"]["bins"]))
    out.print(f"operating threshold {card['threshold']} ({m['threshold_rule']})")


@anpr_app.command("profile")
def profile_cmd(
    routes: Annotated[Path, typer.Option("--routes", help="routes.json.", exists=True, dir_okay=False)],
    route: Annotated[str | None, typer.Option("--route", help="Only this route.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10_000, help="How many vehicles per route.")] = 10,
    engine_name: Engine = "duckdb",
    since: Since = None,
    purpose: Purpose = "intelligence_development",
    reason: Reason = "ANPR route profiling",
    as_json: AsJson = False,
) -> None:
    """The vehicles whose use of each known route looks most like a courier's, best first, with reasons."""
    from . import service

    settings, engine = _ctx()
    lk = _lookup(settings, purpose, reason)
    res = _run(lambda: service.profile(settings, engine, lk, service.load_routes(routes), route, top, engine_name,
                                       _day(since)))
    if as_json:
        print(json.dumps(res))
        return
    for name, rows in res["routes"].items():
        t = Table("vrm", "score", "reasons", title=name)
        for r in rows:
            t.add_row(r["vrm"], f"{r['score']:.3f}", "; ".join(r["reasons"]))
        out.print(t)


@anpr_app.command("convoys")
def convoys_cmd(
    vrm: Annotated[str, typer.Option("--vrm", help="The vehicle whose companions are wanted.")],
    window: Annotated[int, typer.Option(min=5, max=1800, help="Seconds apart at each camera.")] = 120,
    cameras: Annotated[int, typer.Option(min=2, max=50, help="Cameras in order, at least.")] = 3,
    since: Since = None,
    purpose: Purpose = "intelligence_development",
    reason: Reason = "ANPR convoy analysis",
    as_json: AsJson = False,
) -> None:
    """Vehicles that travel with VRM: at least CAMERAS cameras in order, within WINDOW seconds."""
    from . import service

    settings, _ = _ctx()
    lk = _lookup(settings, purpose, reason)
    res = _run(lambda: service.convoys(settings, lk, vrm, window, cameras, _day(since)))
    if as_json:
        print(json.dumps(res))
        return
    t = Table("vrm", "occasions", "cameras", "evidence", title=f"travelling with {res['vrm']}")
    for c in res["convoys"]:
        t.add_row(c["vrm"], str(c["occasions"]), str(c["cameras"]), "\n".join(c["evidence"][:3]))
    out.print(t)


@anpr_app.command("cloned")
def cloned_cmd(
    since: Since = None,
    purpose: Purpose = "intelligence_development",
    reason: Reason = "ANPR cloned plate detection",
    as_json: AsJson = False,
) -> None:
    """Plates seen at two places no vehicle could travel between in the time."""
    from . import service

    settings, _ = _ctx()
    lk = _lookup(settings, purpose, reason)
    res = _run(lambda: service.cloned(settings, lk, since=_day(since)))
    if as_json:
        print(json.dumps(res))
        return
    t = Table("vrm", "evidence", title="possibly cloned plates")
    for p in res["plates"]:
        t.add_row(p["vrm"], "\n".join(p["evidence"][:3]))
    out.print(t)


@anpr_app.command("generate")
def generate_cmd(
    out_dir: Annotated[Path, typer.Argument(help="Folder for cameras.csv, reads-*.csv, routes.json, labels.csv.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    vehicles: Annotated[int, typer.Option(min=100, max=2_000_000, help="Background vehicles.")] = 3000,
) -> None:
    """Write a hard synthetic week (planted couriers among vans, shift workers, hauliers, convoys, clones)."""
    from .synth import generate

    s = generate(out_dir, seed=seed, vehicles=vehicles)
    out.print(f"{s['reads']} reads on {s['cameras']} cameras, {s['n_vehicles']} vehicles, routes "
              f"{', '.join(s['routes'])}, week of {s['start']} -> {out_dir}")

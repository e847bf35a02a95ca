"""``leds opendata``: data.police.uk files in (``import``).  Publishing is added beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from leds.config import get_settings
from leds.db.engine import get_engine

out = Console()
err = Console(stderr=True, soft_wrap=True)  # a file:line message stays on one line
opendata_app = typer.Typer(help="Open data: import data.police.uk files (street crime, outcomes, stop and search).",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(opendata_app, name="opendata")


@opendata_app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="data.police.uk CSV files (YYYY-MM-force-street.csv, ...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import data.police.uk CSV files, idempotently: good rows are kept, bad ones named by file and line.
    Exit code 1 when any row or file was rejected."""
    from .importer import import_file

    engine = get_engine(get_settings())
    results = []
    for f in files:
        r = import_file(engine, f)
        results.append(r)
        if not as_json:
            state = "unchanged" if r.unchanged else f"{r.rows:,} rows"
            err.print(f"{escape(str(f))}: {r.kind or '?'} {r.batch or ''}: {state}"
                      + (f", {r.rejected:,} rejected" if r.rejected else "") + f" ({r.seconds:.2f} s)")
            for e in r.errors[:20]:
                err.print(f"  [yellow]{escape(e)}[/]")
            if len(r.errors) > 20:
                err.print(f"  ... and {len(r.errors) - 20:,} more")
    if as_json:
        typer.echo(json.dumps({"files": [r.as_dict() for r in results]}, indent=2))
    if any(r.errors for r in results):
        raise typer.Exit(1)


@opendata_app.command("publish")
def publish_cmd(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    kind: Annotated[str, typer.Option(help="street, outcomes or stop-and-search.")],
    out: Annotated[Path, typer.Option(help="Directory for the CSV files (and points.csv).")],
    force: Annotated[str | None, typer.Option(help="One force: a code (WYP) or police.uk name.")] = None,
    min_addresses: Annotated[int, typer.Option(min=2, max=1000, help="Addresses each map point covers.")] = 8,
    min_cell: Annotated[int, typer.Option(min=2, max=1000, help="Smallest class of rows released.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Publish a month in data.police.uk's format (see docs/sharing.md): imported months as they
    came, leds' own events snapped to anonymous points, with small cells suppressed."""
    import getpass

    from leds.audit import get_writer
    from leds.errors import LedsError

    from .publish import publish, publish_key

    settings = get_settings()
    try:
        with get_engine(settings).connect() as conn:
            r = publish(conn, publish_key(settings), month=month, kind=kind, out=out, force=force,
                        min_addresses=min_addresses, min_cell=min_cell, audit=get_writer(settings).record,
                        actor=settings.actor or f"os:{getpass.getuser()}")
    except LedsError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(r.as_dict(), indent=2))
        return
    for f in r.files:
        out_line = f"{escape(str(out / f['name']))}: {f['rows']:,} rows ({f['source']})"
        if f.get("suppressed") or f.get("generalised"):
            out_line += f"; {f.get('generalised', 0):,} generalised, {f.get('suppressed', 0):,} left out"
        err.print(out_line)
    err.print(f"{r.rows:,} rows in {r.seconds:.2f} s; {r.points:,} map points of at least {r.min_addresses} addresses")

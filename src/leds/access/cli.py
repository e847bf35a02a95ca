"""``leds systems``: machine accounts for force systems."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leds.config import get_settings
from leds.db.engine import get_engine
from leds.ingest.pipeline import utcnow

from . import systems

out = Console()
err = Console(stderr=True)
systems_app = typer.Typer(help="Machine accounts for force systems that POST updategrams.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(systems_app, name="systems")


@systems_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A stable name for the sending system, e.g. wyp-niche.")],
    force: Annotated[str, typer.Option(help="The force code this system may submit for.")],
) -> None:
    """Create an account and print its bearer token (shown once, never stored)."""
    try:
        account, token = systems.create(get_engine(get_settings()), name, force, utcnow())
    except systems.AccountError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    err.print(f"created {account.name} for {account.force}. The token is shown once; keep it in a secret store:")
    typer.echo(token)


@systems_app.command("list")
def list_cmd() -> None:
    """List system accounts."""
    t = Table("name", "force", "status")
    for a in systems.list_all(get_engine(get_settings())):
        t.add_row(a.name, a.force, "disabled" if a.disabled else "active")
    out.print(t)


@systems_app.command("disable")
def disable(name: Annotated[str, typer.Argument()]) -> None:
    """Disable an account; its token stops working at once."""
    try:
        systems.disable(get_engine(get_settings()), name)
    except systems.AccountError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    out.print(f"disabled {name}")

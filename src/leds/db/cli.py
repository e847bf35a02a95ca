"""``leds db``: the store's schema version."""

from __future__ import annotations

import typer

from leds.config import get_settings

from .engine import get_engine
from .migrate import current_revision, head_revision

db_app = typer.Typer(help="The store: where it is and its schema version.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Create or migrate the store to the current schema (every command also does this)."""
    settings = get_settings()
    engine = get_engine(settings)
    typer.echo(f"{engine.url.render_as_string(hide_password=True)} is at revision {current_revision(engine)}")


@db_app.command("status")
def status() -> None:
    """Show which store is in use and its schema revision."""
    settings = get_settings()
    engine = get_engine(settings, migrate=False)
    typer.echo(f"store: {engine.url.render_as_string(hide_password=True)}")
    typer.echo(f"home:  {settings.home}")
    typer.echo(f"schema revision: {current_revision(engine)} (code expects {head_revision()})")

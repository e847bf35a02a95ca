"""``leds digest`` and ``leds rebuild``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leds.config import get_settings
from leds.db.engine import get_engine

from .state import rebuild, state_digest

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command("digest")
    def digest_cmd() -> None:
        """Print one hex digest of the projected state (independent of arrival order)."""
        typer.echo(state_digest(get_engine(get_settings())))

    @app.command("rebuild")
    def rebuild_cmd() -> None:
        """Replay the log into fresh projections and print the resulting digest."""
        engine = get_engine(get_settings())
        with Progress(TextColumn("[bold]rebuild"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("rebuild", total=None)
            report = rebuild(engine, on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        err.print(f"replayed {report.replayed:,} of {report.log_entries:,} log entries"
                  + (f"; {report.erased:,} belong to erased records" if report.erased else ""))
        typer.echo(state_digest(engine))

"""``leds serve``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
        workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (one per core is a good start).")] = 1,
        prewarm: Annotated[bool, typer.Option(
            help="Before serving, read the tables that look-ups use into the OS page cache (SQLite; up to half "
                 "the memory available), so the first checks do not wait on the disk.")] = True,
    ) -> None:
        """Serve the API and the web app over HTTP (uvicorn)."""
        import uvicorn

        from leds.config import use_profile
        from leds.db.engine import dispose_all, get_engine

        # The serving profile (config.SERVE_PROFILE) for this process and uvicorn's workers.
        engine = get_engine(use_profile("serve"))  # migrates the store once, before workers start and race to do it
        if prewarm and engine.dialect.name == "sqlite":
            _prewarm(engine)
        # Close the connections that migration and prewarm used, before uvicorn starts workers.
        dispose_all()
        typer.echo(f"leds is serving on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
        uvicorn.run("leds.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)


def _prewarm(engine: Engine) -> None:
    from rich.console import Console

    from leds.db.prewarm import prewarm

    console = Console(stderr=True)
    with console.status("prewarming the look-up tables") as status:
        report = prewarm(engine, on_btree=lambda name, _size, done: status.update(
            f"prewarming the look-up tables: {done / 2**20:,.0f} MiB read, {name}"))
    note = f"; left cold (past the memory budget): {', '.join(report.skipped)}" if report.skipped else ""
    console.print(f"prewarmed {report.bytes / 2**20:,.0f} MiB of look-up tables in {report.seconds:.1f} s{note}")

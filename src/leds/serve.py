"""``leds serve``."""

from __future__ import annotations

import os
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

        from leds.config import get_settings
        from leds.db.engine import dispose_all, get_engine

        engine = get_engine(get_settings())  # migrates the store once, before workers start and race to do it
        if prewarm and engine.dialect.name == "sqlite":
            _prewarm(engine)
        # A connection per concurrent request, 12 kept per process, each with a 48 MiB page
        # cache (576 MiB per process when all are full): pages SQLite holds itself are not
        # read again from the OS (at 1M persons, 30 s of person checks gave 129 /s with 16 MiB
        # per connection and 176 /s with 64 MiB, docs/performance.md).  The OS page cache is
        # filled by the prewarm above.
        os.environ.setdefault("LEDS_SQLITE_CACHE_MB", "48")
        os.environ.setdefault("LEDS_SQLITE_POOL", "12")
        # Look-ups read scattered rows: no readahead on the store's file (see db.engine).
        os.environ.setdefault("LEDS_SQLITE_RANDOM_READS", "1")
        # Handler threads per process (see leds.app): a few, not anyio's 40.
        os.environ.setdefault("LEDS_SERVE_THREADS", "4")
        # The engine above (migration, prewarm) was made before these settings: close it, so
        # the one that serves (in this process, with one worker) is made with them.
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

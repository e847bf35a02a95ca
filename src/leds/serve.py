"""``leds serve``."""

from __future__ import annotations

import os
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
        workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (one per core is a good start).")] = 1,
    ) -> None:
        """Serve the API and the web app over HTTP (uvicorn)."""
        import uvicorn

        from leds.config import get_settings
        from leds.db.engine import get_engine

        get_engine(get_settings())  # migrates the store once, before workers start and race to do it
        # A connection per concurrent request: a small page cache each (the OS caches the file).
        os.environ.setdefault("LEDS_SQLITE_CACHE_MB", "16")
        typer.echo(f"leds is serving on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
        uvicorn.run("leds.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning",
                    access_log=False)

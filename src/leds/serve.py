"""``leds serve``."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    ) -> None:
        """Serve the API (and, later, the web app) over HTTP."""
        import uvicorn

        from leds.app import create_app

        typer.echo(f"leds is serving on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
        uvicorn.run(create_app(), host=host, port=port, log_level="info")

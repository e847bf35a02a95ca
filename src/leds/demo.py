"""``leds demo``: generate a national sample, ingest it, and serve the service."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)

SIZES = {"small": 5_000, "default": 20_000, "large": 200_000, "national": 1_000_000}


def create_demo_accounts(settings) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """One account per role, with a fresh random password each run (never stored in the repo)."""
    import secrets

    from leds.access import identity, rules
    from leds.db.engine import get_engine

    engine = get_engine(settings)
    made = []
    for role in rules.ROLES:
        username = f"demo-{role.replace('_', '-')}"
        password = secrets.token_urlsafe(12)
        if identity.get_user(engine, username) is None:
            identity.create_user(engine, username, roles=[role], force="WYP", vetting="SC", password=password,
                                 display_name=f"Demo {rules.ROLES[role]['title']}")
        else:
            identity.set_password(engine, username, password)
            identity.set_disabled(engine, username, False)
        made.append((username, role, password))
    return made


def _print_accounts(accounts: list[tuple[str, str, str]]) -> None:
    from rich.table import Table

    t = Table(title="Demo accounts (force WYP, vetting SC; new passwords every run)")
    for name in ("username", "role", "password"):
        t.add_column(name, overflow="fold")
    for row in accounts:
        t.add_row(*row)
    err.print(t)


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        size: Annotated[str, typer.Option(help=f"Sample size: {', '.join(f'{k} ({v:,} persons)' for k, v in SIZES.items())}, or a number.")] = "default",
        seed: Annotated[int, typer.Option(help="Seed for the synthetic population.")] = 1,
        serve: Annotated[bool, typer.Option(help="Serve the app when the data is loaded.")] = True,
        host: Annotated[str, typer.Option()] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
        fresh: Annotated[bool, typer.Option(help="Start from an empty store under LEDS_HOME.")] = True,
    ) -> None:
        """Generate a synthetic national sample, ingest it, match it, and serve the web app and API."""
        from leds.config import get_settings
        from leds.db.engine import dispose_all, get_engine
        from leds.ingest.cli import ingest_with_progress
        from leds.ingest.pipeline import Ingestor
        from leds.records.state import state_digest
        from leds.synth import generate

        persons = SIZES.get(size) or (int(size) if size.isdigit() else 0)
        if persons <= 0:
            raise typer.BadParameter(f"use one of {', '.join(SIZES)} or a positive number", param_hint="--size")
        settings = get_settings()
        if fresh and settings.is_sqlite and settings.home.exists():
            dispose_all()
            for name in ("leds.sqlite3", "leds.sqlite3-wal", "leds.sqlite3-shm"):
                (settings.home / name).unlink(missing_ok=True)
            shutil.rmtree(settings.home / "sample", ignore_errors=True)
        settings.ensure_home()
        out = settings.home / "sample"
        err.print(f"[bold]1/3[/] generating a national sample of {persons:,} persons in {out}")
        report = generate(out, persons=persons, seed=seed, progress=True, overwrite=True)
        files = sorted(Path(out).rglob("*.ndjson"))
        err.print(f"[bold]2/3[/] ingesting {len(files)} files ({report.records:,} updategrams)")
        ingestor = Ingestor(settings)
        summary = ingest_with_progress(ingestor, list(files))
        err.print(f"    accepted {summary.accepted:,}, quarantined {summary.quarantined:,}, "
                  f"in {summary.elapsed_s:.1f} s; state digest {state_digest(get_engine(settings))[:16]}…")
        try:
            from leds.matching import run_demo_matching
        except ImportError:
            err.print("[bold]3/3[/] matching: not available in this build")
        else:
            import logging

            err.print("[bold]3/3[/] matching the national sample")
            # Splink's training notes ("level not observed") are for analysts running
            # `leds match`; the demo shows the outcome only.
            logging.getLogger("splink").setLevel(logging.ERROR)
            err.print(f"    {run_demo_matching(settings)}")
        _print_accounts(create_demo_accounts(settings))
        if serve:
            import uvicorn

            from leds.app import create_app

            if host in ("127.0.0.1", "localhost", "::1") and "cookie_secure" not in settings.model_fields_set:
                # Plain HTTP on this machine only: browsers would drop a Secure cookie on some
                # loopback names.  Anywhere else, serve behind TLS and keep Secure cookies.
                settings = settings.model_copy(update={"cookie_secure": False})

            err.print(f"[green]ready:[/] web app http://{host}:{port}/  ·  API http://{host}:{port}/api/v1/docs"
                      "  (sign in with an account above; Ctrl-C stops)")
            uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")

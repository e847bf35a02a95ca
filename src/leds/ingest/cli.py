"""``leds ingest`` and ``leds quarantine``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from sqlalchemy import func, select

from leds.config import get_settings
from leds.db.engine import get_engine
from leds.db.schema import quarantine

from .pipeline import DEFAULT_BATCH, Ingestor, Summary, ingest_paths
from .reasons import REASONS

out = Console()
err = Console(stderr=True)

quarantine_app = typer.Typer(help="Rejected updategrams: list, show and retry them.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    app.add_typer(quarantine_app, name="quarantine")


def ingest_cmd(
    files: Annotated[list[str], typer.Argument(help="NDJSON updategram files; '-' reads standard input.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Updategrams per transaction.")] = DEFAULT_BATCH,
) -> None:
    """Validate updategrams and append the accepted ones to the log.

    Lines that fail validation go to quarantine with reason codes; the rest of
    the file carries on.  Exits 0 when the input was read (even if some lines
    were quarantined), 2 when a file could not be read at all.
    """
    settings = get_settings()
    ingestor = Ingestor(settings, batch_size=batch_size)
    summary = ingest_with_progress(ingestor, [Path(f) if f != "-" else f for f in files])
    report = summary.as_dict()
    report["parked_refs"] = _parked(ingestor)
    if as_json:
        typer.echo(json.dumps(report))
    else:
        _print_summary(summary, report["parked_refs"])
    for message in summary.errors:
        err.print(f"[red]error:[/] {escape(message)}")
    if summary.errors:
        raise typer.Exit(2)


def ingest_with_progress(ingestor: Ingestor, files: list[Path | str]) -> Summary:
    """Ingest files with a progress bar (bytes read) on a terminal."""
    total = sum(os.path.getsize(f) for f in files if f != "-" and os.path.isfile(f)) or None
    with Progress(TextColumn("[bold]ingest"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("ingest", total=total)
        return ingest_paths(ingestor, files, on_bytes=lambda n: bar.advance(task, n))


def _parked(ingestor: Ingestor) -> int:
    from leds.db.schema import record_refs

    with ingestor.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(record_refs)
                            .where(record_refs.c.resolved.is_(False))).scalar_one()


def _print_summary(s: Summary, parked: int) -> None:
    t = Table(title="ingest", show_header=False, box=None)
    t.add_row("lines read", f"{s.lines:,}")
    t.add_row("accepted", f"[green]{s.accepted:,}[/]")
    t.add_row("duplicates (no change)", f"{s.duplicates:,}")
    t.add_row("quarantined", f"[{'yellow' if s.quarantined else 'green'}]{s.quarantined:,}[/]")
    for code, n in sorted(s.by_reason.items()):
        t.add_row(f"  {code}", f"{n:,}")
    if s.blank_lines:
        t.add_row("blank lines skipped", f"{s.blank_lines:,}")
    if parked:
        t.add_row("references parked (target not yet received)", f"{parked:,}")
    rate = s.lines / s.elapsed_s if s.elapsed_s else 0
    t.add_row("time", f"{s.elapsed_s:.1f} s ({rate:,.0f} lines/s)")
    out.print(t)
    for w in s.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    if s.quarantined:
        err.print("See them with [bold]leds quarantine list[/].")


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option(help="open, accepted, duplicate or all.")] = "open",
    reason: Annotated[str | None, typer.Option(help="Only entries with this reason code.")] = None,
    force: Annotated[str | None, typer.Option(help="Only entries from this force code.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List quarantined lines, newest first."""
    if status not in ("open", "accepted", "duplicate", "all"):
        raise typer.BadParameter("must be open, accepted, duplicate or all", param_hint="--status")
    if reason and reason.upper() not in REASONS:
        raise typer.BadParameter(f"unknown reason code; known: {', '.join(REASONS)}", param_hint="--reason")
    engine = get_engine(get_settings())
    q = select(quarantine.c.id, quarantine.c.origin, quarantine.c.line_no, quarantine.c.reasons,
               quarantine.c.message, quarantine.c.force, quarantine.c.source, quarantine.c.sequence,
               quarantine.c.times_seen, quarantine.c.status, quarantine.c.last_seen)
    if status != "all":
        q = q.where(quarantine.c.status == status)
    if reason:
        q = q.where(quarantine.c.reasons.contains(f'"{reason.upper()}"'))
    if force:
        q = q.where(quarantine.c.force == force.upper())
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(quarantine.c.id.desc()).limit(limit)).mappings().all()
    if as_json:
        for r in rows:
            typer.echo(json.dumps({**r, "reasons": orjson.loads(r["reasons"])}))
        return
    if not rows:
        out.print("No quarantined lines match.")
        return
    t = Table("id", "where", "reasons", "message", "seen", "status")
    for r in rows:
        t.add_row(str(r["id"]), escape(f"{r['origin']}:{r['line_no']}"), ", ".join(orjson.loads(r["reasons"])),
                  escape(_clip(r["message"], 90)), str(r["times_seen"]), r["status"])
    out.print(t)


@quarantine_app.command("show")
def quarantine_show(
    entry_id: Annotated[int, typer.Argument(help="Quarantine entry id (see 'leds quarantine list').")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show one quarantined line in full: where it came from, why, and its raw text."""
    engine = get_engine(get_settings())
    with engine.connect() as conn:
        row = conn.execute(select(quarantine).where(quarantine.c.id == entry_id)).mappings().first()
    if row is None:
        err.print(f"[red]error:[/] no quarantine entry {entry_id}")
        raise typer.Exit(1)
    raw: bytes | None = row["raw"]
    text = raw.decode("utf-8", errors="backslashreplace") if raw is not None else None
    doc = {k: v for k, v in row.items() if k != "raw"}
    doc["reasons"] = orjson.loads(row["reasons"])
    doc["raw_text"] = text
    if as_json:
        typer.echo(json.dumps(doc))
        return
    for k in ("id", "status", "origin", "line_no", "force", "source", "sequence", "first_seen", "last_seen",
              "times_seen", "raw_size", "raw_path", "raw_sha256"):
        if doc.get(k) is not None:
            out.print(f"[bold]{k}[/]: {escape(str(doc[k]))}")
    out.print(f"[bold]reasons[/]: {', '.join(doc['reasons'])}")
    out.print(f"[bold]message[/]: {escape(row['message'])}")
    if text is not None:
        out.print("[bold]raw[/]:")
        out.print(escape(_clip(text, 20_000)), soft_wrap=True, highlight=False)


@quarantine_app.command("retry")
def quarantine_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Entry ids; omit with --all.")] = None,
    all_open: Annotated[bool, typer.Option("--all", help="Retry every open entry.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Validate quarantined lines again, after the standard or the data was fixed."""
    if not ids and not all_open:
        raise typer.BadParameter("give entry ids, or --all for every open entry")
    summary = Ingestor(get_settings()).retry_quarantined(None if all_open else ids)
    report = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        out.print(f"retried {summary.lines}: accepted {summary.accepted}, duplicates {summary.duplicates}, "
                  f"still quarantined {summary.quarantined}")


@quarantine_app.command("reasons")
def quarantine_reasons() -> None:
    """List the reason codes and what they mean."""
    t = Table("code", "meaning")
    for code, meaning in REASONS.items():
        t.add_row(code, meaning)
    out.print(t)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"

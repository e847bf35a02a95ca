"""``leds audit``: verify the chain, sign checkpoints, export the public key,
auditor queries, high-profile flags and misuse signals."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from leds.config import Settings, get_settings
from leds.db.engine import get_engine, write_transaction

from . import signals as sig
from .chain import AuditEvent, append
from .keys import AuditKeyError, get_signer, key_id, load_public_pem, public_pem
from .queries import Entry, disclosures_to, looked_at_by, who_looked_at
from .verify import verify
from .writer import checkpoint

out = Console()
err = Console(stderr=True)
audit_app = typer.Typer(help="The s62 audit trail: verify it, sign it, and query it as an auditor.",
                        no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SinceOpt = Annotated[str | None, typer.Option(help="From this UTC date or time (e.g. 2026-11-01).")]
UntilOpt = Annotated[str | None, typer.Option(help="Before this UTC date or time.")]
LimitOpt = Annotated[int, typer.Option(min=1, max=10_000, help="At most this many entries, newest first.")]


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _actor(settings: Settings) -> str:
    """Who is running the command: the setting ``actor`` (LEDS_ACTOR), or the operating-system user."""
    return settings.actor or f"os:{getpass.getuser()}"


def _log_query(settings: Settings, command: str, subjects: tuple[str, ...], detail: dict[str, Any]) -> None:
    """An auditor's query is itself a consultation, and is audited."""
    engine = get_engine(settings)
    event = AuditEvent("consultation", _actor(settings), purpose="audit", subjects=subjects,
                       detail={"kind": "audit_query", "command": f"leds audit {command}", **detail})
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [event], settings=settings)


@audit_app.command("verify")
def verify_cmd(
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", exists=True, dir_okay=False,
        help="Verify checkpoints with this PEM public key (an auditor's own copy) instead of LEDS_HOME's key.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk the whole chain and every checkpoint.  Exits 1 if anything was edited,
    deleted, inserted or reordered."""
    settings = get_settings()
    engine = get_engine(settings)
    pub = None
    if public_key is not None:
        try:
            pub = load_public_pem(public_key.read_bytes())
        except AuditKeyError as exc:
            raise typer.BadParameter(str(exc), param_hint="--public-key") from exc
    with Progress(TextColumn("[bold]verify"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("verify", total=None)
        report = verify(engine, settings, on_progress=lambda done, total: bar.update(task, completed=done,
                                                                                        total=total),
                        public_key=pub)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    elif report.ok:
        out.print(f"[green]OK[/]: {report.entries:,} entries and {report.checkpoints:,} signed checkpoints verify "
                  f"(key {report.key_id}).")
        out.print(f"head: entry {report.last_entry_id}, hash {report.last_hash}")
        if report.unsigned_tail:
            out.print(f"[yellow]note:[/] the last {report.unsigned_tail:,} entries (after entry "
                      f"{report.last_checkpoint_entry}) are not yet covered by a signed checkpoint; "
                      "run [bold]leds audit checkpoint[/] to sign them.")
    else:
        err.print(f"[red]FAILED[/]: the audit trail does not verify ({report.entries:,} entries, "
                  f"{report.checkpoints:,} checkpoints).")
        if report.first_bad_entry is not None:
            err.print(f"first broken entry: {report.first_bad_entry}")
        for p in report.problems:
            err.print(f"  - {escape(p)}")
        if report.more_problems:
            err.print(f"  ... and {report.more_problems:,} more problems")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint_cmd(as_json: JsonOpt = False) -> None:
    """Sign a checkpoint at the head of the chain now."""
    settings = get_settings()
    cp = checkpoint(get_engine(settings), settings)
    if as_json:
        typer.echo(json.dumps(cp.as_dict() if cp else None))
    elif cp is None:
        out.print("Nothing to sign: the chain is empty or its head is already checkpointed.")
    else:
        out.print(f"checkpoint {cp.id}: entry {cp.entry_id}, hash {cp.entry_hash}, signed by key {cp.key_id}")


@audit_app.command("public-key")
def public_key_cmd(as_json: JsonOpt = False) -> None:
    """Print the PEM public key that verifies checkpoints (give it to auditors).
    Creates the signing key if there is none yet."""
    signer = get_signer(get_settings())
    pem = public_pem(signer.public).decode()
    if as_json:
        typer.echo(json.dumps({"key_id": key_id(signer.public), "algorithm": "Ed25519", "pem": pem}))
    else:
        typer.echo(pem, nl=False)


def _print_entries(entries: list[Entry], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries]))
        return
    if not entries:
        out.print(f"No entries: {escape(title)}.")
        return
    t = Table("id", "when (UTC)", "action", "actor", "purpose", "subjects", "detail", title=escape(title))
    for e in entries:
        subjects = ", ".join(e.subjects[:3]) + (f" +{len(e.subjects) - 3}" if len(e.subjects) > 3 else "")
        detail = json.dumps(e.detail)
        t.add_row(str(e.id), e.at, e.action, escape(e.actor), escape(e.purpose or ""), escape(subjects),
                  escape(detail if len(detail) <= 80 else detail[:79] + "…"))
    out.print(t)


@audit_app.command("who-looked-at")
def who_looked_at_cmd(
    subject: Annotated[str, typer.Argument(help="A record key (FORCE|SOURCE|type|ref) or national person id.")],
    since: SinceOpt = None, until: UntilOpt = None, limit: LimitOpt = 100,
    all_actions: Annotated[bool, typer.Option("--all-actions", help="Every action, not only look-ups.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Who consulted, disclosed or combined this subject."""
    settings = get_settings()
    entries = who_looked_at(get_engine(settings), subject, since, until, limit, None if all_actions else
                            ("consultation", "disclosure", "combination"))
    _log_query(settings, "who-looked-at", (subject,), {"since": since, "until": until, "returned": len(entries)})
    _print_entries(entries, as_json, f"who looked at {subject}")


@audit_app.command("user")
def user_cmd(
    actor: Annotated[str, typer.Argument(help="A user id, system account name, or 'system'.")],
    since: SinceOpt = None, until: UntilOpt = None, limit: LimitOpt = 100,
    all_actions: Annotated[bool, typer.Option("--all-actions", help="Every action, not only look-ups.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What this user looked at."""
    settings = get_settings()
    entries = looked_at_by(get_engine(settings), actor, since, until, limit, None if all_actions else
                           ("consultation", "disclosure", "combination"))
    _log_query(settings, "user", (), {"actor": actor, "since": since, "until": until, "returned": len(entries)})
    _print_entries(entries, as_json, f"what {actor} looked at")


@audit_app.command("disclosures")
def disclosures_cmd(
    partner: Annotated[str, typer.Argument(help="The recipient, as recorded in detail.partner.")],
    since: SinceOpt = None, until: UntilOpt = None, limit: LimitOpt = 100, as_json: JsonOpt = False,
) -> None:
    """Every disclosure to this partner."""
    settings = get_settings()
    entries = disclosures_to(get_engine(settings), partner, since, until, limit)
    _log_query(settings, "disclosures", (), {"partner_queried": partner, "since": since, "until": until,
                                             "returned": len(entries)})
    _print_entries(entries, as_json, f"disclosures to {partner}")


@audit_app.command("flag")
def flag_cmd(
    subject: Annotated[str | None, typer.Argument(help="The subject key to flag as high-profile.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required when flagging).")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the flag instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Flag a high-profile subject: every later look-up of it raises a signal.
    With no SUBJECT, list the flags."""
    settings = get_settings()
    engine = get_engine(settings)
    if subject is None:
        flags = sig.list_flags(engine)
        if as_json:
            typer.echo(json.dumps(flags))
        elif not flags:
            out.print("No subjects are flagged.")
        else:
            t = Table("subject", "flagged by", "when (UTC)", "reason")
            for f in flags:
                t.add_row(escape(f["subject_key"]), escape(f["flagged_by"]), f["flagged_at"], escape(f["reason"]))
            out.print(t)
        return
    if remove:
        removed = sig.unflag_subject(engine, subject)
        result = {"subject_key": subject, "flagged": False, "changed": removed}
    else:
        if not reason or not reason.strip():
            raise typer.BadParameter("give the reason for flagging this subject", param_hint="--reason")
        sig.flag_subject(engine, subject, _actor(settings), reason)
        result = {"subject_key": subject, "flagged": True, "changed": True, "reason": reason}
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [AuditEvent("alteration", _actor(settings), purpose="audit", reason=reason, subjects=(subject,),
                                 detail={"kind": "audit_flag", "command": "leds audit flag", **result})],
               settings=settings)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        out.print(f"{escape(subject)}: {'flagged' if result['flagged'] else 'flag removed'}"
                  f"{'' if result['changed'] else ' (it was not flagged)'}")


@audit_app.command("signals")
def signals_cmd(
    kind: Annotated[str | None, typer.Option(help=f"Only this kind: {', '.join(sig.KINDS)}.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only signals about this user.")] = None,
    since: Annotated[str | None, typer.Option(help="Raised at or after this UTC date or time.")] = None,
    scan: Annotated[bool, typer.Option("--scan/--no-scan", help="Scan for new signals first.")] = True,
    day: Annotated[str | None, typer.Option(help="The UTC day to scan (YYYY-MM-DD; default today).")] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """Misuse signals: spikes against a user's baseline, look-ups of flagged
    subjects, checks without action, and personal connections (raised by the
    services at consultation time).  Scans the day first unless --no-scan."""
    if kind is not None and kind not in sig.KINDS:
        raise typer.BadParameter(f"must be one of: {', '.join(sig.KINDS)}", param_hint="--kind")
    try:
        scan_day = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise typer.BadParameter("must be a date like 2026-11-21", param_hint="--day") from exc
    settings = get_settings()
    engine = get_engine(settings)
    new = sig.scan(engine, scan_day) if scan else []
    found = sig.list_signals(engine, kind, actor, since, limit)
    if as_json:
        typer.echo(json.dumps({"new": len(new), "signals": [s.as_dict() for s in found]}))
        return
    if scan:
        err.print(f"scan raised {len(new)} new signal{'s' if len(new) != 1 else ''}")
    if not found:
        out.print("No signals.")
        return
    t = Table("id", "raised (UTC)", "kind", "actor", "subject", "entry", "figures")
    for s in found:
        t.add_row(str(s.id), s.raised_at or "", s.kind, escape(s.actor), escape(s.subject_key or ""),
                  str(s.entry_id or ""), escape(json.dumps(s.detail)))
    out.print(t)

"""``leds retention schedule|review|run|hold``, ``leds erase``, ``leds sar export``.

The commands run as the local operator (``LEDS_ACTOR`` or the operating-system user) with the
data protection officer's role: every decision and erasure is audited under that name."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)


def _settings() -> Any:
    from leds.config import get_settings

    return get_settings()


def _actor(settings: Any) -> str:
    return settings.actor or f"os:{getpass.getuser()}"


def operator(settings: Any) -> Any:
    """The local operator as a principal: the data protection officer's role, every force."""
    from leds.access import rules
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer

    p = Principal(id=_actor(settings), roles=frozenset({"data_protection_officer"}), force=None, vetting="DV",
                  datasets=frozenset(rules.ALL_DATASETS))
    return Lookup(p, "data_protection", None, get_writer(settings).record)


def _fail(exc: Exception) -> None:
    from leds.errors import LedsError

    code = 1
    if isinstance(exc, LedsError):
        code = {404: 3, 409: 4, 403: 5}.get(exc.status_code, 2)
    err.print(f"[red]error:[/] {getattr(exc, 'message', None) or exc}")
    raise typer.Exit(code)


def _print(out: Any, as_json: bool, text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(out, indent=1, default=str) + "\n")
    else:
        print(text)


def register(app: typer.Typer) -> None:
    from leds.errors import LedsError

    retention = typer.Typer(help="Retention review (MoPI), disposal and legal holds.", no_args_is_help=True)
    app.add_typer(retention, name="retention")

    @retention.command("schedule")
    def schedule(as_json: Annotated[bool, typer.Option("--json")] = False,
                 as_of: Annotated[str | None, typer.Option(help="The day to count from (YYYY-MM-DD); today.")] = None,
                 days: Annotated[int, typer.Option(min=0, max=36600, help="Look this many days ahead.")] = 366,
                 limit: Annotated[int, typer.Option(min=0, max=100_000)] = 100) -> None:
        """What is due for review, by date (re-scheduling first if the rule table changed)."""
        from leds.db.engine import get_engine

        from .projector import reschedule
        from .review import schedule_summary

        settings = _settings()
        engine = get_engine(settings)
        rs = reschedule(engine)
        with engine.connect() as conn:
            out = schedule_summary(conn, operator(settings).principal, as_of=as_of, days=days, limit=limit)
        out["rescheduled"] = {"examined": rs.examined, "changed": rs.changed_rule, "added": rs.added}
        lines = [f"{out['scheduled']:,} records scheduled; {out['due_now']:,} due by {out['as_of']}; "
                 f"{out['awaiting_disposal']:,} awaiting disposal"]
        lines += [f"  {d['date']}  {d['count']:>8,}  " + ", ".join(f"group {g}: {n}" for g, n in d["by_group"].items())
                  for d in out["by_date"][:40]]
        _print(out, as_json, "\n".join(lines))

    @retention.command("review")
    def review(rkey: Annotated[str, typer.Argument(help="The record key FORCE|SOURCE|type|ref.")],
               decision: Annotated[str, typer.Option(help="retain | restrict | dispose")],
               reason: Annotated[str, typer.Option(help="Why (required).")] = "",
               next_review: Annotated[str | None, typer.Option(help="retain/restrict: the next review date.")] = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Record a review decision (audited)."""
        from leds.db.engine import get_engine

        from .review import decide

        settings = _settings()
        try:
            with get_engine(settings).connect() as conn:
                out = decide(conn, operator(settings), rkey, decision, reason, next_review)
        except LedsError as exc:
            _fail(exc)
        _print(out, as_json, f"{rkey}: {decision}" + (f" (next review {out['next_review']})"
                                                      if out["next_review"] else ""))

    @retention.command("run")
    def run(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Dispose of every record decided for disposal (held records are skipped)."""
        from leds.db.engine import get_engine

        from .review import run as run_disposal

        settings = _settings()
        out = run_disposal(get_engine(settings), settings, actor=_actor(settings))
        _print(out, as_json, f"{out['disposed']} record(s) disposed of"
               + (f"; receipt {out['receipt']['receipt_id']}" if out["receipt"] else "")
               + (f"; {len(out['held'])} under legal hold, kept" if out["held"] else ""))

    @retention.command("hold")
    def hold(rkey: str, authority: Annotated[str, typer.Option(help="The case or order reference.")],
             reason: Annotated[str, typer.Option()] = "",
             release: Annotated[bool, typer.Option("--release", help="Release the hold.")] = False) -> None:
        """Place (or release) a legal hold: a held record cannot be disposed of or erased."""
        from leds.db.engine import get_engine

        from .rights import place_hold, release_hold

        settings = _settings()
        try:
            with get_engine(settings).connect() as conn:
                if release:
                    release_hold(conn, operator(settings), rkey, reason or authority)
                else:
                    place_hold(conn, operator(settings), rkey, authority, reason)
        except LedsError as exc:
            _fail(exc)
        print(f"{rkey}: hold {'released' if release else 'placed'}")

    @retention.command("receipt")
    def receipt(receipt_id: Annotated[int, typer.Argument(min=1, help="The receipt's number.")],
                as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Show an erasure or disposal receipt and check its signature (exit 1 if it fails)."""
        from sqlalchemy import select

        from leds.db.engine import get_engine

        from .erase import verify_receipt
        from .tables import erasure_receipts

        settings = _settings()
        with get_engine(settings).connect() as conn:
            row = conn.execute(select(erasure_receipts).where(erasure_receipts.c.id == receipt_id)).mappings().first()
        if row is None:
            err.print("[red]error:[/] no such receipt")
            raise typer.Exit(3)
        ok = verify_receipt(settings, row["receipt"], row["signature"])
        out = {"receipt_id": receipt_id, "signature_valid": ok, "key_id": row["key_id"], "audit_entry": row["audit_id"],
               **json.loads(row["receipt"])}
        _print(out, as_json, f"receipt {receipt_id}: {out['kind']} of {out['record_count']} record(s) at {out['at']} "
               f"by {out['actor']}; signature {'valid' if ok else 'INVALID'} (key {row['key_id']})")
        if not ok:
            raise typer.Exit(1)

    @app.command("erase")
    def erase_cmd(person: Annotated[str | None, typer.Option(help="A national person id (NP-...) or person "
                                                                  "record key.")] = None,
                  record: Annotated[str | None, typer.Option(help="One record key.")] = None,
                  reason: Annotated[str, typer.Option(help="Why (required).")] = "",
                  authority: Annotated[str, typer.Option(help="The lawful authority: request or order ref.")] = "",
                  as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Erase a person or a record: destroy the keys, remove the data from every projection,
        print the signed receipt.  Exit 3: unknown; 4: under a legal hold; 2: bad input."""
        from leds.db.engine import get_engine

        from .erase import erase

        settings = _settings()
        try:
            out = erase(get_engine(settings), settings, person=person, record=record, reason=reason,
                        authority=authority, actor=_actor(settings))
        except LedsError as exc:
            _fail(exc)
        _print(out, as_json, f"erased {out['record_count']} record(s); receipt {out['receipt_id']} "
               f"(audit entry {out['audit_entry']}); signature {out['signature'][:16]}...")

    sar = typer.Typer(help="Subject access (DPA 2018 s45).", no_args_is_help=True)
    app.add_typer(sar, name="sar")

    @sar.command("export")
    def sar_export(person: Annotated[str, typer.Option(help="A national person id or person record key.")],
                   out: Annotated[Path, typer.Option(help="The directory to write the pack to.")],
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Write the subject access pack (HTML and JSON) and the s48 letter."""
        from leds.db.engine import get_engine

        from .sar import export

        settings = _settings()
        try:
            res = export(get_engine(settings), settings, person, out, actor=_actor(settings))
        except LedsError as exc:
            _fail(exc)
        _print(res, as_json, f"{res['records']} record(s), {res['withheld']} item(s) withheld: {res['out']}")

"""``leds sharing``: the register of data sharing agreements, exports under them, and the
recipient's check of an export.

The commands run as the local operator (``LEDS_ACTOR`` or the operating-system user), who is
named in every audit entry.  Approval and suspension are the exception: they need a leds user
whose role allows ``approve_sharing`` (``--user USERNAME``, or ``LEDS_ACTOR=user:USERNAME``).
Exit codes: 0 done, 1 verification failed, 2 bad input, 3 not found, 4 conflict, 5 refused."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

err = Console(stderr=True, soft_wrap=True)
sharing_app = typer.Typer(help="Data sharing agreements (the register), exports under them, and their verification.",
                          no_args_is_help=True)
agreement_app = typer.Typer(help="Add or show one agreement.", no_args_is_help=True)
sharing_app.add_typer(agreement_app, name="agreement")


def register(app: typer.Typer) -> None:
    app.add_typer(sharing_app, name="sharing")


def _settings() -> Any:
    from leds.config import get_settings

    return get_settings()


def _actor(settings: Any) -> str:
    return settings.actor or f"os:{getpass.getuser()}"


def _fail(exc: Exception) -> NoReturn:
    from leds.errors import LedsError

    code = 1
    if isinstance(exc, LedsError):
        code = {404: 3, 409: 4, 403: 5}.get(exc.status_code, 2)
    errors = getattr(exc, "errors", None)
    if errors:
        err.print(f"[red]error:[/] the agreement has {len(errors)} error(s):")
        for e in errors:
            err.print(f"  {escape(e['path'])}: {escape(e['message'])}")
    else:
        err.print(f"[red]error:[/] {escape(str(getattr(exc, 'message', None) or exc))}")
    raise typer.Exit(code)


def _emit(out: Any) -> None:
    sys.stdout.write(json.dumps(out, indent=1, default=str) + "\n")


def _conn() -> Any:
    from leds.db.engine import get_engine

    return get_engine(_settings()).connect()


def _audit() -> Any:
    from leds.audit import get_writer

    return get_writer(_settings()).record


@sharing_app.command("schema")
def schema_cmd() -> None:
    """Print the agreement's JSON Schema (what an agreement must say)."""
    from .agreement import SCHEMA

    _emit(SCHEMA)


@agreement_app.command("add")
def add_cmd(file: Annotated[Path, typer.Argument(help="The agreement, a JSON document (see 'leds sharing schema').")],
            as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check an agreement against its schema (every error, with its path) and enter it as a draft."""
    from leds.errors import LedsError

    from .service import add_agreement

    try:
        raw = file.read_bytes()
    except OSError as exc:
        _fail(exc)
    try:
        with _conn() as conn:
            a = add_agreement(conn, _actor(_settings()), raw, _audit())
    except LedsError as exc:
        if as_json and getattr(exc, "errors", None):
            _emit({"ok": False, "errors": exc.errors})  # type: ignore[attr-defined]
            raise typer.Exit(2) from exc
        _fail(exc)
    if as_json:
        _emit({"ok": True, "agreement": a.summary()})
    else:
        print(f"{a.id}: {a.title} entered as {a.state}; approve with 'leds sharing approve {a.id} --user NAME'")
        for p in a.problems:
            err.print(f"[yellow]to fix before approval:[/] {escape(p['path'])}: {escape(p['message'])}")


@agreement_app.command("show")
def show_cmd(agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")]) -> None:
    """Print an agreement (its state and document) and its exports as JSON."""
    from leds.errors import LedsError

    from .service import exports_of, get_agreement

    try:
        with _conn() as conn:
            a = get_agreement(conn, agreement_id)
            _emit({**a.summary(), "document": a.document, "exports": exports_of(conn, agreement_id)})
    except LedsError as exc:
        _fail(exc)


@sharing_app.command("agreements")
def list_cmd(state: Annotated[str | None, typer.Option(help="draft, approved, suspended or expired")] = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The register: every agreement and its state."""
    from leds.errors import LedsError

    from .service import list_agreements

    try:
        with _conn() as conn:
            rows = list_agreements(conn, state=state)
    except LedsError as exc:
        _fail(exc)
    if as_json:
        _emit({"agreements": [a.summary() for a in rows]})
        return
    t = Table("id", "state", "title", "recipient", "review", "expires", title="Data sharing agreements")
    for a in rows:
        t.add_row(a.id, a.state, escape(a.title), escape(a.recipient), a.review_date, a.expires)
    Console().print(t)


def _approver(user: str | None) -> Any:
    from leds.access.identity import get_user
    from leds.access.policy import Principal
    from leds.db.engine import get_engine
    from leds.errors import BadRequest, NotFound

    settings = _settings()
    name = user
    if name is None and (settings.actor or "").startswith("user:"):
        name = settings.actor.removeprefix("user:")
    if not name:
        raise BadRequest("approval is by a leds user whose role allows approve_sharing: give --user USERNAME")
    u = get_user(get_engine(settings), name)
    if u is None or u.disabled:
        raise NotFound(f"no enabled user {name}")
    return Principal.from_user(u)


@sharing_app.command("approve")
def approve_cmd(agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")],
                user: Annotated[str | None, typer.Option(help="The approving user (role with approve_sharing).")] = None,
                as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Approve an agreement (draft or suspended): exports under it may then run until it expires."""
    from leds.errors import LedsError

    from .service import approve

    try:
        p = _approver(user)
        with _conn() as conn:
            a = approve(conn, p, agreement_id, _audit())
    except LedsError as exc:
        _fail(exc)
    if as_json:
        _emit(a.summary())
    else:
        print(f"{a.id} approved by {a.approved_by}; review by {a.review_date}, expires {a.expires}")


@sharing_app.command("suspend")
def suspend_cmd(agreement_id: Annotated[str, typer.Argument(help="The agreement's id.")],
                reason: Annotated[str, typer.Option(help="Why (kept in the register and the audit trail).")],
                user: Annotated[str | None, typer.Option(help="The user (role with approve_sharing).")] = None) -> None:
    """Suspend an approved agreement: no export runs under it until it is approved again."""
    from leds.errors import LedsError

    from .service import suspend

    try:
        p = _approver(user)
        with _conn() as conn:
            a = suspend(conn, p, agreement_id, reason, _audit())
    except LedsError as exc:
        _fail(exc)
    print(f"{a.id} suspended")


@sharing_app.command("reviews")
def reviews_cmd(within: Annotated[int, typer.Option(min=0, max=3650, help="Days ahead.")] = 30,
                as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Raise an alert for each agreement in force whose review falls due within WITHIN days."""
    from .service import raise_review_alerts

    with _conn() as conn:
        raised = raise_review_alerts(conn, within_days=within)
    if as_json:
        _emit({"due": raised})
    else:
        for r in raised:
            print(f"{r['agreement']}: review due {r['review_date']} ({r['alerts']} new alert(s))")
        if not raised:
            print("no reviews due")


def _fields(specs: list[str]) -> dict[str, list[str]] | None:
    from leds.errors import BadRequest

    if not specs:
        return None
    out: dict[str, list[str]] = {}
    for s in specs:
        rtype, _, name = s.partition(".")
        if not name:
            raise BadRequest(f"--field {s!r}: give TYPE.FIELD, e.g. event.category")
        out.setdefault(rtype, []).append(name)
    return out


@sharing_app.command("export")
def export_cmd(agreement: Annotated[str, typer.Option("--agreement", help="The agreement's id.")],
               out: Annotated[Path, typer.Option("--out", help="A new or empty directory.")],
               dataset: Annotated[list[str] | None, typer.Option(help="Only this dataset (repeat).")] = None,
               field: Annotated[list[str] | None, typer.Option(help="Only TYPE.FIELD (repeat).")] = None,
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Export what an approved agreement allows, after its disclosure check, with a signed manifest."""
    from leds.audit.keys import get_signer
    from leds.errors import LedsError

    from .export import run_export

    settings = _settings()
    try:
        with _conn() as conn:
            r = run_export(conn, get_signer(settings), _actor(settings), agreement, out, _audit(),
                           datasets=dataset or None, fields=_fields(field or []))
    except LedsError as exc:
        _fail(exc)
    if as_json:
        _emit(r.as_dict())
    else:
        print(f"{r.records:,} records under {r.agreement} in {r.out_dir}"
              + (f" ({r.suppressed:,} suppressed by the disclosure check)" if r.suppressed else "")
              + f"; manifest signed with key {r.manifest['key_id']} ({r.seconds:.2f} s)")


@sharing_app.command("verify")
def verify_cmd(directory: Annotated[Path, typer.Argument(help="An export's directory.")],
               public_key: Annotated[Path | None, typer.Option(help="The signer's public key (PEM), e.g. from "
                                                               "'leds audit public-key'; default: this service's.")]
               = None,
               as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check an export: the manifest's signature and every file's hash.  Exit 1 when anything fails."""
    from leds.audit.keys import AuditKeyError
    from leds.errors import LedsError

    from .export import service_public_key, verify_dir

    try:
        pem = public_key.read_bytes() if public_key else service_public_key(_settings())
        report = verify_dir(directory, pem)
    except (LedsError, OSError, AuditKeyError) as exc:
        _fail(exc)
    if as_json:
        _emit(report.as_dict())
    elif report.ok:
        print(f"OK: {report.files} files of agreement {report.agreement}, signed with key {report.key_id}")
    else:
        for p in report.problems:
            err.print(f"[red]FAIL[/] {escape(p)}")
    if not report.ok:
        raise typer.Exit(1)

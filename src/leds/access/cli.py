"""``leds systems``: machine accounts for force systems."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leds.config import get_settings
from leds.db.engine import get_engine
from leds.ingest.pipeline import utcnow

from . import systems

out = Console()
err = Console(stderr=True)
systems_app = typer.Typer(help="Machine accounts for force systems that POST updategrams.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(systems_app, name="systems")
    app.add_typer(users_app, name="users")
    app.add_typer(access_app, name="access")


@systems_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A stable name for the sending system, e.g. wyp-niche.")],
    force: Annotated[str, typer.Option(help="The force code this system may submit for.")],
) -> None:
    """Create an account and print its bearer token (shown once, never stored)."""
    try:
        account, token = systems.create(get_engine(get_settings()), name, force, utcnow())
    except systems.AccountError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    err.print(f"created {account.name} for {account.force}. The token is shown once; keep it in a secret store:")
    typer.echo(token)


@systems_app.command("list")
def list_cmd() -> None:
    """List system accounts."""
    t = Table("name", "force", "status")
    for a in systems.list_all(get_engine(get_settings())):
        t.add_row(a.name, a.force, "disabled" if a.disabled else "active")
    out.print(t)


@systems_app.command("disable")
def disable(name: Annotated[str, typer.Argument()]) -> None:
    """Disable an account; its token stops working at once."""
    try:
        systems.disable(get_engine(get_settings()), name)
    except systems.AccountError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    out.print(f"disabled {name}")


# --- people's accounts -------------------------------------------------------------------------
users_app = typer.Typer(help="People's accounts: roles, force, vetting and dataset entitlements.",
                        no_args_is_help=True)
access_app = typer.Typer(help="The published access policy.", no_args_is_help=True)


def _audit_admin(what: str, subject: str, **detail: object) -> None:
    """Changes to who may see what are themselves audited ('alteration')."""
    import getpass

    from leds.audit import AuditEvent, get_writer

    get_writer(get_settings()).record(AuditEvent(
        action="alteration", actor=f"operator:{getpass.getuser()}", subjects=(f"user:{subject}",),
        detail={"kind": "account", "change": what, **detail}))


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/] {exc}")
    return typer.Exit(2)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[list[str], typer.Option("--role", help="Repeat for several roles. See 'leds access matrix'.")],
    force: Annotated[str, typer.Option(help="The user's force code.")],
    vetting: Annotated[str, typer.Option(help="RV, NPPV1, NPPV2, NPPV3, SC, MV or DV.")],
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="Entitlements (default: the roles' datasets).")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    surname: Annotated[str | None, typer.Option(help="For misuse signals: the user's own surname.")] = None,
    postcode: Annotated[str | None, typer.Option(help="For misuse signals: the user's home postcode.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    oidc_subject: Annotated[str | None, typer.Option(help="Link to an identity provider's 'ISSUER|SUB'; "
                                                     "such an account has no password.")] = None,
) -> None:
    """Create an account.  Without --password-stdin (or --oidc-subject) a strong password is generated and
    printed once."""
    import secrets
    import sys

    from . import identity

    password: str | None
    if oidc_subject:
        password = None
    else:
        password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(15)
    try:
        user = identity.create_user(get_engine(get_settings()), username, roles=role, force=force, vetting=vetting,
                                    password=password, display_name=name, datasets=dataset, surname=surname,
                                    postcode=postcode, oidc_subject=oidc_subject)
    except identity.IdentityError as exc:
        raise _fail(exc) from exc
    _audit_admin("created", user.username, roles=list(user.roles), force=user.force, vetting=user.vetting,
                 datasets=list(user.datasets))
    err.print(f"created {user.username}: {', '.join(user.roles)}, {user.force}, {user.vetting}")
    if password is not None and not password_stdin:
        err.print("password (shown once):")
        typer.echo(password)


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List accounts."""
    import json
    from dataclasses import asdict

    from . import identity

    found = identity.list_users(get_engine(get_settings()))
    if as_json:
        for u in found:
            typer.echo(json.dumps(asdict(u)))
        return
    t = Table("username", "roles", "force", "vetting", "datasets", "status")
    for u in found:
        t.add_row(u.username, ", ".join(u.roles), u.force, u.vetting, ", ".join(u.datasets),
                  "disabled" if u.disabled else "active")
    out.print(t)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable an account: its tokens and sessions stop working at once."""
    _set_disabled(username, True)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled account."""
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    from . import identity

    try:
        identity.set_disabled(get_engine(get_settings()), username, disabled)
    except identity.IdentityError as exc:
        raise _fail(exc) from exc
    change = "disabled" if disabled else "enabled"
    _audit_admin(change, username)
    out.print(f"{change} {username}")


@users_app.command("grant")
def users_grant(
    username: Annotated[str, typer.Argument()],
    role: Annotated[list[str] | None, typer.Option("--role")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset")] = None,
    vetting: Annotated[str | None, typer.Option(help="A new vetting level.")] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the roles and datasets away instead.")] = False,
) -> None:
    """Grant (or with --revoke, take away) roles and dataset entitlements."""
    from . import identity

    try:
        u = identity.grant(get_engine(get_settings()), username, roles=role or [], datasets=dataset or [],
                           vetting=vetting, revoke=revoke)
    except identity.IdentityError as exc:
        raise _fail(exc) from exc
    _audit_admin("revoked" if revoke else "granted", username, roles=role or [], datasets=dataset or [],
                 vetting=vetting)
    out.print(f"{u.username}: roles {', '.join(u.roles)}; datasets {', '.join(u.datasets) or '(none)'}; {u.vetting}")


@access_app.command("matrix")
def access_matrix(markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown tables.")] = False) -> None:
    """Print the role/action/dataset matrix, vetting levels and redactions."""
    from .matrix import markdown_matrix

    if markdown:
        typer.echo(markdown_matrix())
        return
    from . import rules

    t = Table("role", "actions", "datasets")
    for key, role in rules.ROLES.items():
        t.add_row(key, ", ".join(role["actions"]), ", ".join(role["datasets"]) or "(none)")  # type: ignore[arg-type]
    out.print(t)

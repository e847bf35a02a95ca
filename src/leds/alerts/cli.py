"""``leds alerts``: subscribe, unsubscribe, list, read the inbox, run the delivery worker,
and the dead-letter list.  ``--user USERNAME`` commands act as that user through the access
policy (their roles, force and vetting; audited under their name)."""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.config import get_settings
from leds.db.engine import get_engine, write_transaction
from leds.errors import LedsError

out = Console()
err = Console(stderr=True)

alerts_app = typer.Typer(help="Alerts: subscriptions, the inbox, delivery workers and dead letters.",
                         no_args_is_help=True)

UserOpt = Annotated[str, typer.Option("--user", help="Act as this user (their access applies).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _lookup(username: str, purpose: str, reason: str | None) -> Lookup:
    from leds.audit import get_writer

    settings = get_settings()
    user = identity.get_user(get_engine(settings), username)
    if user is None or user.disabled:
        raise _fail(f"no enabled user named {username!r}")
    return Lookup(Principal.from_user(user), purpose, reason, get_writer(settings).record)


def _json_file(path: Path, what: str) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise _fail(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise _fail(f"the {what} file {path} is not JSON: {exc}") from exc


@alerts_app.command("subscribe")
def subscribe_cmd(
    user: UserOpt,
    reason: Annotated[str, typer.Option(help="Why (e.g. the case reference); required.")],
    person: Annotated[str | None, typer.Option("--person", help="A national person id (NP-...) or person record key.")] = None,
    vehicle: Annotated[str | None, typer.Option("--vehicle", help="A vehicle registration mark.")] = None,
    rule: Annotated[Path | None, typer.Option("--rule", help="A rule, as a JSON file (see docs/alerts.md).")] = None,
    search: Annotated[Path | None, typer.Option("--search", help="A saved search, as a JSON file.")] = None,
    expires: Annotated[str | None, typer.Option(help="Last day it is live, YYYY-MM-DD (default: a year).")] = None,
    purpose: Annotated[str, typer.Option(help="Reason code, as for a check.")] = "investigation",
    watch: Annotated[bool, typer.Option("--watch", help="With --person: be told when others look the person up.")] = False,
    webhook: Annotated[str | None, typer.Option(help="Also POST each alert here (https).")] = None,
    email: Annotated[str | None, typer.Option(help="Also e-mail each alert here.")] = None,
    team: Annotated[str | None, typer.Option(help="Share with this role in your force.")] = None,
    max_per_minute: Annotated[int, typer.Option(min=1, max=1000, help="Then fold the rest into a digest.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe USER to changes on a person, a vehicle, a rule or a saved search."""
    from .models import SubscriptionRequest
    from .subscriptions import subscribe

    given = [x for x in (person, vehicle, rule, search) if x is not None]
    if len(given) != 1:
        raise _fail("give exactly one of --person, --vehicle, --rule, --search")
    body: dict[str, Any] = {"reason": reason, "purpose": purpose, "watch": watch, "webhook_url": webhook,
                            "email": email, "team": team, "max_per_minute": max_per_minute}
    if expires is not None:
        try:
            body["expires"] = date.fromisoformat(expires)
        except ValueError as exc:
            raise _fail(f"--expires: not a date (YYYY-MM-DD): {expires!r}") from exc
    if person is not None:
        body["person_id"] = person
    elif vehicle is not None:
        body["vrm"] = vehicle
    elif rule is not None:
        body["rule"] = _json_file(rule, "rule")
    else:
        assert search is not None
        body["search"] = _json_file(search, "search")
    try:
        req = SubscriptionRequest.model_validate(body)
    except ValidationError as exc:
        raise _fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'subscription'}: {e['msg']}"
                              for e in exc.errors())) from exc
    lk = _lookup(user, purpose, reason)
    settings = get_settings()
    try:
        with get_engine(settings).connect() as conn:
            sub = subscribe(conn, lk, req)
    except LedsError as exc:
        raise _fail(str(exc), 1 if exc.status_code == 403 else 2) from exc
    if sub.webhook_url:
        from .channels import webhook_secret

        sub.webhook_secret = webhook_secret(settings, sub.id)
    answer = sub.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(answer))
    else:
        out.print(f"subscription [bold]{sub.id}[/] ({sub.kind.value}) live until {sub.expires}")
        if sub.webhook_secret:
            out.print(f"webhook signing secret: {answer['webhook_secret']}")


@alerts_app.command("unsubscribe")
def unsubscribe_cmd(user: UserOpt, subscription: Annotated[int, typer.Argument(help="Its id.")]) -> None:
    """Cancel one of USER's subscriptions."""
    from .subscriptions import cancel

    lk = _lookup(user, "investigation", None)
    try:
        with get_engine(get_settings()).connect() as conn:
            cancel(conn, lk, subscription)
    except LedsError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"subscription {subscription} cancelled")


@alerts_app.command("list")
def list_cmd(user: UserOpt, as_json: JsonOpt = False) -> None:
    """USER's subscriptions, and their teams'."""
    from .subscriptions import list_subscriptions

    lk = _lookup(user, "investigation", None)
    with get_engine(get_settings()).connect() as conn:
        subs = list_subscriptions(conn, lk)
    if as_json:
        typer.echo(json.dumps({"subscriptions": [s.model_dump(mode="json") for s in subs]}))
        return
    t = Table("id", "kind", "subject", "owner", "expires", "live")
    for s in subs:
        t.add_row(str(s.id), s.kind.value, escape(s.target or json.dumps(s.spec)), escape(s.owner), s.expires,
                  "yes" if s.live else "no")
    out.print(t)


@alerts_app.command("inbox")
def inbox_cmd(user: UserOpt, as_json: JsonOpt = False,
              limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """USER's alerts, newest first, as USER may see them now (each read is audited)."""
    from .inbox import inbox, unread

    lk = _lookup(user, "investigation", None)
    with get_engine(get_settings()).connect() as conn:
        count = unread(conn, lk.principal)
        alerts = inbox(conn, lk, limit=limit)
    if as_json:
        typer.echo(json.dumps({"alerts": [a.model_dump(mode="json") for a in alerts], "unread": count}))
        return
    t = Table("id", "at", "kind", "person", "record", "subscription")
    for a in alerts:
        t.add_row(str(a.id), a.at, a.kind, escape(a.person_id or ""), escape(a.rkey or ""), str(a.subscription or ""))
    out.print(t)


@alerts_app.command("worker")
def worker_cmd(
    broker: Annotated[str | None, typer.Option("--broker", help="Redis URL (default: LEDS_BROKER_URL; unset: "
                                                              "embedded, reading the outbox table).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then stop (embedded only).")] = False,
    consumer: Annotated[str | None, typer.Option(help="This worker's name in the consumer group.")] = None,
    lease_s: Annotated[float, typer.Option(min=0.1, help="A claim older than this was a worker that died.")] = 30.0,
    relay_s: Annotated[float, typer.Option(min=0.1, help="Relay again what is not delivered by then.")] = 10.0,
    retry_s: Annotated[float, typer.Option(min=0.01, help="First retry after this; doubling.")] = 1.0,
) -> None:
    """Deliver alerts on the external channels (webhooks, e-mail) until stopped."""
    import signal
    import threading

    from .worker import Pace, Worker

    settings = get_settings()
    w = Worker(settings, broker_url=broker, consumer=consumer,
               pace=Pace(base_s=retry_s, lease_s=lease_s, relay_s=relay_s))
    if once:
        n = w.run_once()
        out.print(f"{n} due deliveries taken: {w.counts}")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    mode = f"Redis Streams at {w.broker_url}" if w.broker_url else "embedded"
    err.print(f"[dim]{datetime.now():%H:%M:%S} alert worker {w.consumer} ({mode}); Ctrl-C stops it[/]")
    try:
        w.run(stop)
    except KeyboardInterrupt:
        pass
    err.print(f"[dim]stopped: {w.counts}[/]")


@alerts_app.command("dead-letters")
def dead_letters_cmd(as_json: JsonOpt = False) -> None:
    """Deliveries that failed every retry."""
    from .worker import dead_letters

    with get_engine(get_settings()).connect() as conn:
        rows = dead_letters(conn)
    if as_json:
        typer.echo(json.dumps({"dead_letters": rows}))
        return
    t = Table("id", "subscription", "channel", "destination", "attempts", "last error")
    for r in rows:
        t.add_row(str(r["id"]), str(r["subscription"]), r["channel"], escape(r["destination"]), str(r["attempts"]),
                  escape(r["last_error"] or ""))
    out.print(t)


@alerts_app.command("replay")
def replay_cmd(ids: Annotated[list[int] | None, typer.Argument(help="Dead letters to replay (default: all).")] = None
               ) -> None:
    """Send dead letters again (the worker picks them up), audited as the local operator."""
    from leds.audit import AuditEvent, get_writer

    from .worker import replay

    settings = get_settings()
    with get_engine(settings).connect() as conn, write_transaction(conn):
        n = replay(conn, ids or None)
    actor = settings.actor or f"os:{getpass.getuser()}"
    get_writer(settings).record(AuditEvent(action="alteration", actor=actor,
                                           detail={"kind": "alert replay", "ids": ids or "all", "replayed": n}))
    out.print(f"{n} dead letter{'s' if n != 1 else ''} queued again")

"""API routes of the alerts domain (the services are :mod:`.subscriptions` and :mod:`.inbox`).

* ``GET  /api/v1/alerts/subscriptions``: the caller's subscriptions and their teams';
* ``POST /api/v1/alerts/subscriptions``: a new one (``manage_alerts``; a watch needs
  ``watch_lookups``), 201;
* ``DELETE /api/v1/alerts/subscriptions/{id}``: cancel one of the caller's own, 204;
* ``GET  /api/v1/alerts/inbox?after=&limit=&seen=``: alerts as the caller may see them now;
* ``GET  /api/v1/alerts/stream``: the same, live, as server-sent events (``event: alert``,
  ``id:`` the alert id, so a reconnecting EventSource resumes with ``Last-Event-ID``); the
  stream ends after ``timeout`` seconds and the browser reconnects.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from leds.access.deps import (
    Caller,
    CallerDep,
    Gate,
    app_engine,
    app_settings,
    audit_sink,
    errors_documented,
    gate,
)
from leds.access.lookup import Lookup
from leds.errors import Forbidden

from . import inbox as inbox_service
from . import subscriptions as subs
from .models import Inbox, Subscription, SubscriptionRequest, Subscriptions

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

STREAM_POLL_S = 0.25
STREAM_MAX_S = 5.0  # then the browser reconnects (with Last-Event-ID): no request outlives a proxy's timeout
SSE_EVENT = {"type": "object", "description": "One event of the stream.", "properties": {
    "event": {"type": "string", "enum": ["alert", "unread"]},
    "data": {"type": "string", "description": "`alert`: the alert as JSON (see Alert); `unread`: the count."},
    "id": {"type": "string"}, "retry": {"type": "integer"}}}


def _lookup(request: Request, who: Caller) -> Lookup:
    if not who.may("manage_alerts"):
        raise Forbidden("this token's scopes do not include manage_alerts")
    return Lookup(who.principal, "investigation", None, audit_sink(app_settings(request)))


def _reader(request: Request, who: Caller) -> Lookup:
    """Reading one's inbox needs a token scoped for alerts, or any of the actions that read them."""
    action = inbox_service.read_action(who.principal)
    if who.scopes is not None and not (who.may("manage_alerts") or (action and who.may(action))):
        raise Forbidden("this token's scopes do not include manage_alerts")
    return Lookup(who.principal, "investigation", None, audit_sink(app_settings(request)))


@router.get("/subscriptions", response_model=Subscriptions, responses=errors_documented(401, 403))
def list_subscriptions(request: Request, who: CallerDep) -> Subscriptions:
    lk = _lookup(request, who)
    with app_engine(request).connect() as conn:
        return Subscriptions(subscriptions=subs.list_subscriptions(conn, lk))


@router.post("/subscriptions", response_model=Subscription, status_code=201,
             responses=errors_documented(400, 401, 403, 404, 409, 422))
def create_subscription(body: SubscriptionRequest, g: Annotated[Gate, Depends(gate("manage_alerts"))]) -> Subscription:
    made = g.run(lambda conn, lk: subs.subscribe(conn, lk, body), body.purpose, body.reason,
                 subject=body.person_id or body.vrm)
    if made.webhook_url:
        from .channels import webhook_secret

        made.webhook_secret = webhook_secret(g.settings, made.id)
    return made


@router.delete("/subscriptions/{subscription_id}", status_code=204, response_class=Response,
               responses=errors_documented(401, 403, 404, 422))
def delete_subscription(subscription_id: Annotated[int, Path(ge=1, le=2**62)], request: Request,
                        who: CallerDep) -> Response:
    lk = _lookup(request, who)
    with app_engine(request).connect() as conn:
        subs.cancel(conn, lk, subscription_id)
    return Response(status_code=204)


@router.get("/inbox", response_model=Inbox, responses=errors_documented(401, 403, 422))
def get_inbox(request: Request, who: CallerDep, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
              limit: Annotated[int, Query(ge=1, le=200)] = 50,
              seen: Annotated[bool, Query(description="Mark every alert returned as seen.")] = False) -> Inbox:
    lk = _reader(request, who)
    with app_engine(request).connect() as conn:
        alerts = inbox_service.inbox(conn, lk, after=after, limit=limit)
        if seen and alerts:
            inbox_service.mark_seen(conn, who.principal, max(a.id for a in alerts))
        return Inbox(alerts=alerts, unread=inbox_service.unread(conn, who.principal))


@router.get("/stream", response_class=StreamingResponse, responses={
    200: {"content": {"text/event-stream": {"schema": SSE_EVENT}},
          "description": "Server-sent events: `event: alert` with the alert as JSON, `event: unread` with the count."},
    **errors_documented(401, 403, 422)})
async def stream(request: Request, who: CallerDep,
                 after: Annotated[int | None, Query(ge=0, le=2**62, description="Alerts after this id "
                                                    "(default: from now, or Last-Event-ID).")] = None,
                 timeout: Annotated[float, Query(ge=0, le=STREAM_MAX_S, description="Seconds before the stream "
                                                 "ends (the browser reconnects).")] = STREAM_MAX_S
                 ) -> StreamingResponse:
    lk = _reader(request, who)
    engine = app_engine(request)

    def newest() -> int:
        from sqlalchemy import func, select

        from .tables import alert_inbox

        with engine.connect() as conn:
            return int(conn.execute(select(func.max(alert_inbox.c.id))).scalar() or 0)

    # A reconnecting EventSource sends Last-Event-ID (the browser's own header, not a parameter).
    sent = request.headers.get("last-event-id", "")
    last_event_id = int(sent) if sent.isdigit() and len(sent) < 19 else None
    given = [x for x in (after, last_event_id) if x is not None]
    start = max(given) if given else None  # a reconnecting browser sends both
    if start is None:
        start = await anyio.to_thread.run_sync(newest)

    def fetch(cursor: int) -> tuple[list[bytes], int, int]:
        with engine.connect() as conn:
            alerts, scanned = inbox_service.inbox_after(conn, lk, after=cursor, limit=50)
            count = inbox_service.unread(conn, who.principal)
        events = [b"id: %d\nevent: alert\ndata: %s\n\n" % (a.id, orjson.dumps(a.model_dump(mode="json")))
                  for a in alerts]
        return events, scanned, count

    async def events() -> AsyncIterator[bytes]:
        cursor = start
        last_count = -1
        ends = time.monotonic() + timeout
        yield b"retry: 250\n\n"
        while time.monotonic() < ends:
            if await request.is_disconnected():
                return
            out, seen_to, count = await anyio.to_thread.run_sync(fetch, cursor)
            # Entries the reader may not see are passed over for good (never shown later).
            cursor = max(cursor, seen_to)
            for e in out:
                yield e
            if count != last_count:
                last_count = count
                yield b"event: unread\ndata: %d\n\n" % count
            await anyio.sleep(STREAM_POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

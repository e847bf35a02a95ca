"""The context of one look-up: who is asking, for what purpose, and where it is audited.

Every domain's service takes a :class:`Lookup` (the API's look-up dependency and the web
pages build one per request) and reads records through :mod:`leds.access.policy` with it.
A look-up that reads several times (candidates, markers, linked records) wraps its reads
in :func:`consulting`, so the caller's consultation is **one** audit entry::

    with consulting(lookup, "person check", {"query": ...}) as lk:
        views = read_records(conn, lk.principal, lk.purpose, audit=lk.audit, ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from leds.access.policy import AuditSink, Principal


@dataclass(frozen=True)
class Lookup:
    principal: Principal
    purpose: str
    reason: str | None
    audit: AuditSink


class Consultation:
    """Collects the consultations of one look-up (its reads of candidates, markers and
    linked records) and records them as **one** audit entry naming every record returned.
    Refusals pass straight through.  The entry is written before the answer leaves
    (the writer returns once it is committed), so an audit failure shows nothing."""

    def __init__(self, sink: AuditSink):
        self.sink = sink
        self.events: list[Any] = []

    def __call__(self, event: Any) -> int:
        if event.action != "consultation":
            return self.sink(event)
        self.events.append(event)
        return 0

    def flush(self, kind: str, detail: dict[str, Any]) -> None:
        if not self.events:
            return
        from leds.audit import AuditEvent

        first = self.events[0]
        subjects = tuple(dict.fromkeys(s for e in self.events for s in e.subjects))
        self.events = []
        self.sink(AuditEvent(action="consultation", actor=first.actor, purpose=first.purpose, reason=first.reason,
                             subjects=subjects, detail={"kind": kind, "returned": len(subjects), **detail}))


@contextmanager
def consulting(lookup: Lookup, kind: str, detail: dict[str, Any]) -> Iterator[Lookup]:
    """``lookup`` with its consultations gathered into one audit entry of this ``kind``
    and ``detail``, written when the block ends."""
    c = Consultation(lookup.audit)
    try:
        yield replace(lookup, audit=c)
    finally:
        c.flush(kind, detail)


__all__ = ["Consultation", "Lookup", "consulting"]

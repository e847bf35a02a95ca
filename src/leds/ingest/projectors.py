"""The projector registry.

A projector turns accepted updategrams into read-optimised tables.  Every
projector runs inside the same transaction as the log append, so a crash at
any instant leaves log and projections in step.  Later capabilities (matching,
alerts, data-quality counters, search) register their own projector here
rather than reading the log on the side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table, delete

from leds.db.bulk import insert_rows, select_in, update_rows
from leds.db.schema import record_refs, record_versions, records

from .accepted import Accepted


class Projector(Protocol):
    name: str
    tables: Sequence[Table]  # owned tables: emptied by rebuild, hashed by digest

    def apply(self, conn: Connection, items: list[Accepted]) -> None: ...


_REGISTRY: dict[str, Projector] = {}
# Modules that register a projector, in the order their projectors run after the records
# projector (search reads the current state; matching reads both).  Loaded on first use,
# so every way in (CLI, API, rebuild) runs the same projectors.
PROJECTOR_MODULES = (
    "leds.search.projector",
    "leds.matching.realtime",
    "leds.missing.projector",
    "leds.retention.projector",
    "leds.quality.projector",
    "leds.alerts.projector",  # last: it sees every other projector's changes
)
_loaded = False


def register(projector: Projector) -> None:
    _REGISTRY[projector.name] = projector


def registered() -> list[Projector]:
    global _loaded
    if not _loaded:
        from leds.domains import present

        _loaded = True
        for _ in present(PROJECTOR_MODULES):  # importing a module registers its projector
            pass
    return list(_REGISTRY.values())


def quarantined(conn: Connection, rejected: list[Any]) -> None:
    """Tell the projectors that count quarantined lines (``quarantined(conn, rejected)``, e.g.
    data quality's ingest.accepted) about a batch's rejections, in the batch's transaction."""
    if rejected:
        for projector in registered():
            hook = getattr(projector, "quarantined", None)
            if hook is not None:
                hook(conn, rejected)


def identity_changed(conn: Connection, events: list[Any], origin: dict[str, Any]) -> None:
    """Tell the projectors that follow national person ids (``identity_changed(conn, events,
    origin)``, e.g. alerts: a merge or a split is news to a person's subscribers) about
    matching's identity events, in the transaction that makes them.  ``origin`` says what
    made them (``{"by": "batch", "run_id": ...}``, ``{"by": "judgement", ...}``)."""
    if events:
        for projector in registered():
            hook = getattr(projector, "identity_changed", None)
            if hook is not None:
                hook(conn, events, origin)


def _chunks(seq: list, n: int = 500):  # type: ignore[no-untyped-def, type-arg]
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class RecordsProjector:
    """Current state (``records``), history (``record_versions``) and outgoing
    references (``record_refs``) of every record."""

    name = "records"
    tables: Sequence[Table] = (records, record_versions, record_refs)

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        if not items:
            return
        insert_rows(conn, record_versions, VERSION_COLUMNS, [
            (a.rkey, a.force, a.source, a.sequence, a.op, a.dataset, a.handling, a.issued_at)
            for a in items
        ])

        # The newest of this batch for each record; it wins only over an older current state.
        newest: dict[str, Accepted] = {}
        for a in items:
            cur = newest.get(a.rkey)
            if cur is None or a.sequence > cur.sequence:
                newest[a.rkey] = a
        seen_before = [k for k, a in newest.items() if not a.new_record]
        current: dict[str, int] = dict(select_in(conn, records, ("rkey", "sequence"), "rkey", seen_before))
        fresh = [a for k, a in newest.items() if k not in current]
        newer = [a for k, a in newest.items() if k in current and a.sequence > current[k]]
        insert_rows(conn, records, RECORD_COLUMNS, [_row(a) for a in fresh])
        update_rows(conn, records, RECORD_COLUMNS[5:], "rkey = ? AND sequence < ?",
                    [(*_row(a)[5:], a.rkey, a.sequence) for a in newer])
        changed = fresh + newer
        for a in items:  # reset too: a batch retried after a failed transaction reuses its items
            a.current = False
        for a in changed:
            a.current = True
        if not changed:
            return
        self._project_refs(conn, changed)

    def _project_refs(self, conn: Connection, changed: list[Accepted]) -> None:
        with_refs = [a for a in changed if a.rtype in ("marker", "link", "missing_episode")]
        for chunk in _chunks([a.rkey for a in with_refs]):
            conn.execute(delete(record_refs).where(record_refs.c.rkey.in_(chunk)))
        new_refs = [(a.rkey, role, target) for a in with_refs for role, target in a.refs()]
        live = {r[0] for r in select_in(conn, records, ("rkey",), "rkey", sorted({t for _, _, t in new_refs}),
                                        "deleted = ?", (False,))}
        insert_rows(conn, record_refs, ("rkey", "role", "target", "resolved"),
                    [(k, role, t, t in live) for k, role, t in new_refs])
        # References that point at a record whose existence just changed.
        targeted = {r[0] for r in select_in(conn, record_refs, ("target",), "target", [a.rkey for a in changed])}
        update_rows(conn, record_refs, ("resolved",), "target = ?",
                    [(a.op != "delete", a.rkey) for a in changed if a.rkey in targeted])


VERSION_COLUMNS = ("rkey", "force", "source", "sequence", "op", "dataset", "handling", "issued_at")
RECORD_COLUMNS = ("rkey", "force", "source", "rtype", "ref",
                  "sequence", "deleted", "dataset", "handling", "sharing", "issued_at", "data")


def _row(a: Accepted) -> tuple[object, ...]:
    deleted = a.op == "delete"
    return (a.rkey, a.force, a.source, a.rtype, a.ref, a.sequence, deleted,
            None if deleted else a.dataset, None if deleted else a.handling, None if deleted else a.sharing,
            a.issued_at, a.data_json)


register(RecordsProjector())

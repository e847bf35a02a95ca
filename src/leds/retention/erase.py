"""Disposal and lawful erasure: destroy each record's data key and remove its personal data
from every projection, then prove it with a signed receipt in the audit trail.

What is removed, for each record erased (in one transaction):

* its data key (``record_keys.dek`` set to NULL): every log payload of the record becomes
  unreadable; the log rows (envelope, ciphertext, keyed hash) stay, so history is never
  rewritten and ``leds rebuild`` and ``leds audit verify`` still pass;
* every row naming it in a table that has an ``rkey`` column (records, record_versions,
  record_refs, search indexes, matching features and blocking keys, national person ids,
  alerts, the retention schedule, ...): found from the schema, so a new projection is
  covered without a change here; matching's review pairs and judgements that name it;
* its quarantined lines (and their spill files), which hold raw updategrams;
* the record's place in its national person: the rest of the cluster is re-resolved without
  it (:func:`leds.retention.forget.recluster`).

On SQLite every connection runs with ``PRAGMA secure_delete=ON`` (``leds.db.engine``): a deleted
row's cell, and a freed page, are overwritten with zeros as they are freed, in ingest as in
erasure, so no free page or free cell keeps a copy.  Erasure then merges each full-text
index it touched into one segment (``optimize``: FTS5 before 3.42 has no ``secure-delete``
and keeps a deleted document's terms in old segments until they are merged; the old
segments' pages are then zeroed), and checkpoints the WAL with ``TRUNCATE`` (old page images
of the erased rows are in WAL frames until then).  No VACUUM: its cost grows with the store,
and secure delete makes it unnecessary (a store written before secure delete was on needs
one VACUUM: docs/retention.md).  ``tests/retention/test_erasure.py`` scans every byte under
LEDS_HOME for the erased strings, and for the terms the full-text index held.

A shared event keeps its key: erasing a person removes their person records, the markers
on them, the links from and to them, and the events, places and objects that only they are
linked to; anything another person's link also reaches is kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, and_, delete, func, select, update

from leds.config import Settings
from leds.db.bulk import select_in
from leds.db.engine import write_transaction
from leds.db.schema import metadata, quarantine, record_keys, record_refs, records
from leds.errors import BadRequest, Conflict, NotFound

from .forget import (
    affected_ids,
    erased_values,
    existing_tables,
    forget_in_model_files,
    forget_in_models,
    gone_values,
    recluster,
)
from .tables import erasure_receipts, retention_holds, rights_requests

# Tables that keep naming a record after its erasure, on purpose: the log (ciphertext only),
# the keystore (the destroyed key's tombstone), the data subject's own requests and receipts.
_KEEP = frozenset({"log", "record_keys", "rights_requests", "erasure_receipts", "retention_holds"})
_NOT_FOUND = "no such person or record (or it was already erased)"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _chunks(keys: list[str], n: int = 400) -> list[list[str]]:
    return [keys[i : i + n] for i in range(0, len(keys), n)]


# -- what a person is made of ---------------------------------------------------------------
def person_records(conn: Connection, person: str) -> list[str]:
    """The person records of a national person id (``NP-...``), or the one person record
    named by its key; :class:`NotFound` otherwise."""
    from leds.matching.tables import person_ids

    members = [
        r[0]
        for r in conn.execute(select(person_ids.c.rkey).where(person_ids.c.person_id == person))
    ]
    if not members:
        members = [
            r[0]
            for r in conn.execute(
                select(records.c.rkey).where(
                    records.c.rkey == person,
                    records.c.rtype == "person",
                    records.c.deleted.is_(False),
                )
            )
        ]
    live = _live(conn, members)
    if not live:
        raise NotFound(_NOT_FOUND)
    return sorted(live)


def _live(conn: Connection, rkeys: list[str]) -> set[str]:
    """The keys whose data key still exists."""
    return (
        {r[0] for r in select_in(conn, record_keys, ("rkey",), "rkey", rkeys, "dek IS NOT NULL")}
        if rkeys
        else set()
    )


@dataclass
class Scope:
    erase: list[str]  # the records to erase
    kept_shared: list[str] = field(
        default_factory=list
    )  # linked records another person also reaches


def person_scope(conn: Connection, persons: list[str]) -> Scope:
    """The records that are this person's alone: their person records, markers and links on
    them, and what only their links reach.  A record another person's link also reaches is
    kept (a victim and a suspect in one event each keep their own records)."""
    mine = set(persons)
    pointing = {
        r for r, _role, _t in _refs(conn, "target", sorted(mine))
    }  # markers and links on them
    mine |= pointing
    ends = {t for _r, _role, t in _refs(conn, "rkey", sorted(pointing))} - mine
    kept: list[str] = []
    for e in sorted(ends):
        others = {r for r, _role, _t in _refs(conn, "target", [e])} - mine
        if others:
            kept.append(e)
        else:
            mine.add(e)
    return Scope(sorted(_live(conn, sorted(mine))), kept)


def _refs(conn: Connection, key: str, values: list[str]) -> list[tuple[str, str, str]]:
    if not values:
        return []
    return [
        (r[0], r[1], r[2])
        for r in select_in(conn, record_refs, ("rkey", "role", "target"), key, values)
    ]


def check_erasable(conn: Connection, rkeys: list[str]) -> None:
    if not rkeys:
        raise NotFound(_NOT_FOUND)
    held = sorted({r[0] for r in select_in(conn, retention_holds, ("rkey",), "rkey", rkeys)})
    if held:
        raise Conflict(
            f"{len(held)} record(s) are under a legal hold ({held[0]}{', ...' if len(held) > 1 else ''}); "
            "release the hold before erasing"
        )


# -- the erasure itself ------------------------------------------------------------------------
def _rkey_tables() -> list[Table]:
    import leds.alerts.tables  # noqa: F401  (every domain's tables on the metadata, if it exists)
    import leds.matching.tables  # noqa: F401
    import leds.search.tables  # noqa: F401

    return [t for t in metadata.sorted_tables if "rkey" in t.c and t.name not in _KEEP]


def _remove(conn: Connection, rkeys: list[str], reason: str) -> dict[str, int]:
    from leds.matching.tables import judgements, match_review

    counts: dict[str, int] = {}
    at = now()
    # A projection that is not keyed by record (counters) takes the records out itself, as a
    # replay of the log without them would: ``forget(conn, rkeys)``, before the rows go.
    from leds.ingest import projectors

    for p in projectors.registered():
        forget = getattr(p, "forget", None)
        if forget is not None:
            forget(conn, rkeys)
    for chunk in _chunks(rkeys):
        n = conn.execute(
            update(record_keys)
            .where(record_keys.c.rkey.in_(chunk), record_keys.c.dek.is_not(None))
            .values(dek=None, shredded_at=at, shred_reason=reason)
        ).rowcount
        counts["record_keys"] = counts.get("record_keys", 0) + n
    present = existing_tables(conn)
    for table in _rkey_tables():
        if table.name not in present:
            continue
        for chunk in _chunks(rkeys):
            n = conn.execute(delete(table).where(table.c.rkey.in_(chunk))).rowcount
            if n:
                counts[table.name] = counts.get(table.name, 0) + n
    for table in (match_review, judgements):
        if table.name in present:
            for chunk in _chunks(rkeys):
                n = conn.execute(
                    delete(table).where(table.c.rkey_a.in_(chunk) | table.c.rkey_b.in_(chunk))
                ).rowcount
                if n:
                    counts[table.name] = counts.get(table.name, 0) + n
    for chunk in _chunks(rkeys):  # other records' references to an erased record no longer resolve
        conn.execute(
            update(record_refs).where(record_refs.c.target.in_(chunk)).values(resolved=False)
        )
    return counts


def _quarantined(conn: Connection, settings: Settings, rkeys: list[str]) -> int:
    """Delete the quarantined lines that carry one of these records (and their spill files):
    those quarantined under the record's force and source, and those whose envelope could
    not be read when they came in (an oversized line spilled to a file, for one), read again
    here.  A line that does not parse as an updategram cannot be attributed to a record."""
    wanted = {tuple(k.split("|", 3)) for k in rkeys}
    pairs = sorted({(f, s) for f, s, _t, _r in wanted})
    q = quarantine.c
    gone = 0
    for where in [and_(q.force == f, q.source == s) for f, s in pairs] + [q.force.is_(None)]:
        for qid, raw, path in conn.execute(select(q.id, q.raw, q.raw_path).where(where)).all():
            body = raw
            if body is None and path:
                try:
                    body = Path(path).read_bytes()
                except OSError:
                    body = None
            try:
                doc = orjson.loads(body) if body else {}
                rec = doc.get("record") or {}
                key = (doc.get("force"), doc.get("source"), rec.get("type"), rec.get("ref"))
            except (orjson.JSONDecodeError, AttributeError):
                continue
            if key in wanted:
                conn.execute(delete(quarantine).where(q.id == qid))
                if path:
                    _shred_file(settings, Path(path))
                gone += 1
    return gone


def _shred_file(settings: Settings, path: Path) -> None:
    """Overwrite a spill file with zeros, then remove it (only under LEDS_HOME)."""
    try:
        real = path.resolve()
        if settings.home.resolve() not in real.parents or not real.is_file():
            return
        size = real.stat().st_size
        with open(real, "r+b") as f:
            f.write(b"\0" * size)
            f.flush()
        real.unlink()
    except OSError:
        return


@dataclass
class Erased:
    rkeys: list[str]
    counts: dict[str, int]
    matching: dict[str, Any]
    kept_shared: list[str]
    seconds: float = 0.0


def erase_records(
    engine: Engine,
    settings: Settings,
    rkeys: list[str],
    *,
    reason: str,
    kept_shared: list[str] | None = None,
) -> Erased:
    """Destroy the keys of ``rkeys`` and remove them from every projection, in one
    transaction (secure delete on SQLite), then scrub the SQLite files."""
    import time

    t0 = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # on for every connection (leds.db.engine); asked again so it cannot be missed
            _raw(conn).execute("PRAGMA secure_delete=ON")
        with write_transaction(conn):
            check_erasable(conn, rkeys)
            pids = affected_ids(conn, rkeys)
            values = erased_values(conn, rkeys)
            counts = _remove(conn, rkeys, reason)
            counts["quarantine"] = _quarantined(conn, settings, rkeys)
            matching = recluster(conn, pids, _KEEP)
            gone = gone_values(conn, values)
            matching["models_rewritten"] = forget_in_models(conn, gone)
            if sqlite:
                counts["fts_merged"] = merge_fulltext(conn, counts)
        matching["model_files_rewritten"] = forget_in_model_files(settings, gone)
        if sqlite:
            counts["wal_truncated"] = int(scrub_sqlite(conn))
    return Erased(rkeys, counts, matching, kept_shared or [], time.perf_counter() - t0)


def _raw(conn: Connection) -> Any:
    """The driver's own connection (PRAGMA and checkpoints run outside SQLAlchemy's transactions)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def fulltext_indexes(conn: Connection) -> dict[str, str]:
    """SQLite's FTS5 indexes, by the table whose text they index (``content=``)."""
    out = {}
    for name, sql in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
    ):
        m = re.search(r"content\s*=\s*'?(\w+)", sql or "")
        out[m.group(1) if m else name] = name
    return out


def merge_fulltext(conn: Connection, removed: dict[str, int]) -> int:
    """Merge each full-text index that lost rows into one segment (FTS5 ``optimize``), in
    the erasure's transaction: a deleted document's terms leave the old segments, whose
    pages secure delete then zeroes.  Its cost grows with the index (bench_retention.py)."""
    n = 0
    for content, fts in fulltext_indexes(conn).items():
        if removed.get(content):
            conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")  # noqa: S608 (names from sqlite_master)
            n += 1
    return n


def scrub_sqlite(conn: Connection, tries: int = 50) -> bool:
    """Empty the WAL (checkpoint TRUNCATE): the old page images of what erasure removed are
    in its frames until then.  A reader part-way through a read can hold the checkpoint
    back; it is tried again for up to ~5 s.  True when the WAL was emptied."""
    import time

    raw = _raw(conn)
    for _ in range(tries):
        busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        time.sleep(0.1)
    return False


# -- receipts ----------------------------------------------------------------------------------
def receipt_body(
    kind: str, erased: Erased, *, actor: str, reason: str, authority: str, person: str | None
) -> dict[str, Any]:
    return {
        "receipt": "leds-erasure-1",
        "kind": kind,
        "at": now(),
        "actor": actor,
        "reason": reason,
        "authority": authority,
        "person": person,
        "records": erased.rkeys,
        "record_count": len(erased.rkeys),
        "kept_shared": erased.kept_shared,
        "removed": erased.counts,
        "matching": erased.matching,
        "method": "data key destroyed (crypto-shredding); rows removed from every projection"
        " (secure delete, full-text index merged, WAL truncated on SQLite)",
        "records_sha256": hashlib.sha256("\n".join(erased.rkeys).encode()).hexdigest(),
    }


def sign_and_record(
    engine: Engine, settings: Settings, body: dict[str, Any], subjects: list[str]
) -> dict[str, Any]:
    """Sign the receipt with the audit key, keep it, and write the s62 'erasure' entry."""
    from leds.audit import AuditEvent, get_writer
    from leds.audit.keys import get_signer

    signer = get_signer(settings)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    signature = signer.sign(canonical)
    audit_id = get_writer(settings).record(
        AuditEvent(
            action="erasure",
            actor=body["actor"],
            purpose="retention",
            reason=body["reason"][:500],
            subjects=tuple(subjects[:1000]),
            detail={
                "kind": body["kind"],
                "authority": body["authority"],
                "records": body["record_count"],
                "records_sha256": body["records_sha256"],
                "signature": signature,
                "key_id": signer.key_id,
            },
        )
    )
    with engine.connect() as conn, write_transaction(conn):
        rid = conn.execute(
            erasure_receipts.insert().values(  # type: ignore[index]
                at=body["at"],
                kind=body["kind"],
                receipt=canonical.decode(),
                signature=signature,
                key_id=signer.key_id,
                audit_id=audit_id,
            )
        ).inserted_primary_key[0]
    return {
        **body,
        "receipt_id": int(rid),
        "audit_entry": audit_id,
        "signature": signature,
        "key_id": signer.key_id,
    }


def verify_receipt(settings: Settings, receipt: str, signature: str) -> bool:
    from leds.audit.keys import get_signer, verify_signature

    return verify_signature(get_signer(settings).public, receipt.encode(), signature)


def erase(
    engine: Engine,
    settings: Settings,
    *,
    person: str | None,
    record: str | None,
    reason: str,
    authority: str,
    actor: str,
    kind: str = "erasure",
) -> dict[str, Any]:
    """``leds erase``: erase a person (national id or person record key) or one record.
    Bad input changes nothing: an unknown person or record (404), no reason or authority
    (400), a record under legal hold (409)."""
    if (person is None) == (record is None):
        raise BadRequest("give one of a person or a record")
    if not reason.strip() or not authority.strip():
        raise BadRequest(
            "an erasure needs a reason and the authority for it (e.g. the request reference)"
        )
    with engine.connect() as conn:
        if person is not None:
            scope = person_scope(conn, person_records(conn, person))
        else:
            live = sorted(_live(conn, [record or ""]))
            exists = conn.execute(
                select(func.count()).select_from(records).where(records.c.rkey == record)
            ).scalar()
            if not live or not exists:
                raise NotFound(_NOT_FOUND)
            scope = Scope(live)
        check_erasable(conn, scope.erase)
    erased = erase_records(
        engine,
        settings,
        scope.erase,
        reason=f"{kind}: {authority}"[:500],
        kept_shared=scope.kept_shared,
    )
    body = receipt_body(
        kind, erased, actor=actor, reason=reason, authority=authority, person=person
    )
    out = sign_and_record(engine, settings, body, [*([person] if person else []), *scope.erase])
    out["seconds"] = round(erased.seconds, 3)
    with engine.connect() as conn, write_transaction(conn):
        if person is not None:  # an erasure request for this person is done
            conn.execute(
                update(rights_requests)
                .where(
                    rights_requests.c.person_id == person,
                    rights_requests.c.kind == "erasure",
                    rights_requests.c.status.in_(("open", "with_force")),
                )
                .values(
                    status="done",
                    decision=f"erased: receipt {out['receipt_id']}",
                    decided_at=now(),
                    decided_by=actor,
                )
            )
    return out

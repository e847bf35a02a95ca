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
  it (:func:`_recluster`).

On SQLite the transaction runs with ``PRAGMA secure_delete=ON`` (freed cells and pages are
zeroed), the full-text index is merged into one segment (``optimize``: FTS5 before 3.44 keeps
deleted terms in old segments until a merge), the store is ``VACUUM``-ed (free pages and
free space left by earlier updates, written before secure delete was on) and the WAL is
checkpointed with ``TRUNCATE``.  ``tests/retention/test_erasure.py`` scans every byte under
LEDS_HOME for the erased strings.

A shared event keeps its key: erasing a person removes their person records, the markers
on them, the links from and to them, and the events, places and objects that only they are
linked to; anything another person's link also reaches is kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, delete, func, select, update

from leds.config import Settings
from leds.db.bulk import select_in
from leds.db.engine import write_transaction
from leds.db.schema import metadata, quarantine, record_keys, record_refs, records
from leds.errors import BadRequest, Conflict, NotFound

from .tables import erasure_receipts, retention_holds, rights_requests

# Tables that keep naming a record after its erasure, on purpose: the log (ciphertext only),
# the keystore (the destroyed key's tombstone), the data subject's own requests and receipts.
_KEEP = frozenset({"log", "record_keys", "rights_requests", "erasure_receipts", "retention_holds"})
_NOT_FOUND = "no such person or record (or it was already erased)"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _chunks(keys: list[str], n: int = 400) -> list[list[str]]:
    return [keys[i:i + n] for i in range(0, len(keys), n)]


# -- what a person is made of ---------------------------------------------------------------
def person_records(conn: Connection, person: str) -> list[str]:
    """The person records of a national person id (``NP-...``), or the one person record
    named by its key; :class:`NotFound` otherwise."""
    from leds.matching.tables import person_ids

    members = [r[0] for r in conn.execute(select(person_ids.c.rkey).where(person_ids.c.person_id == person))]
    if not members:
        members = [r[0] for r in conn.execute(select(records.c.rkey).where(
            records.c.rkey == person, records.c.rtype == "person", records.c.deleted.is_(False)))]
    live = _live(conn, members)
    if not live:
        raise NotFound(_NOT_FOUND)
    return sorted(live)


def _live(conn: Connection, rkeys: list[str]) -> set[str]:
    """The keys whose data key still exists."""
    return {r[0] for r in select_in(conn, record_keys, ("rkey",), "rkey", rkeys, "dek IS NOT NULL")} if rkeys else set()


@dataclass
class Scope:
    erase: list[str]  # the records to erase
    kept_shared: list[str] = field(default_factory=list)  # linked records another person also reaches


def person_scope(conn: Connection, persons: list[str]) -> Scope:
    """The records that are this person's alone: their person records, markers and links on
    them, and what only their links reach.  A record another person's link also reaches is
    kept (a victim and a suspect in one event each keep their own records)."""
    mine = set(persons)
    pointing = {r for r, _role, _t in _refs(conn, "target", sorted(mine))}  # markers and links on them
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
    return [(r[0], r[1], r[2]) for r in select_in(conn, record_refs, ("rkey", "role", "target"), key, values)]


def check_erasable(conn: Connection, rkeys: list[str]) -> None:
    if not rkeys:
        raise NotFound(_NOT_FOUND)
    held = sorted({r[0] for r in select_in(conn, retention_holds, ("rkey",), "rkey", rkeys)})
    if held:
        raise Conflict(f"{len(held)} record(s) are under a legal hold ({held[0]}{', ...' if len(held) > 1 else ''}); "
                       "release the hold before erasing")


# -- the erasure itself ------------------------------------------------------------------------
def _rkey_tables() -> list[Table]:
    import leds.alerts.tables  # noqa: F401  (every domain's tables on the metadata, if it exists)
    import leds.matching.tables  # noqa: F401
    import leds.search.tables  # noqa: F401

    return [t for t in metadata.sorted_tables if "rkey" in t.c and t.name not in _KEEP]


def _existing(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


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
        n = conn.execute(update(record_keys).where(record_keys.c.rkey.in_(chunk), record_keys.c.dek.is_not(None))
                         .values(dek=None, shredded_at=at, shred_reason=reason)).rowcount
        counts["record_keys"] = counts.get("record_keys", 0) + n
    present = _existing(conn)
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
                n = conn.execute(delete(table).where(table.c.rkey_a.in_(chunk) | table.c.rkey_b.in_(chunk))).rowcount
                if n:
                    counts[table.name] = counts.get(table.name, 0) + n
    for chunk in _chunks(rkeys):  # other records' references to an erased record no longer resolve
        conn.execute(update(record_refs).where(record_refs.c.target.in_(chunk)).values(resolved=False))
    return counts


def _quarantined(conn: Connection, settings: Settings, rkeys: list[str]) -> int:
    """Delete the quarantined lines that carry one of these records (and their spill files)."""
    wanted = {tuple(k.split("|", 3)) for k in rkeys}
    pairs = {(f, s) for f, s, _t, _r in wanted}
    gone = 0
    for force, source in sorted(pairs):
        rows = conn.execute(select(quarantine.c.id, quarantine.c.raw, quarantine.c.raw_path)
                            .where(quarantine.c.force == force, quarantine.c.source == source)).all()
        for qid, raw, path in rows:
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
                conn.execute(delete(quarantine).where(quarantine.c.id == qid))
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


def _affected_ids(conn: Connection, rkeys: list[str]) -> list[str]:
    """The national person ids that erased records belong to (read before they are removed)."""
    from leds.matching.tables import person_ids

    if "person_ids" not in _existing(conn):
        return []
    return sorted({p for _r, p in select_in(conn, person_ids, ("rkey", "person_id"), "rkey", rkeys)})


def _recluster(conn: Connection, pids: list[str]) -> dict[str, Any]:
    """Re-resolve each national person an erased record was part of, without it: the
    remaining records are clustered again under the current model (a link that ran through
    the erased record no longer holds them together), and each part after the first gets a
    new id ('split' in the identity log); an id with no record left is retired."""
    from leds.matching import store
    from leds.matching.clusters import IdentityEvent, cluster, succeed

    model = store.current_model(conn) if pids else None
    split = 0
    retired: list[str] = []
    for pid in pids:
        members = store.members_of(conn, pid)
        if not members:
            store.log_events(conn, [IdentityEvent("retire", [pid], [])], "its records were erased",
                             model_version=model.version if model else None)
            retired.append(pid)
            continue
        if model is None or len(members) < 2:
            continue
        feats = store.features_of(conn, members)
        pairs = [(a, b, model.score(feats[a], feats[b])) for i, a in enumerate(members) for b in members[i + 1:]]
        verdicts = {k: v for k, v in store.latest_verdicts(conn).items() if k[0] in feats and k[1] in feats}
        res = cluster(members, pairs, model.threshold, verdicts, {r: feats[r].get("pnc") for r in members}, feats,
                      shared_names=model.shared_names)
        comps = list(res.members.values())
        if len(comps) < 2:
            continue
        assign, events = succeed({r: pid for r in members}, comps)
        store.set_person_ids(conn, {r: p for r, p in assign.items() if p != pid}, "erasure")
        store.log_events(conn, events, "re-resolved after an erasure", model_version=model.version)
        split += 1
    gone = _forget_person_ids(conn, retired)
    return {"person_ids_affected": len(pids), "split": split, "retired": len(retired), "rows_naming_them": gone}


def _forget_person_ids(conn: Connection, retired: list[str]) -> int:
    """Rows of other projections that name a retired national person id (an alert about
    the person, for example) go with it."""
    if not retired:
        return 0
    present = _existing(conn)
    n = 0
    for table in metadata.sorted_tables:
        if "person_id" in table.c and table.name not in _KEEP | {"person_ids"} and table.name in present:
            n += conn.execute(delete(table).where(table.c.person_id.in_(retired))).rowcount
    return n


_NOT_VALUES = frozenset({"unique_id", "force", "source", "ref"})


def _erased_values(conn: Connection, rkeys: list[str]) -> set[str]:
    """The matching feature values of erased person records (read before they are removed)."""
    from leds.matching import store

    if "person_ids" not in _existing(conn):
        return set()
    out: set[str] = set()
    for f in store.features_of(conn, [k for k in rkeys if k.split("|")[2:3] == ["person"]]).values():
        for col, v in f.items():
            if col not in _NOT_VALUES:
                out.update(x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str) and len(x) >= 2)
    return out


def _gone_values(conn: Connection, values: set[str]) -> set[str]:
    """Of ``values``, those no remaining record's matching features hold."""
    from leds.matching.tables import person_ids

    return {v for v in values if conn.execute(select(person_ids.c.rkey).where(
        person_ids.c.features.contains(orjson.dumps(v).decode())).limit(1)).first() is None}


def _forget_in_model(doc: dict[str, Any], gone: set[str]) -> bool:
    """Drop values nobody holds any more from a person model's term frequencies and full-name
    lists (a model trained on the store lists every surname and forename it saw)."""
    changed = False
    for table in (doc.get("term_frequencies") or {}).values():
        for v in [k for k in table if k in gone]:
            del table[v]
            changed = True

    def named(key: str) -> bool:
        return any(t in gone for t in key.replace("|", " ").split())

    if isinstance(doc.get("full_names"), dict):
        for k in [k for k in doc["full_names"] if named(k)]:
            del doc["full_names"][k]
            changed = True
    if isinstance(doc.get("shared_full_names"), list):
        kept = [k for k in doc["shared_full_names"] if not named(k)]
        changed |= len(kept) != len(doc["shared_full_names"])
        doc["shared_full_names"] = kept
    return changed


def _forget_in_models(conn: Connection, gone: set[str]) -> int:
    """The stored models (``match_models``), in the erasure transaction."""
    from leds.matching import store
    from leds.matching.tables import match_models

    if not gone or "match_models" not in _existing(conn):
        return 0
    n = 0
    for version, text in conn.execute(select(match_models.c.version, match_models.c.doc)).all():
        doc = json.loads(text)
        if _forget_in_model(doc, gone):
            conn.execute(update(match_models).where(match_models.c.version == version).values(doc=json.dumps(doc)))
            store._PARSED.clear()  # parsed copies of the old text
            n += 1
    return n


def _forget_in_model_files(settings: Settings, gone: set[str]) -> int:
    """The model files under LEDS_HOME/models/, rewritten in place (same file, same inode)."""
    from leds.matching.model import models_dir

    n = 0
    d = models_dir(settings)
    for path in sorted(d.glob("*.json")) if gone and d.is_dir() else []:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and _forget_in_model(doc, gone):
            body = json.dumps(doc, indent=1, sort_keys=True).encode()
            with open(path, "r+b") as f:
                size = f.seek(0, 2)
                f.seek(0)
                f.write(body + b" " * max(0, size - len(body)))  # overwrite every old byte
                f.truncate(len(body))
            n += 1
    return n


@dataclass
class Erased:
    rkeys: list[str]
    counts: dict[str, int]
    matching: dict[str, Any]
    kept_shared: list[str]
    seconds: float = 0.0


def erase_records(engine: Engine, settings: Settings, rkeys: list[str], *, reason: str,
                  kept_shared: list[str] | None = None) -> Erased:
    """Destroy the keys of ``rkeys`` and remove them from every projection, in one
    transaction (secure delete on SQLite), then scrub the SQLite files."""
    import time

    t0 = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            _raw(conn).execute("PRAGMA secure_delete=ON")
        try:
            with write_transaction(conn):
                check_erasable(conn, rkeys)
                pids = _affected_ids(conn, rkeys)
                values = _erased_values(conn, rkeys)
                counts = _remove(conn, rkeys, reason)
                counts["quarantine"] = _quarantined(conn, settings, rkeys)
                matching = _recluster(conn, pids)
                gone = _gone_values(conn, values)
                matching["models_rewritten"] = _forget_in_models(conn, gone)
                if sqlite and counts.get("search_text"):
                    conn.exec_driver_sql("INSERT INTO search_text_fts(search_text_fts) VALUES ('optimize')")
            matching["model_files_rewritten"] = _forget_in_model_files(settings, gone)
            if sqlite:
                scrub_sqlite(conn)
        finally:
            if sqlite:
                _raw(conn).execute("PRAGMA secure_delete=OFF")
    return Erased(rkeys, counts, matching, kept_shared or [], time.perf_counter() - t0)


def _raw(conn: Connection) -> Any:
    """The driver's own connection (PRAGMA and VACUUM run outside SQLAlchemy's transactions)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return raw


def scrub_sqlite(conn: Connection) -> None:
    """Rewrite the SQLite file without free pages or stale free space (VACUUM), and empty the
    WAL (checkpoint TRUNCATE): what erasure removed is then in no file under LEDS_HOME."""
    raw = _raw(conn)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.execute("VACUUM")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- receipts ----------------------------------------------------------------------------------
def receipt_body(kind: str, erased: Erased, *, actor: str, reason: str, authority: str,
                 person: str | None) -> dict[str, Any]:
    return {
        "receipt": "leds-erasure-1", "kind": kind, "at": now(), "actor": actor, "reason": reason,
        "authority": authority, "person": person, "records": erased.rkeys, "record_count": len(erased.rkeys),
        "kept_shared": erased.kept_shared, "removed": erased.counts,
        "matching": erased.matching,
        "method": "data key destroyed (crypto-shredding); rows removed from every projection"
                  " (secure delete, FTS optimize, VACUUM, WAL truncated on SQLite)",
        "records_sha256": hashlib.sha256("\n".join(erased.rkeys).encode()).hexdigest(),
    }


def sign_and_record(engine: Engine, settings: Settings, body: dict[str, Any], subjects: list[str]) -> dict[str, Any]:
    """Sign the receipt with the audit key, keep it, and write the s62 'erasure' entry."""
    from leds.audit import AuditEvent, get_writer
    from leds.audit.keys import get_signer

    signer = get_signer(settings)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    signature = signer.sign(canonical)
    audit_id = get_writer(settings).record(AuditEvent(
        action="erasure", actor=body["actor"], purpose="retention", reason=body["reason"][:500],
        subjects=tuple(subjects[:1000]),
        detail={"kind": body["kind"], "authority": body["authority"], "records": body["record_count"],
                "records_sha256": body["records_sha256"], "signature": signature, "key_id": signer.key_id}))
    with engine.connect() as conn, write_transaction(conn):
        rid = conn.execute(erasure_receipts.insert().values(  # type: ignore[index]
            at=body["at"], kind=body["kind"], receipt=canonical.decode(), signature=signature,
            key_id=signer.key_id, audit_id=audit_id)).inserted_primary_key[0]
    return {**body, "receipt_id": int(rid), "audit_entry": audit_id, "signature": signature,
            "key_id": signer.key_id}


def verify_receipt(settings: Settings, receipt: str, signature: str) -> bool:
    from leds.audit.keys import get_signer, verify_signature

    return verify_signature(get_signer(settings).public, receipt.encode(), signature)


def erase(engine: Engine, settings: Settings, *, person: str | None, record: str | None, reason: str,
          authority: str, actor: str, kind: str = "erasure") -> dict[str, Any]:
    """``leds erase``: erase a person (national id or person record key) or one record.
    Bad input changes nothing: an unknown person or record (404), no reason or authority
    (400), a record under legal hold (409)."""
    if (person is None) == (record is None):
        raise BadRequest("give one of a person or a record")
    if not reason.strip() or not authority.strip():
        raise BadRequest("an erasure needs a reason and the authority for it (e.g. the request reference)")
    with engine.connect() as conn:
        if person is not None:
            scope = person_scope(conn, person_records(conn, person))
        else:
            live = sorted(_live(conn, [record or ""]))
            exists = conn.execute(select(func.count()).select_from(records).where(records.c.rkey == record)).scalar()
            if not live or not exists:
                raise NotFound(_NOT_FOUND)
            scope = Scope(live)
        check_erasable(conn, scope.erase)
    erased = erase_records(engine, settings, scope.erase, reason=f"{kind}: {authority}"[:500],
                           kept_shared=scope.kept_shared)
    body = receipt_body(kind, erased, actor=actor, reason=reason, authority=authority, person=person)
    out = sign_and_record(engine, settings, body, [*([person] if person else []), *scope.erase])
    out["seconds"] = round(erased.seconds, 3)
    with engine.connect() as conn, write_transaction(conn):
        if person is not None:  # an erasure request for this person is done
            conn.execute(update(rights_requests).where(rights_requests.c.person_id == person,
                                                       rights_requests.c.kind == "erasure",
                                                       rights_requests.c.status.in_(("open", "with_force")))
                         .values(status="done", decision=f"erased: receipt {out['receipt_id']}", decided_at=now(),
                                 decided_by=actor))
    return out

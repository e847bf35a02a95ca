"""Reads and writes of matching's own tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, insert, select

from leds.db.bulk import insert_rows, select_in, update_rows
from leds.ingest.projectors import identity_changed

from .clusters import IdentityEvent
from .comparisons import block_keys
from .features import FEATURE_COLUMNS
from .model import MatchModel, ModelError, now
from .models import Verdict
from .tables import (
    identity_log,
    judgements,
    match_keys,
    match_models,
    match_review,
    match_runs,
    person_ids,
)

VERDICTS = tuple(Verdict)
JUDGE_MAX = 128  # judgements.by (a principal id: "user:" and a username of up to 64)


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


# -- models -----------------------------------------------------------------------------
_PARSED: dict[tuple[str, int], MatchModel] = {}  # (store, version) -> model, parsed once


def register_model(conn: Connection, model: MatchModel) -> None:
    _PARSED.pop((str(conn.engine.url), model.version), None)
    conn.execute(delete(match_models).where(match_models.c.version == model.version))
    conn.execute(insert(match_models).values(version=model.version, created_at=model.created_at,
                                             doc=json.dumps(model.to_json())))


def current_model_version(conn: Connection) -> int | None:
    v = conn.execute(select(func.max(match_models.c.version))).scalar()
    return int(v) if v is not None else None


def cached_model(conn: Connection, version: int) -> MatchModel:
    """A registered model, parsed from the store once per process (re-registering a version
    drops the parsed copy)."""
    key = (str(conn.engine.url), version)
    if key not in _PARSED:
        _PARSED[key] = model_from_db(conn, version)
    return _PARSED[key]


def current_model(conn: Connection) -> MatchModel | None:
    """The newest registered model, or None before the first `leds match`."""
    version = current_model_version(conn)
    return cached_model(conn, version) if version is not None else None


def model_from_db(conn: Connection, version: int) -> MatchModel:
    doc = conn.execute(select(match_models.c.doc).where(match_models.c.version == version)).scalar()
    if doc is None:
        raise ModelError(f"model version {version} is not registered in the store")
    return MatchModel.from_json(json.loads(doc), f"model v{version} in the store")


# -- judgements ---------------------------------------------------------------------------
def latest_verdicts(conn: Connection) -> dict[tuple[str, str], str]:
    """The latest judgement on each pair (judgements are append-only; a newer one overrides)."""
    out: dict[tuple[str, str], str] = {}
    for a, b, v in conn.execute(select(judgements.c.rkey_a, judgements.c.rkey_b, judgements.c.verdict)
                                .order_by(judgements.c.id)):
        out[(a, b)] = v
    return out


def add_judgement(conn: Connection, a: str, b: str, verdict: str, by: str, why: str) -> int:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if a == b:
        raise ValueError("a judgement needs two different records")
    if not by.strip() or not why.strip():
        raise ValueError("a judgement needs who made it (--by) and why (--why)")
    if len(by) > JUDGE_MAX:
        raise ValueError(f"who made a judgement is at most {JUDGE_MAX} characters")
    lo, hi = pair(a, b)
    res = conn.execute(insert(judgements).values(rkey_a=lo, rkey_b=hi, verdict=verdict, by=by, why=why, at=now()))
    return int(res.inserted_primary_key[0])  # type: ignore[index]


# -- assignments -----------------------------------------------------------------------
def assignments(conn: Connection, rkeys: Iterable[str] | None = None) -> dict[str, str]:
    """National person id of each record key (all of them when ``rkeys`` is None)."""
    if rkeys is not None:
        keys = list(dict.fromkeys(rkeys))
        return {r: p for r, p in select_in(conn, person_ids, ("rkey", "person_id"), "rkey", keys,
                                           index="ix_person_ids_rkey_person_id")} if keys else {}
    return {r: p for r, p in conn.execute(select(person_ids.c.rkey, person_ids.c.person_id))}


def matched_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(person_ids)).scalar_one())


def members_of(conn: Connection, person_id: str) -> list[str]:
    return sorted(r[0] for r in select_in(conn, person_ids, ("rkey",), "person_id", [person_id]))


def features_of(conn: Connection, rkeys: Iterable[str]) -> dict[str, dict[str, Any]]:
    keys = list(rkeys)
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), 500):
        for r, f in conn.execute(select(person_ids.c.rkey, person_ids.c.features)
                                 .where(person_ids.c.rkey.in_(keys[i:i + 500]))):
            row = orjson.loads(f)
            if len(row) < len(FEATURE_COLUMNS):  # written by an earlier version: no newer features
                for c in FEATURE_COLUMNS:
                    row.setdefault(c, None)
            out[r] = row
    return out


OldRow = tuple[str, str, str, int | None]  # person id, features JSON, assigned_by, model version


def current_rows(conn: Connection) -> dict[str, OldRow]:
    """Every matched record as the last run (or the real-time matcher) left it."""
    q = select(person_ids.c.rkey, person_ids.c.person_id, person_ids.c.features, person_ids.c.assigned_by,
               person_ids.c.model_version).execution_options(yield_per=50_000)  # this statement only
    return {r: (p, f, by, v) for r, p, f, by, v in conn.execute(q)}


def last_blocking(conn: Connection) -> str | None:
    """The blocking-rule fingerprint of the last finished run (None before any)."""
    doc = conn.execute(select(match_runs.c.summary).where(match_runs.c.finished_at.is_not(None))
                       .order_by(match_runs.c.id.desc()).limit(1)).scalar()
    return json.loads(doc).get("blocking") if doc else None


def write_assignments(conn: Connection, rows: list[dict[str, Any]], assign: dict[str, str], model_version: int,
                      old: dict[str, OldRow], *, rekey: bool = False) -> dict[str, int]:
    """A full run's ids, features and blocking keys, writing only what changed since ``old``
    (:func:`current_rows`): a re-run over an unchanged store rewrites nothing.  A row is
    rewritten when its person id, its features or its model version changed, or when it
    was last assigned by the real-time matcher or a judgement.  Returns counts."""
    at = now()
    new_rows: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    old_keys: list[tuple[str, str]] = []
    new_keys: list[tuple[str, str]] = []
    for r in rows:
        rkey = r["unique_id"]
        feats = orjson.dumps(r).decode()
        prev = old.get(rkey)
        if prev is None:
            new_rows.append((rkey, assign[rkey], feats, "batch", at, model_version))
            new_keys.extend((k, rkey) for k in block_keys(r))
        elif prev[0] != assign[rkey] or prev[1] != feats or prev[2] != "batch" or prev[3] != model_version:
            changed.append((assign[rkey], feats, "batch", at, model_version, rkey))
            if prev[1] != feats:
                before, after = set(block_keys(orjson.loads(prev[1]))), set(block_keys(r))
                old_keys.extend((k, rkey) for k in before - after)
                new_keys.extend((k, rkey) for k in after - before)
    if rekey:  # the blocking rules changed: every record's keys are rebuilt
        conn.execute(delete(match_keys))
        old_keys = []
        new_keys = [(k, r["unique_id"]) for r in rows for k in block_keys(r)]
    seen = {r["unique_id"] for r in rows}
    gone = [rkey for rkey in old if rkey not in seen]
    for rkey in gone if not rekey else ():
        old_keys.extend((k, rkey) for k in block_keys(orjson.loads(old[rkey][1])))
    new_rows.sort()  # primary-key order: appends to the B-trees, not scattered inserts
    new_keys.sort()
    if old_keys:
        conn.execute(delete(match_keys).where(match_keys.c.key == bindparam("k"), match_keys.c.rkey == bindparam("r")),
                     [{"k": k, "r": r} for k, r in old_keys])
    if gone:
        conn.execute(delete(person_ids).where(person_ids.c.rkey == bindparam("r")), [{"r": r} for r in gone])
    update_rows(conn, person_ids, ("person_id", "features", "assigned_by", "assigned_at", "model_version"),
                "rkey = ?", changed)
    insert_rows(conn, person_ids, ("rkey", "person_id", "features", "assigned_by", "assigned_at", "model_version"),
                new_rows)
    insert_rows(conn, match_keys, ("key", "rkey"), new_keys)
    return {"inserted": len(new_rows), "updated": len(changed), "deleted": len(gone),
            "keys_inserted": len(new_keys), "keys_deleted": len(old_keys)}


def set_person_ids(conn: Connection, assign: dict[str, str], by: str) -> None:
    at = now()
    for r, pid in assign.items():
        conn.execute(person_ids.update().where(person_ids.c.rkey == r)
                     .values(person_id=pid, assigned_by=by, assigned_at=at))


def log_events(conn: Connection, events: list[IdentityEvent], reason: str, *, model_version: int | None = None,
               judgement_id: int | None = None, run_id: int | None = None) -> None:
    at = now()
    insert_rows(conn, identity_log, ("at", "kind", "person_ids", "rkeys", "reason", "model_version",
                                     "judgement_id", "run_id"),
                [(at, e.kind, json.dumps(e.person_ids), json.dumps(e.rkeys), reason, model_version,
                  judgement_id, run_id) for e in events])
    _audit_combination(conn, events, reason, model_version, judgement_id, run_id)
    by = "batch" if run_id is not None else "judgement" if judgement_id is not None else "re-resolution"
    identity_changed(conn, events, {"by": by, "run_id": run_id, "judgement_id": judgement_id, "at": at})


AUDIT_SUBJECTS_MAX = 1000


def _audit_combination(conn: Connection, events: list[IdentityEvent], reason: str, model_version: int | None,
                       judgement_id: int | None, run_id: int | None) -> None:
    """s62 'combination': records joined into (or split from) national persons,
    one audit entry per batch of identity events, in the same transaction."""
    if not events:
        return
    from collections import Counter

    from leds.audit import AuditEvent, append

    ids = sorted({p for e in events for p in e.person_ids})
    append(conn, [AuditEvent(action="combination", actor="system", purpose="data_matching", subjects=tuple(
        ids[:AUDIT_SUBJECTS_MAX]), detail={
            "kind": "matching", "reason": reason, "events": dict(Counter(e.kind for e in events)),
            "person_ids": len(ids), "model_version": model_version, "judgement_id": judgement_id,
            "run_id": run_id})])


def replace_review(conn: Connection, rows: list[tuple[str, str, float, str]], run_id: int) -> None:
    conn.execute(delete(match_review))
    insert_rows(conn, match_review, ("rkey_a", "rkey_b", "match_weight", "reason", "run_id"),
                [(a, b, w, why, run_id) for a, b, w, why in rows])

"""``verify``: walk the whole chain (streamed, in pages) and check every entry
and every checkpoint.

It detects an edited entry (its hash no longer matches its content), a deleted
or inserted entry (ids are 1..n with no gaps, and each entry names its
predecessor's hash), reordered entries (the id is inside the hash), subject
rows that disagree with their entry, and checkpoints that are missing, badly
signed, signed by another key or that no longer match the chain.  A rewrite of
the whole chain from some entry on (hashes recomputed) is caught by the first
signed checkpoint after it.  Entries after the last checkpoint are protected by
the hash chain only: see "Known limits" in docs/audit.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, func, select

from leds.config import Settings

from .chain import GENESIS, entry_hash
from .keys import checkpoint_message, existing_public_key, key_id, verify_signature
from .tables import audit_checkpoints, audit_entries, audit_subjects

PAGE = 5000
MAX_PROBLEMS = 100


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    checkpoints: int = 0
    last_entry_id: int = 0
    last_hash: str = GENESIS
    last_checkpoint_entry: int = 0
    first_bad_entry: int | None = None
    key_id: str | None = None
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0

    @property
    def unsigned_tail(self) -> int:
        """Entries after the last checkpoint: protected by the hash chain only."""
        return max(0, self.last_entry_id - self.last_checkpoint_entry)

    def problem(self, message: str, entry_id: int | None = None) -> None:
        self.ok = False
        if entry_id is not None and (self.first_bad_entry is None or entry_id < self.first_bad_entry):
            self.first_bad_entry = entry_id
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.more_problems += 1

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "checkpoints": self.checkpoints,
                "last_entry_id": self.last_entry_id, "last_hash": self.last_hash,
                "last_checkpoint_entry": self.last_checkpoint_entry, "unsigned_tail": self.unsigned_tail,
                "first_bad_entry": self.first_bad_entry, "key_id": self.key_id, "problems": self.problems,
                "more_problems": self.more_problems}


def verify(engine: Engine, settings: Settings | None = None,
           on_progress: Callable[[int, int], None] | None = None,
           public_key: Ed25519PublicKey | None = None) -> VerifyReport:
    """Check the chain and its checkpoints.  Checkpoints are verified with
    ``public_key`` when given (an auditor's own copy), otherwise with the public
    half of the signing key under ``settings``.  ``on_progress(done, total)`` is
    called after each page."""
    report = VerifyReport()
    if public_key is None and settings is not None:
        public_key = existing_public_key(settings)
    report.key_id = key_id(public_key) if public_key is not None else None
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # One snapshot for every page and the checkpoints.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            total = conn.execute(select(func.count()).select_from(audit_entries)).scalar_one()
            cps = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id)).mappings().all()
            report.checkpoints = len(cps)
            by_entry: dict[int, list[Any]] = defaultdict(list)
            _check_checkpoint_sequence(report, cps, public_key)
            for cp in cps:
                by_entry[cp["entry_id"]].append(cp)
            _walk(conn, report, total, by_entry, on_progress)
            for entry_id, left in sorted(by_entry.items()):
                for cp in left:
                    report.problem(f"checkpoint {cp['id']} covers entry {entry_id}, but the chain ends at entry "
                                   f"{report.last_entry_id}: entries were deleted from the end",
                                   report.last_entry_id + 1)
    if cps:
        report.last_checkpoint_entry = max(cp["entry_id"] for cp in cps)
    return report


def _check_checkpoint_sequence(report: VerifyReport, cps: Sequence[Any],
                               public_key: Ed25519PublicKey | None) -> None:
    prev_entry = 0
    for expected, cp in enumerate(cps, 1):
        if cp["id"] != expected:
            report.problem(f"checkpoint {expected} is missing (the next one is {cp['id']}): checkpoints "
                           f"were deleted")
            expected = cp["id"]
        if cp["entry_id"] <= prev_entry:
            report.problem(f"checkpoint {cp['id']} covers entry {cp['entry_id']}, not after the previous "
                           f"checkpoint's entry {prev_entry}: checkpoints are out of order", cp["entry_id"])
        prev_entry = cp["entry_id"]
        if public_key is None:
            report.problem(f"checkpoint {cp['id']}: no public key to verify its signature (no signing key in "
                           f"this LEDS_HOME; pass --public-key)")
            continue
        if cp["key_id"] != report.key_id:
            report.problem(f"checkpoint {cp['id']} names signing key {cp['key_id']}, not {report.key_id}")
        msg = checkpoint_message(cp["id"], cp["entry_id"], cp["entry_hash"], cp["count"], cp["at"])
        if not verify_signature(public_key, msg, cp["signature"]):
            report.problem(f"checkpoint {cp['id']} (entry {cp['entry_id']}): the signature does not match its "
                           f"content: the checkpoint was altered or not signed by this key", cp["entry_id"])


def _walk(conn: Any, report: VerifyReport, total: int, checkpoints: dict[int, list[Any]],
          on_progress: Callable[[int, int], None] | None) -> None:
    e = audit_entries.c
    prev_hash = GENESIS
    expected_id = 1
    after = None
    while True:
        q = select(e.id, e.at, e.action, e.actor, e.purpose, e.reason, e.subjects, e.detail, e.partner, e.kind,
                   e.prev_hash, e.hash).order_by(e.id).limit(PAGE)
        if after is not None:
            q = q.where(e.id > after)
        rows = conn.execute(q).all()
        if not rows:
            break
        hi = rows[-1][0]
        sq = select(audit_subjects.c.entry_id, audit_subjects.c.subject_key).where(audit_subjects.c.entry_id <= hi)
        if after is not None:
            sq = sq.where(audit_subjects.c.entry_id > after)
        subjects: dict[int, set[str]] = defaultdict(set)
        for entry_id, key in conn.execute(sq):
            subjects[entry_id].add(key)
        for (eid, at, action, actor, purpose, reason, subj_json, detail_json, partner, kind,
             stored_prev, stored_hash) in rows:
            if eid != expected_id:
                if eid > expected_id:
                    report.problem(f"entry {expected_id}: missing (next entry is {eid}): entries were deleted",
                                   expected_id)
                else:
                    report.problem(f"entry {eid}: out of sequence (expected {expected_id})", eid)
            if stored_prev != prev_hash:
                report.problem(f"entry {eid}: prev_hash does not match the hash of the entry before it: an entry "
                               f"was deleted, inserted or reordered", eid)
            actual = entry_hash(eid, at, action, actor, purpose, reason, subj_json, detail_json, stored_prev)
            if actual != stored_hash:
                report.problem(f"entry {eid}: content does not match its hash: the entry was altered", eid)
            _check_columns(report, eid, subj_json, detail_json, partner, kind, subjects.pop(eid, set()))
            for cp in checkpoints.pop(eid, []):
                if cp["entry_hash"] != stored_hash or cp["entry_hash"] != actual:
                    report.problem(f"checkpoint {cp['id']} signed entry {eid} with hash {cp['entry_hash'][:16]}..., "
                                   f"but the chain has {stored_hash[:16]}...: entries up to {eid} were rewritten",
                                   eid)
                if cp["count"] != report.entries + 1:
                    report.problem(f"checkpoint {cp['id']} signed a count of {cp['count']} entries up to entry "
                                   f"{eid}, but the chain has {report.entries + 1}", eid)
            report.entries += 1
            # Carry on from the stored hash, so that one bad entry is reported once.
            prev_hash = stored_hash
            expected_id = eid + 1
        for orphan in sorted(subjects):  # what is left names no entry on this page
            report.problem(f"audit_subjects has rows for entry {orphan}, which does not exist", orphan)
        after = hi
        if on_progress is not None:
            on_progress(report.entries, total)
    report.last_entry_id = expected_id - 1
    report.last_hash = prev_hash
    tail = select(audit_subjects.c.entry_id).where(audit_subjects.c.entry_id > report.last_entry_id).limit(1)
    orphan = conn.execute(tail).scalar()
    if orphan is not None:
        report.problem(f"audit_subjects has rows for entry {orphan}, which does not exist", orphan)


def _check_columns(report: VerifyReport, eid: int, subj_json: str, detail_json: str, partner: str | None,
                   kind: str | None, subject_rows: set[str]) -> None:
    try:
        listed = orjson.loads(subj_json)
        detail = orjson.loads(detail_json)
    except orjson.JSONDecodeError:
        report.problem(f"entry {eid}: subjects or detail is not valid JSON", eid)
        return
    if not isinstance(listed, list) or set(listed) != subject_rows:
        missing, extra = set(listed) - subject_rows, subject_rows - set(listed)
        report.problem(f"entry {eid}: audit_subjects rows disagree with the entry "
                       f"(missing {sorted(missing)}, extra {sorted(extra)})", eid)
    if not isinstance(detail, dict) or detail.get("partner") != partner or detail.get("kind") != kind:
        report.problem(f"entry {eid}: the partner/kind columns disagree with the entry's detail", eid)

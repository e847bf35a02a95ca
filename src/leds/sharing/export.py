"""Purpose-limited exports under an agreement, their signed manifest, and its verification.

An export runs only under an **approved, unexpired** agreement, and holds only what it allows:
its datasets, forces, period, record types (and event kinds), handling no higher than its
classification, and of each record only the allowed fields (dates cut as it says).  Records are
read through :mod:`leds.access.policy` as the **system** principal for the system purpose
``data_sharing``: the agreement, not one user's entitlements, decides the scope, and the person
who runs the export is named in the audit entry.  Before anything is written, the disclosure
check the agreement names runs (k-anonymity on its quasi-identifiers for a record-level extract,
a minimum cell size for an aggregate).  Every export is a ``disclosure`` in the audit trail,
with the agreement id and the recipient as partner; every refusal is a ``denied`` entry.

The output directory holds the data files, ``agreement.json`` and ``manifest.json``: the
SHA-256 of every file, signed (Ed25519) with the service's key, the same key that signs the
audit trail's checkpoints (:mod:`leds.audit.keys`).  ``leds sharing verify DIR`` checks it.
Records carry a pseudonymous ``id`` (keyed by the agreement), never the service's record key.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import orjson
from sqlalchemy import Connection

from leds.access.policy import AuditSink, Principal, iter_records
from leds.audit.keys import Signer, key_id, load_public_pem, public_pem, verify_signature
from leds.errors import BadRequest, Conflict, Forbidden, NotFound
from leds.standard.codes import HANDLING_ORDER

from . import agreement as ag
from .disclosure import k_anonymise, suppress_cells
from .service import _writing, get_agreement, refresh_states, today, utcnow
from .tables import sharing_exports

PURPOSE = "data_sharing"
MANIFEST = "manifest.json"
FORMAT = "leds-sharing-export/1"
_CUT = {"year": 4, "month": 7, "day": 10}


class ExportRefused(Forbidden):
    """An export the agreement does not allow (403); the message says why."""


@dataclass
class ExportResult:
    agreement: str
    out_dir: str
    records: int
    suppressed: int
    files: list[dict[str, Any]]
    manifest: dict[str, Any]
    seconds: float
    export_id: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"export_id": self.export_id, "agreement": self.agreement, "out_dir": self.out_dir,
                "records": self.records, "suppressed": self.suppressed, "files": self.files,
                "key_id": self.manifest["key_id"], "seconds": round(self.seconds, 3)}


def _refuse(audit: AuditSink, actor: str, aid: str | None, why: str, exc: type[Exception] = ExportRefused) -> NoReturn:
    from leds.audit import AuditEvent

    audit(AuditEvent(action="denied", actor=actor, purpose=PURPOSE,
                     detail={"attempted": "sharing_export", "agreement": aid, "why": why}))
    raise exc(why)


def manifest_message(manifest: dict[str, Any]) -> bytes:
    """The exact bytes a manifest's signature covers: the manifest without ``signature``, as
    JSON with sorted keys and no whitespace, after a fixed prefix."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return b"leds-sharing-manifest:v1:" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_request(doc: dict[str, Any], datasets: list[str] | None, fields: dict[str, list[str]] | None) -> list[str]:
    """What a request asks for beyond the agreement (empty when nothing)."""
    problems = [f"dataset '{d}' is not in agreement {doc['id']}" for d in datasets or () if d not in doc["datasets"]]
    for rtype, names in (fields or {}).items():
        spec = doc["record_types"].get(rtype)
        if spec is None:
            problems.append(f"record type '{rtype}' is not in agreement {doc['id']}")
            continue
        problems += [f"field '{rtype}.{f}' is not allowed by agreement {doc['id']}" for f in names
                     if f not in spec["fields"]]
    return problems


def run_export(conn: Connection, signer: Signer, actor: str, aid: str, out: Path, audit: AuditSink, *,
               datasets: list[str] | None = None, fields: dict[str, list[str]] | None = None,
               on: date | None = None) -> ExportResult:
    """Export what agreement ``aid`` allows into ``out`` (a new or empty directory); see the
    module docstring.  ``datasets``/``fields`` narrow the export; asking for anything the
    agreement does not allow is refused (and audited)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    day = on or today()
    refresh_states(conn, day)
    try:
        a = get_agreement(conn, aid)
    except NotFound:
        _refuse(audit, actor, aid, f"there is no agreement {aid}: an export needs an approved agreement", NotFound)
    doc = a.document
    if a.state != "approved":
        _refuse(audit, actor, aid, f"agreement {aid} is {a.state}"
                + (f" ({a.state_reason})" if a.state_reason else "") + ": exports need an approved agreement")
    if a.expires < day.isoformat():
        _refuse(audit, actor, aid, f"agreement {aid} expired on {a.expires}")
    problems = _check_request(doc, datasets, fields)
    if problems:
        _refuse(audit, actor, aid, "; ".join(problems))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise Conflict(f"{out} exists and is not an empty directory")

    t = time.perf_counter()
    rows_by_type, subjects = _select(conn, signer, doc, datasets, fields)
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    dc = doc["disclosure_control"]
    suppressed = 0
    check: dict[str, Any] = {"level": dc["level"]}
    if dc["level"] == "record":
        k, qis = dc["k"], tuple(dc["quasi_identifiers"])
        check.update(k=k, quasi_identifiers=list(qis))
        for rtype, rows in list(rows_by_type.items()):
            kept, res = k_anonymise(rows, lambda r, q=qis: tuple(str(r.get(x)) for x in q), k)  # type: ignore[misc]
            if res.dropped and not dc.get("suppress", False):
                _refuse(audit, actor, aid, f"disclosure check failed: {res.dropped} {rtype} record(s) share their "
                        f"quasi-identifiers ({', '.join(qis)}) with fewer than {k - 1} others, and the agreement "
                        "does not allow suppression", Conflict)
            suppressed += res.dropped
            rows_by_type[rtype] = kept
            check[rtype] = {"released": res.kept, "suppressed": res.dropped, "smallest_class": res.smallest}
    timings["check"] = time.perf_counter() - t

    t = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".leds-export-", dir=out.parent))
    try:
        files = _write(tmp, doc, rows_by_type, dc)
        if dc["level"] == "aggregate":
            suppressed = sum(f.get("suppressed_cells", 0) for f in files)
            check.update(min_cell=dc["min_cell"], group_by=dc["group_by"], suppressed_cells=suppressed)
        (tmp / "agreement.json").write_bytes(ag.canonical(doc))
        listed = [{"name": f["name"], "sha256": _sha256(tmp / f["name"]), "bytes": (tmp / f["name"]).stat().st_size,
                   **({"records": f["records"]} if "records" in f else {})}
                  for f in [*files, {"name": "agreement.json"}]]
        released = sum(f.get("records", 0) for f in files if dc["level"] == "record")
        manifest: dict[str, Any] = {
            "format": FORMAT, "agreement": aid, "agreement_sha256": a.sha256, "agreement_title": a.title,
            "recipient": a.recipient, "created_at": utcnow(), "created_by": actor,
            "records": released if dc["level"] == "record" else sum(len(r) for r in rows_by_type.values()),
            "suppressed": suppressed, "disclosure_check": check, "files": listed,
            "key_id": signer.key_id, "public_key": public_pem(signer.public).decode(),
        }
        manifest["signature"] = signer.sign(manifest_message(manifest))
        (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        timings["write"] = time.perf_counter() - t
        # The disclosure is recorded before the files appear where the recipient collects them.
        t = time.perf_counter()
        from leds.audit import AuditEvent

        audit(AuditEvent(action="disclosure", actor=actor, purpose=PURPOSE,
                         reason=f"data sharing agreement {aid}", subjects=tuple(subjects),
                         detail={"kind": "sharing_export", "partner": a.recipient[:128], "agreement": aid,
                                 "agreement_sha256": a.sha256, "records": manifest["records"],
                                 "suppressed": suppressed, "files": [f["name"] for f in listed],
                                 "manifest_signature": manifest["signature"][:32]}))
        timings["audit"] = time.perf_counter() - t
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with _writing(conn):
        ins = conn.execute(sharing_exports.insert().values(
            agreement_id=aid, at=manifest["created_at"], actor=actor, out_dir=str(out.resolve()),
            records=manifest["records"], suppressed=suppressed, manifest=orjson.dumps(manifest).decode(),
            key_id=signer.key_id))
    export_id = int(ins.inserted_primary_key[0])  # type: ignore[index]
    return ExportResult(aid, str(out), manifest["records"], suppressed, listed, manifest,
                        time.perf_counter() - started, export_id, timings)


def _select(conn: Connection, signer: Signer, doc: dict[str, Any], datasets: list[str] | None,
            fields: dict[str, list[str]] | None) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The records the agreement allows, each cut to its allowed fields, and their record keys
    (for the audit entry)."""
    system = Principal.system()
    want_datasets = set(datasets or doc["datasets"])
    forces = set(doc["forces"])
    top = HANDLING_ORDER.index(doc["handling"]["max_classification"])
    handlings = set(HANDLING_ORDER[: top + 1])
    frm, to = doc["period"]["from"], doc["period"]["to"]
    # Keyed by a secret only the service holds (its signature over the agreement's id and hash,
    # deterministic in Ed25519): stable across one agreement's exports, not linkable across
    # agreements, and not computable by a recipient who guesses record keys.
    pseudo_key = bytes.fromhex(signer.sign(b"leds-sharing-id:" + doc["id"].encode() + b":" + ag.digest(doc).encode()))
    out: dict[str, list[dict[str, Any]]] = {}
    subjects: list[str] = []
    for rtype, spec in doc["record_types"].items():
        names = [f for f in spec["fields"] if fields is None or rtype not in fields or f in fields[rtype]]
        kinds = set(spec.get("kinds", ()))
        cut = {f: _CUT[g] for f, g in spec.get("generalise", {}).items()}
        rows: list[dict[str, Any]] = []
        for v in iter_records(conn, system, PURPOSE, rtype=rtype):
            if v.force not in forces or v.dataset not in want_datasets or v.handling not in handlings:
                continue
            data = v.data or {}
            if kinds and data.get("kind") not in kinds:
                continue
            when = str(data.get("occurred_at") or v.issued_at)[:10]
            if not frm <= when <= to:
                continue
            row: dict[str, Any] = {"id": hmac.new(pseudo_key, v.rkey.encode(), "sha256").hexdigest()[:20],
                                   "force": v.force, "dataset": v.dataset}
            for f in names:
                if f in data:
                    val = data[f]
                    if f in cut and isinstance(val, str):
                        val = val[: cut[f]]
                    row[f] = val
            rows.append(row)
            subjects.append(v.rkey)
        out[rtype] = rows
    return out, subjects


def _write(tmp: Path, doc: dict[str, Any], rows_by_type: dict[str, list[dict[str, Any]]],
           dc: dict[str, Any]) -> list[dict[str, Any]]:
    if dc["level"] == "record":
        files = []
        for rtype, rows in rows_by_type.items():
            name = f"{rtype}.ndjson"
            with (tmp / name).open("wb") as f:
                for r in rows:
                    f.write(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n")
            files.append({"name": name, "records": len(rows)})
        return files
    group_by = tuple(dc["group_by"])
    counts: Counter[tuple[Any, ...]] = Counter()
    for rows in rows_by_type.values():
        counts.update(tuple("" if r.get(g) is None else str(r.get(g)) for g in group_by) for r in rows)
    released, hidden = suppress_cells(dict(counts), dc["min_cell"])
    with (tmp / "aggregate.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*group_by, "count"])
        for cell in sorted(released):
            n = released[cell]
            w.writerow([*cell, n if n is not None else f"<{dc['min_cell']}"])
    return [{"name": "aggregate.csv", "cells": len(released), "suppressed_cells": hidden}]


@dataclass
class VerifyReport:
    ok: bool
    agreement: str | None
    key_id: str | None
    files: int
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "agreement": self.agreement, "key_id": self.key_id, "files": self.files,
                "problems": self.problems}


def verify_dir(directory: Path, public_key_pem: bytes) -> VerifyReport:
    """Check an export: the manifest's signature under ``public_key_pem`` (a key the verifier
    holds, e.g. from ``leds audit public-key``), every listed file's hash, and that no file was
    added or removed."""
    problems: list[str] = []
    mpath = directory / MANIFEST
    try:
        manifest = orjson.loads(mpath.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        return VerifyReport(False, None, None, 0, [f"{mpath}: cannot read the manifest: {exc}"])
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return VerifyReport(False, None, None, 0, [f"{mpath}: not a leds sharing manifest"])
    public = load_public_pem(public_key_pem)
    if manifest.get("key_id") != key_id(public):
        problems.append(f"signed with key {manifest.get('key_id')}, not the key given ({key_id(public)})")
    if not verify_signature(public, manifest_message(manifest), str(manifest.get("signature", ""))):
        problems.append("the manifest's signature does not verify: the manifest was changed or not signed by this key")
    listed = {f["name"]: f for f in manifest.get("files", []) if isinstance(f, dict) and "name" in f}
    for name, f in sorted(listed.items()):
        p = directory / name
        if "/" in name or name.startswith("."):
            problems.append(f"{name}: not a plain file name")
        elif not p.is_file():
            problems.append(f"{name}: missing")
        elif _sha256(p) != f.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
    present = {p.name for p in directory.iterdir() if p.name != MANIFEST}
    for extra in sorted(present - set(listed)):
        problems.append(f"{extra}: not in the manifest (a file was added)")
    return VerifyReport(not problems, manifest.get("agreement"), manifest.get("key_id"), len(listed), problems)


def service_public_key(settings: Any) -> bytes:
    from leds.audit.keys import existing_public_key

    pub = existing_public_key(settings)
    if pub is None:
        raise BadRequest("this service has no signing key yet: give the signer's public key with --public-key")
    return public_pem(pub)

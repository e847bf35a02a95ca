from __future__ import annotations

import copy
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from leds.access.identity import create_user, get_user
from leds.access.policy import Principal
from leds.audit import get_writer
from leds.audit.keys import get_signer, public_pem
from leds.audit.tables import audit_entries, audit_subjects
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import Conflict, NotFound
from leds.sharing import service
from leds.sharing.agreement import example
from leds.sharing.export import ExportRefused, run_export, verify_dir


def _approved(settings: Settings, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = doc or example()
    eng = get_engine(settings)
    dpo = Principal.from_user(create_user(eng, "dpo1", roles=["data_protection_officer"], force="WYP", vetting="SC",
                                          password=None))
    with eng.connect() as conn:
        service.add_agreement(conn, "os:tester", doc, get_writer(settings).record)
        service.approve(conn, dpo, doc["id"], get_writer(settings).record)
    return doc


def _export(settings: Settings, out: Path, aid: str = "DSA-2026-001", **kw: Any) -> Any:
    with get_engine(settings).connect() as conn:
        return run_export(conn, get_signer(settings), "os:tester", aid, out, get_writer(settings).record, **kw)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_an_export_contains_nothing_outside_its_agreement(crimes: Settings, tmp_path: Path) -> None:
    doc = _approved(crimes)
    r = _export(crimes, tmp_path / "out")
    rows = _lines(tmp_path / "out" / "event.ndjson")
    # WYP only (not MPS), crime only (not the arrest), OFFICIAL-SENSITIVE at most (not the SECRET one),
    # 2024 only (a quarter of the crimes are 2023), and only the allowed fields, the date cut to the month.
    assert len(rows) == r.records == 45
    allowed = set(doc["record_types"]["event"]["fields"]) | {"id", "force", "dataset"}
    for row in rows:
        assert set(row) <= allowed
        assert row["force"] == "WYP" and row["dataset"] == "crime" and row["kind"] == "crime"
        assert len(row["occurred_at"]) == 7 and row["occurred_at"].startswith("2024-")
    text = (tmp_path / "out" / "event.ndjson").read_text()
    assert "narrative" not in text and "WYP|" not in text and "C-WYP" not in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["agreement.json", "event.ndjson", "manifest.json"]


def test_every_export_is_an_audited_disclosure_naming_the_agreement(crimes: Settings, tmp_path: Path) -> None:
    _approved(crimes)
    r = _export(crimes, tmp_path / "out")
    with get_engine(crimes).connect() as conn:
        (entry_id, detail, partner), = conn.execute(
            select(audit_entries.c.id, audit_entries.c.detail, audit_entries.c.partner)
            .where(audit_entries.c.action == "disclosure")).all()
        n_subjects = len(conn.execute(select(audit_subjects).where(audit_subjects.c.entry_id == entry_id)).all())
        exports = service.exports_of(conn, "DSA-2026-001")
    d = orjson.loads(detail)
    assert d["agreement"] == "DSA-2026-001" and partner == "Leeds Retail Crime Partnership"
    assert n_subjects == r.records
    assert exports[0]["records"] == r.records and exports[0]["manifest"]["signature"] == r.manifest["signature"]


def test_tampering_with_any_exported_file_makes_verify_fail(crimes: Settings, tmp_path: Path) -> None:
    _approved(crimes)
    out = tmp_path / "out"
    _export(crimes, out)
    pem = public_pem(get_signer(crimes).public)
    assert verify_dir(out, pem).ok
    for name in ("event.ndjson", "agreement.json"):
        original = (out / name).read_bytes()
        (out / name).write_bytes(original.replace(b"2024", b"2025", 1))
        report = verify_dir(out, pem)
        assert not report.ok and any(name in p for p in report.problems)
        (out / name).write_bytes(original)
    assert verify_dir(out, pem).ok
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["records"] += 1  # edit the manifest itself: the signature no longer verifies
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert any("signature" in p for p in verify_dir(out, pem).problems)
    (out / "manifest.json").write_bytes(orjson.dumps({**manifest, "records": manifest["records"] - 1}))
    assert verify_dir(out, pem).ok
    (out / "extra.csv").write_text("smuggled\n")
    assert not verify_dir(out, pem).ok


def test_exports_without_an_approved_unexpired_agreement_or_beyond_it_are_refused_and_audited(
        crimes: Settings, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        _export(crimes, tmp_path / "a", aid="DSA-NONE")
    _approved(crimes)
    with pytest.raises(ExportRefused, match="dataset 'custody'"):
        _export(crimes, tmp_path / "b", datasets=["custody"])
    with pytest.raises(ExportRefused, match="field 'event.description'"):
        _export(crimes, tmp_path / "c", fields={"event": ["category", "description"]})
    user = get_user(get_engine(crimes), "dpo1")
    assert user is not None
    dpo = Principal.from_user(user)
    with get_engine(crimes).connect() as conn:
        service.suspend(conn, dpo, "DSA-2026-001", "under review", get_writer(crimes).record)
    with pytest.raises(ExportRefused, match="suspended"):
        _export(crimes, tmp_path / "d")
    with get_engine(crimes).connect() as conn:
        service.approve(conn, dpo, "DSA-2026-001", get_writer(crimes).record)
    with pytest.raises(ExportRefused, match="expired"):
        _export(crimes, tmp_path / "e", on=date(2029, 1, 1))  # the day after expiry
    assert not any((tmp_path / x).exists() for x in "abcde")
    with get_engine(crimes).connect() as conn:
        whys = [orjson.loads(d)["why"] for d in conn.execute(
            select(audit_entries.c.detail).where(audit_entries.c.action == "denied")).scalars()]
        disclosures = conn.execute(select(audit_entries.c.id).where(audit_entries.c.action == "disclosure")).all()
    assert len(whys) == 5 and "no agreement DSA-NONE" in whys[0]
    assert disclosures == []


def test_the_disclosure_check_refuses_or_suppresses_small_classes(crimes: Settings, tmp_path: Path) -> None:
    doc = copy.deepcopy(example())
    doc["record_types"]["event"]["fields"].append("crime_reference")
    doc["disclosure_control"] = {"level": "record", "k": 3, "quasi_identifiers": ["category", "crime_reference"],
                                 "suppress": False}  # a crime reference is unique: every record is alone
    _approved(crimes, doc)
    with pytest.raises(Conflict, match="disclosure check failed"):
        _export(crimes, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()


def test_suppression_releases_only_classes_of_at_least_k(crimes: Settings, tmp_path: Path) -> None:
    doc = copy.deepcopy(example())
    doc["record_types"]["event"]["generalise"] = {"occurred_at": "day"}
    doc["disclosure_control"] = {"level": "record", "k": 6, "quasi_identifiers": ["category", "occurred_at"],
                                 "suppress": True}
    _approved(crimes, doc)
    r = _export(crimes, tmp_path / "out")
    rows = _lines(tmp_path / "out" / "event.ndjson")
    sizes = Counter((x["category"], x["occurred_at"]) for x in rows)
    assert r.suppressed > 0 and len(rows) == 45 - r.suppressed
    assert min(sizes.values()) >= 6


def test_an_aggregate_export_suppresses_cells_below_the_minimum(crimes: Settings, tmp_path: Path) -> None:
    doc = copy.deepcopy(example())
    doc["record_types"]["event"]["generalise"] = {"occurred_at": "day"}
    doc["disclosure_control"] = {"level": "aggregate", "min_cell": 6, "group_by": ["category", "occurred_at"]}
    _approved(crimes, doc)
    r = _export(crimes, tmp_path / "agg")
    lines = (tmp_path / "agg" / "aggregate.csv").read_text().splitlines()
    assert lines[0] == "category,occurred_at,count"
    counts = [x.rsplit(",", 1)[1] for x in lines[1:]]
    assert all(c == "<6" or int(c) >= 6 for c in counts)
    assert "<6" in counts and r.suppressed == counts.count("<6") and len(set(counts)) > 1
    assert verify_dir(tmp_path / "agg", public_pem(get_signer(crimes).public)).ok

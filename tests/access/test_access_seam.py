"""The read choke point: deny unless allowed, and no other module reads record tables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from leds.access.policy import AccessDenied, Principal, read_records
from leds.config import Settings
from leds.db.engine import get_engine
from leds.ingest.pipeline import Ingestor

from ..factories import ndjson, person, ug

SRC = Path(__file__).resolve().parents[2] / "src" / "leds"
RECORD_TABLE_NAMES = {"records", "record_versions", "record_refs", "log"}
# The data-access layer: writers (ingest and its projectors), the state
# digest/rebuild, the schema itself, and the read choke point.
ALLOWED = {"db/schema.py", "ingest/pipeline.py", "ingest/projectors.py", "records/state.py",
           "access/policy.py", "ingest/cli.py", "search/projector.py",
           # erasure removes a record from every projection; the retention schedule's backfill
           "retention/erase.py", "retention/projector.py",
           # data quality's recompute counts the log's envelope columns (ingest.accepted); records via iter_records
           "quality/recompute.py"}
# Modules allowed to name only the reference index (record keys and roles, never data),
# to build candidate keys for look-ups that the choke point then reads.
KEYS_ONLY = {"search/graph.py": {"record_refs"},
             # whether an episode's subject has arrived (keys of live records)
             "missing/service.py": {"records"},
             # the next sequence of the web report form's own source (an envelope column)
             "missing/report.py": {"log"},
             # the unread count: a join on the key under the reader's row predicate, no data read
             "alerts/inbox.py": {"records"},
             # forces and sources sending updategrams, counted from the envelope (no record data)
             "office/evidence.py": {"log"}, "office/benefits.py": {"log"}}


def test_anyone_but_the_system_is_refused(sqlite_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_bytes(ndjson([ug(1, person("P-1"))]))
    Ingestor(sqlite_settings).ingest_lines(enumerate([ndjson([ug(1, person("P-1"))]).strip()], 1), "t")
    with get_engine(sqlite_settings).connect() as conn:
        assert [v.ref for v in read_records(conn, Principal.system(), "system_maintenance")] == ["P-1"]
        with pytest.raises(AccessDenied):
            read_records(conn, Principal("officer-1", frozenset({"frontline"}), "WYP"), "incident_response")
        with pytest.raises(AccessDenied, match="the system reads only for"):
            read_records(conn, Principal.system(), "curiosity")


def test_no_module_outside_the_data_access_layer_imports_record_tables() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel in ALLOWED or rel.startswith("db/migrations/"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("db.schema"):
                bad = {a.name for a in node.names} & RECORD_TABLE_NAMES - KEYS_ONLY.get(rel, set())
                if bad:
                    offenders.append(f"{rel} imports {sorted(bad)}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                if any(f"from {t} " in text or f"from {t}\n" in text or text.endswith(f"from {t}")
                       for t in RECORD_TABLE_NAMES):
                    offenders.append(f"{rel} has raw SQL reading a record table")
    assert offenders == [], "reads of records must go through leds.access.policy.read_records"

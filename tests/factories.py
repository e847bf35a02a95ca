"""Builders of records and updategram lines, used across the tests; and a small store of two
forces' records (``wyp_records``, ``mps_records``), which the ``store`` fixture loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from leds.config import Settings
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.standard.validators import format_pnc_id
from leds.synth import generate


def ug(seq: int, record: dict[str, Any], *, force: str = "WYP", source: str = "NICHE-RMS", op: str = "upsert",
       issued_at: str = "2025-03-02T14:05:11Z") -> dict[str, Any]:
    return {"updategram": "1", "force": force, "source": source, "sequence": seq, "issued_at": issued_at,
            "op": op, "record": record}


def person(ref: str, family: str = "Smith", given: str = "John", dob: str = "1984-03-07", **data: Any) -> dict[str, Any]:
    return {"type": "person", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
            "data": {"names": [{"given": [given], "family": family, "kind": "primary"}], "birth_dates": [dob],
                     "sex": "M", **data}}


def vehicle(ref: str, vrm: str = "AB12 CDE") -> dict[str, Any]:
    return {"type": "vehicle", "ref": ref, "dataset": "vehicle", "handling": "OFFICIAL",
            "data": {"vrm": vrm, "make": "Ford", "model": "Focus", "colour": "blue"}}


def location(ref: str, postcode: str = "ls1 4ap") -> dict[str, Any]:
    return {"type": "location", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL",
            "data": {"address": {"lines": ["1 Park Row"], "town": "Leeds", "postcode": postcode}}}


def marker(ref: str, subject: str, code: str = "VI") -> dict[str, Any]:
    return {"type": "marker", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
            "data": {"subject": {"type": "person", "ref": subject}, "code": code, "detail": "assault on police"}}


def link(ref: str, frm: tuple[str, str], to: tuple[str, str], role: str = "keeper") -> dict[str, Any]:
    return {"type": "link", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL",
            "data": {"from": {"type": frm[0], "ref": frm[1]}, "to": {"type": to[0], "ref": to[1]}, "role": role}}


def event(ref: str, kind: str = "arrest", when: str = "2024-05-01T10:00:00Z", **extra: Any) -> dict[str, Any]:
    return {"type": "event", "ref": ref, "dataset": "custody", "handling": "OFFICIAL-SENSITIVE",
            "data": {"kind": kind, "occurred_at": when, "description": "arrested on suspicion of burglary", **extra}}


def line(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc)


def ndjson(docs: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(d) + b"\n" for d in docs)


def mixed_population(n_people: int, force: str = "WYP", source: str = "NICHE-RMS") -> list[dict[str, Any]]:
    """Distinct records of every type, with markers and links between them."""
    docs: list[dict[str, Any]] = []
    seq = 0

    def add(rec: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        docs.append(ug(seq, rec, force=force, source=source))

    for i in range(n_people):
        extra: dict[str, Any] = {"height_cm": 150 + i % 50}
        if i % 3 == 0:
            extra["pnc_id"] = format_pnc_id(2001 + i % 20, 1000 + i)
        add(person(f"P-{i}", family=["Smith", "Khan", "Nowak", "Okafor"][i % 4], given=f"Given{i}",
                   dob=f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}", **extra))
        if i % 2 == 0:
            add(vehicle(f"V-{i}", vrm=f"AB{10 + i % 80}CDE"))
            add(link(f"L-V-{i}", ("person", f"P-{i}"), ("vehicle", f"V-{i}")))
        if i % 5 == 0:
            add(marker(f"M-{i}", f"P-{i}", code=["VI", "WE", "DR"][i % 3]))
        if i % 4 == 0:
            add(location(f"A-{i}"))
            add(link(f"L-A-{i}", ("person", f"P-{i}"), ("location", f"A-{i}"), role="resides_at"))
        if i % 7 == 0:
            add(event(f"E-{i}"))
            add(link(f"L-E-{i}", ("person", f"P-{i}"), ("event", f"E-{i}"), role="arrested"))
    return docs


def synth_files(dirpath: Path, persons: int, seed: int) -> list[Path]:
    """A synthetic national population (``leds synth``) written under ``dirpath``: its files."""
    generate(dirpath, persons=persons, seed=seed, progress=False)
    return sorted(dirpath.rglob("*.ndjson"))


def ingest_files(settings: Settings, paths: list[Path]) -> None:
    """Ingest the files into the store; none of their lines may be quarantined."""
    summary = ingest_paths(Ingestor(settings), list(paths))
    assert summary.quarantined == 0, summary.as_dict()


# -- two forces' records of the same man, and what surrounds him at WYP ----------------------
PNC = format_pnc_id(1984, 123456)
P1 = "WYP|NICHE-RMS|person|P-1"
P2 = "WYP|NICHE-RMS|person|P-2"
P9 = "MPS|CONNECT|person|P-9"


def rec(rtype: str, ref: str, data: dict[str, Any], dataset: str = "nominal",
        handling: str = "OFFICIAL-SENSITIVE") -> dict[str, Any]:
    return {"type": rtype, "ref": ref, "dataset": dataset, "handling": handling, "data": data}


def rec_link(ref: str, frm: tuple[str, str], to: tuple[str, str], role: str, dataset: str = "nominal",
             since: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"from": {"type": frm[0], "ref": frm[1]}, "to": {"type": to[0], "ref": to[1]}, "role": role}
    if since:
        data["valid_from"] = since
    return rec("link", ref, data, dataset)


def john(ref: str = "P-1", family: str = "Smith", alias: str = "Jonny") -> dict[str, Any]:
    return rec("person", ref, {
        "names": [{"given": ["John", "Paul"], "family": family, "kind": "primary"},
                  {"given": [alias], "family": family, "kind": "alias"}],
        "birth_dates": ["1984-03-07"], "sex": "M", "pnc_id": PNC, "height_cm": 180,
        "marks": ["tattoo left forearm rose"]})


def wyp_records() -> list[dict[str, Any]]:
    recs = [
        john(),
        rec("marker", "M-1", {"subject": {"type": "person", "ref": "P-1"}, "code": "DR", "detail": "known user"}),
        rec("marker", "M-2", {"subject": {"type": "person", "ref": "P-1"}, "code": "FI", "detail": "has a shotgun"}),
        rec("location", "L-1", {"address": {"lines": ["1 Park Row"], "town": "Leeds", "postcode": "LS1 4AP"}}, "nominal",
            "OFFICIAL"),
        rec_link("K-1", ("person", "P-1"), ("location", "L-1"), "resides_at", since="2020-01-01"),
        rec("vehicle", "V-1", {"vrm": "AB12 CDE", "make": "Ford", "model": "Focus", "colour": "Blue"}, "vehicle",
            "OFFICIAL"),
        rec_link("K-2", ("person", "P-1"), ("vehicle", "V-1"), "keeper", "vehicle"),
        rec("event", "E-1", {"kind": "wanted", "occurred_at": "2025-01-02T10:00:00Z", "status": "active",
                             "description": "Wanted on warrant for failing to appear"}, "case"),
        rec_link("K-3", ("person", "P-1"), ("event", "E-1"), "subject", "case"),
        rec("event", "E-2", {"kind": "bail", "occurred_at": "2025-02-01T10:00:00Z", "bail_until": "2099-01-01",
                             "conditions": ["curfew 7pm to 7am"], "description": "Bailed with conditions"}, "custody"),
        rec_link("K-4", ("person", "P-1"), ("event", "E-2"), "subject", "custody"),
        rec("event", "E-3", {"kind": "intelligence", "occurred_at": "2024-06-01T10:00:00Z",
                             "description": "Seen dealing near the canal basin"}, "intelligence"),
        rec_link("K-5", ("person", "P-1"), ("event", "E-3"), "subject", "intelligence"),
        rec("event", "E-4", {"kind": "arrest", "occurred_at": "2024-05-01T10:00:00Z",
                             "description": "Arrested on suspicion of burglary dwelling"}, "custody"),
        rec_link("K-6", ("person", "P-1"), ("event", "E-4"), "arrested", "custody"),
        rec("person", "P-2", {"names": [{"given": ["Mary"], "family": "Jones", "kind": "primary"}],
                              "birth_dates": ["2010-01-01"], "sex": "F"}),
        rec("event", "E-5", {"kind": "missing", "occurred_at": "2025-03-01T22:00:00Z", "risk": "high",
                             "description": "Did not return home from school"}, "missing"),
        rec_link("K-7", ("person", "P-2"), ("event", "E-5"), "subject", "missing"),
        rec("event", "E-6", {"kind": "crime", "occurred_at": "2025-04-01T09:00:00Z",
                             "description": "Theft of motor vehicle from a driveway"}, "crime"),
        rec_link("K-8", ("event", "E-6"), ("vehicle", "V-1"), "involved", "crime"),
    ]
    return [ug(i, r) for i, r in enumerate(recs, 1)]


def mps_records() -> list[dict[str, Any]]:
    return [ug(1, john("P-9", "Smyth", "Jon"), force="MPS", source="CONNECT")]


def load(settings: Settings, docs: list[dict[str, Any]]) -> None:
    """Ingest the updategrams into the store, as lines; none may be quarantined."""
    lines = [(i, line) for i, line in enumerate(ndjson(docs).splitlines(), 1)]
    s = Ingestor(settings).ingest_lines(iter(lines), "test")
    assert s.quarantined == 0, s.as_dict()

"""Builders for updategram lines used across tests."""

from __future__ import annotations

from typing import Any

import orjson

from leds.standard.validators import format_pnc_id


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

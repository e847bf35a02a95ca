"""The single view of a national person: identity with its sources, warning markers,
wanted / missing / bail / custody status, last known address, vehicles, events, counts of
records by dataset, and (on the person page) the full timeline and one hop of associations.

Every fact carries its force, source, record key and date (:func:`leds.records.models.fact`).
The person's records, and every marker, link and linked record one hop away, are read in
one call through :func:`leds.access.policy.read_records` (:func:`one_hop`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection

from leds.access.lookup import Lookup, consulting
from leds.access.policy import RecordView, read_records, references
from leds.errors import NotFound
from leds.records.models import fact
from leds.standard.codes import MARKERS
from leds.standard.validators import today

RECENT_EVENTS = 10


def name_text(n: dict[str, Any]) -> str:
    return " ".join([*(n.get("given") or []), n.get("family") or ""]).strip()


def primary_name(data: dict[str, Any] | None) -> str:
    names = (data or {}).get("names") or []
    primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0] if names else {})
    return name_text(primary)


def record_type(rkey: str) -> str:
    return rkey.split("|", 3)[2] if rkey.count("|") >= 3 else ""


def person_ids(conn: Connection, rkeys: list[str]) -> dict[str, str]:
    from leds.matching.store import assignments

    return assignments(conn, rkeys) if rkeys else {}


def members(conn: Connection, person_id: str) -> list[str]:
    """The person records of a national person id; a person record key stands for itself
    (a record that has no national id yet)."""
    from leds.matching.store import members_of

    if person_id.startswith("NP-"):
        return members_of(conn, person_id)
    if record_type(person_id) == "person":
        return [person_id]
    return []


Refs = list[tuple[str, str, str]]


def one_hop(conn: Connection, lookup: Lookup, rkeys: list[str], action: str,
            known: dict[str, RecordView] | None = None, known_refs: tuple[set[str], Refs] | None = None
            ) -> tuple[list[RecordView], dict[str, RecordView], Refs]:
    """Records (a person's, or vehicles), and every marker, link and linked record one hop
    away, read in one audited call.  Returns (those records, every other visible record by
    key, the reference rows (record, role, target) of visible markers and links).
    ``known`` are records this look-up has already read (and audited) with the same
    action: they are not read again.  ``known_refs`` = (targets, every reference row that
    points at them), already looked up: only the other records' are."""
    start = set(rkeys)
    covered, rows = known_refs or (set(), [])
    to_start = [r for r in rows if r[2] in start]
    missing = [k for k in rkeys if k not in covered]
    if missing:
        to_start += references(conn, to=missing)
    link_keys = sorted({k for k, role, _ in to_start if role in ("from", "to")})
    marker_keys = sorted({k for k, role, _ in to_start if role == "subject"})
    other_ends = [r for r in references(conn, of=link_keys) if r[2] not in start]
    targets = sorted({t for _, _, t in other_ends})
    # Events reached through a link, and what points at them (e.g. the location of an event) are not followed.
    wanted = [*rkeys, *marker_keys, *link_keys, *targets]
    known = known or {}
    views = [known[k] for k in wanted if k in known]
    unread = [k for k in wanted if k not in known]
    if unread:
        views += read_records(conn, lookup.principal, lookup.purpose, action=action, reason=lookup.reason,
                              audit=lookup.audit, rkeys=unread, limit=len(unread))
    views.sort(key=lambda v: v.rkey)
    own = [v for v in views if v.rkey in start]
    others = {v.rkey: v for v in views if v.rkey not in start}
    refs = [r for r in to_start if r[0] in others] + [r for r in other_ends if r[0] in others]
    return own, others, refs


def marker_entry(v: RecordView, d: dict[str, Any]) -> dict[str, Any]:
    code = d.get("code", "")
    return {"code": code, "label": MARKERS.get(code, code), "detail": d.get("detail"),
            **fact(v, d.get("valid_from"))}


def event_entry(v: RecordView, d: dict[str, Any], role: Any) -> dict[str, Any]:
    return {"kind": d.get("kind"), "occurred_at": d.get("occurred_at"), "description": d.get("description"),
            "dataset": v.dataset, "role": role, **fact(v, d.get("occurred_at"))}


def _status(events: list[tuple[RecordView, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Wanted, missing, bail and custody status from the person's events."""
    by_kind: dict[str, list[tuple[RecordView, dict[str, Any]]]] = defaultdict(list)
    for v, d in events:
        by_kind[d.get("kind", "")].append((v, d))
    t = today().isoformat()

    def item(v: RecordView, d: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"kind": d.get("kind"), "occurred_at": d.get("occurred_at"), "description": d.get("description"),
                **extra, **fact(v, d.get("occurred_at"))}

    wanted = [item(v, d, status=d.get("status", "active"), warrant_reference=d.get("warrant_reference"))
              for v, d in by_kind["wanted"] + by_kind["warrant"] if d.get("status", "active") == "active"]
    found_after = max((str(d.get("occurred_at") or "") for _, d in by_kind["found"]), default="")
    missing = [item(v, d, risk=d.get("risk"), last_seen_at=d.get("last_seen_at"))
               for v, d in by_kind["missing"]
               if d.get("status", "open") not in ("closed", "cancelled") and str(d.get("occurred_at") or "") > found_after]
    bail = [item(v, d, conditions=d.get("conditions"), bail_until=d.get("bail_until"))
            for v, d in by_kind["bail"] if not d.get("bail_until") or str(d["bail_until"]) >= t]
    custody_events = sorted(by_kind["custody"] + by_kind["arrest"] + by_kind["release"],
                            key=lambda e: str(e[1].get("occurred_at") or ""), reverse=True)
    custody = [item(v, d, custody_number=d.get("custody_number"), station=d.get("station"))
               for v, d in custody_events[:3]]
    return {"wanted": wanted, "missing": missing, "bail": bail, "custody": custody}


def person_summary(conn: Connection, lookup: Lookup, person_id: str, action: str = "view_person",
                   associations: bool = False, known: dict[str, RecordView] | None = None,
                   known_refs: tuple[set[str], Refs] | None = None) -> dict[str, Any]:
    """The single concise page: identity with sources, warning markers first, wanted /
    missing / bail / custody status, last known address, vehicles, recent events and
    counts of records by dataset.  Every fact carries its force, source and date.
    ``known``, ``known_refs``: records and references the look-up has already read (see :func:`one_hop`)."""
    rkeys = members(conn, person_id)
    if not rkeys:
        raise NotFound("no such person, or not one you may see")
    persons, others, refs = one_hop(conn, lookup, rkeys, action, known, known_refs)
    if not persons:
        raise NotFound("no such person, or not one you may see")
    own = {v.rkey for v in persons}
    names: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    dobs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    pncs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cros: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sexes: Counter[str] = Counter()
    heights: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    for v in persons:
        d = v.data or {}
        for n in d.get("names") or []:
            names[(name_text(n), n.get("kind", "primary"))].append(fact(v))
        for b in d.get("birth_dates") or []:
            dobs[b].append(fact(v))
        if d.get("pnc_id"):
            pncs[d["pnc_id"]].append(fact(v))
        if d.get("cro_number"):
            cros[d["cro_number"]].append(fact(v))
        if d.get("sex"):
            sexes[d["sex"]] += 1
        if d.get("height_cm"):
            heights.append({"value": d["height_cm"], **fact(v)})
        for m in d.get("marks") or []:
            marks.append({"value": m, **fact(v)})
    markers: list[dict[str, Any]] = []
    events: list[tuple[RecordView, dict[str, Any], dict[str, Any]]] = []
    vehicles: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    people: list[tuple[RecordView, dict[str, Any]]] = []
    link_of: dict[str, RecordView] = {k: v for k, v in others.items() if v.rtype == "link"}
    for k, _role, subject in refs:
        v = others[k]
        if v.rtype == "marker" and subject in own and v.data:
            markers.append({**marker_entry(v, v.data), "valid_from": v.data.get("valid_from")})
    for lk, link in link_of.items():
        d = link.data or {}
        ends = [t for k, _, t in refs if k == lk and t not in own]
        for t in ends:
            target: RecordView | None = others.get(t)
            if target is None or target.data is None:
                continue
            via = {"role": d.get("role"), "link": lk, "valid_from": d.get("valid_from")}
            if target.rtype == "event":
                events.append((target, target.data, via))
            elif target.rtype == "vehicle":
                vehicles.append({"vrm": target.data.get("vrm"), "make": target.data.get("make"),
                                 "model": target.data.get("model"), "colour": target.data.get("colour"),
                                 **via, **fact(target, d.get("valid_from"))})
            elif target.rtype == "location":
                addresses.append({"address": target.data.get("address"), "uprn": target.data.get("uprn"),
                                  **via, **fact(target, d.get("valid_from"))})
            elif target.rtype == "person":
                people.append((target, via))
    events.sort(key=lambda e: str(e[1].get("occurred_at") or ""), reverse=True)
    resides = sorted((a for a in addresses if a["role"] == "resides_at"),
                     key=lambda a: str(a.get("valid_from") or ""), reverse=True)
    counts: Counter[str] = Counter(v.dataset for v in [*persons, *others.values()] if v.dataset)
    out: dict[str, Any] = {
        "person_id": person_id,
        "identity": {
            "names": [{"text": t, "kind": kind, "sources": s} for (t, kind), s in names.items()],
            "birth_dates": [{"value": b, "sources": s} for b, s in sorted(dobs.items())],
            "sex": sexes.most_common(1)[0][0] if sexes else None,
            "pnc_ids": [{"value": p, "sources": s} for p, s in pncs.items()],
            "cro_numbers": [{"value": c, "sources": s} for c, s in cros.items()],
            "heights": heights,
            "marks": marks,
        },
        "markers": sorted(markers, key=lambda m: (m["code"] not in ("FI", "WE", "XP", "VI"), m["code"])),
        "status": _status([(v, d) for v, d, _ in events]),
        "last_address": resides[0] if resides else None,
        "vehicles": vehicles,
        "events": [event_entry(v, d, via["role"]) for v, d, via in events[:RECENT_EVENTS]],
        "counts": dict(sorted(counts.items())),
        "records": [{"rtype": v.rtype, "dataset": v.dataset, "redacted": list(v.redacted), **fact(v)}
                    for v in persons],
    }
    if associations:
        ids = person_ids(conn, [p.rkey for p, _ in people])
        out["timeline"] = [event_entry(v, d, via["role"]) for v, d, via in events]
        out["associations"] = {
            "persons": [{"person_id": ids.get(p.rkey, p.rkey), "name": primary_name(p.data),
                         "birth_dates": (p.data or {}).get("birth_dates"), **via, **fact(p, via["valid_from"])}
                        for p, via in people],
            "vehicles": vehicles,
            "addresses": addresses,
        }
    return out


def person_view(conn: Connection, lookup: Lookup, person_id: str) -> dict[str, Any]:
    """The person page: the single view, a full timeline and one hop of associations."""
    with consulting(lookup, "person view", {"person_id": person_id}) as lk:
        return person_summary(conn, lk, person_id, action="view_person", associations=True)


__all__ = ["members", "person_summary", "person_view"]

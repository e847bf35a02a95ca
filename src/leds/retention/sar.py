"""The subject access pack (DPA 2018 s45) for a national person, and the s48 letter.

The pack holds every record of the person (their person records, the markers on them, the
links from and to them and the events, places and objects those links reach), each with
its provenance (force, source system, source reference, version, issue date, dataset and
the number of versions held).  What is withheld, and why, is listed in the letter:

* another person's data: a link's end that is another person is shown as "a third party",
  and another person's own records are never included (s45(4)(e): the rights and freedoms
  of others);
* the free text of an event another person is also linked to (victim and suspect in one
  event): the kind and date are given, the narrative is withheld under s45(4)(e);
* intelligence: withheld under s45(4)(b) (prejudice to the prevention or detection of
  crime), to be reconsidered by the data protection officer case by case.

Written to ``OUT/pack.json``, ``OUT/pack.html`` and ``OUT/letter_s48.html``; the
disclosure is audited (recipient: the data subject).
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from leds.access.policy import Principal, RecordView, read_records, record_history, references
from leds.config import Settings
from leds.db.engine import write_transaction

from .erase import now, person_records
from .rights import one_month_after
from .tables import rights_requests

THIRD_PARTY = {"type": "person", "ref": "[a third party]"}
GROUND_OTHERS = "s45(4)(e): to protect the rights and freedoms of others"
GROUND_CRIME = "s45(4)(b): to avoid prejudicing the prevention, detection or investigation of crime"
FREE_TEXT = ("description", "circumstances", "detail", "conditions")


def _collect(conn: Any, persons: list[str]) -> tuple[list[str], set[str]]:
    """The person's records, and those among them another person is also linked to."""
    mine = set(persons)
    pointing = {r for r, _role, _t in references(conn, to=sorted(mine))}
    out_of = references(conn, of=sorted(pointing))
    ends = {t for _r, _role, t in out_of} - mine
    shared = {t for r, _role, t in references(conn, to=sorted(ends)) if r not in pointing}
    others = {t for _r, _role, t in out_of if t.split("|")[2:3] == ["person"]} - mine
    return sorted(mine | pointing | (ends - others)), shared


def build_pack(engine: Engine, person: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    with engine.connect() as conn:
        persons = person_records(conn, person)
        keys, shared = _collect(conn, persons)
        views = read_records(conn, Principal.system(), "subject_access", rkeys=keys, limit=len(keys) + 1)
        versions = {v.rkey: len(record_history(conn, Principal.system(), v.rkey, limit=100_000)) for v in views}
    withheld: list[dict[str, str]] = []
    out = []
    for v in views:
        out.append(_entry(v, set(persons), shared, versions.get(v.rkey, 0), withheld))
    return {"pack": "leds-subject-access-1", "person": person, "generated_at": now(),
            "records": out, "withheld": withheld, "record_count": len(out),
            "seconds": round(time.perf_counter() - t0, 3)}


def _entry(v: RecordView, persons: set[str], shared: set[str], n_versions: int,
           withheld: list[dict[str, str]]) -> dict[str, Any]:
    data = dict(v.data or {})
    if v.rtype == "link":
        for end in ("from", "to"):
            ref = data.get(end) or {}
            key = f"{ref.get('force', v.force)}|{ref.get('source', v.source)}|{ref.get('type')}|{ref.get('ref')}"
            if ref.get("type") == "person" and key not in persons:
                data[end] = THIRD_PARTY
                withheld.append({"record": v.rkey, "what": f"the other person named by this link ({end})",
                                 "ground": GROUND_OTHERS})
    if v.rkey in shared:
        for f in FREE_TEXT:
            if f in data:
                data[f] = "[withheld]"
                withheld.append({"record": v.rkey, "what": f"the {f} of a record another person is also linked to",
                                 "ground": GROUND_OTHERS})
    if v.dataset == "intelligence":
        data = {"kind": data.get("kind")} if "kind" in data else {}
        withheld.append({"record": v.rkey, "what": "the content of an intelligence record", "ground": GROUND_CRIME})
    return {"record": v.rkey, "type": v.rtype, "data": data,
            "provenance": {"force": v.force, "source_system": v.source, "source_reference": v.ref,
                           "version": v.sequence, "issued_at": v.issued_at, "dataset": v.dataset,
                           "handling": v.handling, "versions_held": n_versions}}


def _html_pack(pack: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for r in pack["records"]:
        p = r["provenance"]
        rows.append(f"<section><h2>{e(r['type'])}: {e(p['source_reference'])}</h2>"
                    f"<p>Held by {e(p['force'])} ({e(p['source_system'])}), version {p['version']} of "
                    f"{e(p['issued_at'])}; dataset {e(str(p['dataset']))}; {p['versions_held']} version(s) held.</p>"
                    f"<pre>{e(json.dumps(r['data'], indent=1, ensure_ascii=False, sort_keys=True))}</pre></section>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Subject access pack</title></head>"
            f"<body><h1>Your personal data held by the Law Enforcement Data Service</h1>"
            f"<p>Prepared {e(pack['generated_at'])}: {pack['record_count']} record(s). "
            f"The accompanying letter explains what was withheld and why.</p>{''.join(rows)}</body></html>")


def _letter(pack: dict[str, Any], due_on: str) -> str:
    e = html.escape
    grounds: dict[str, int] = {}
    for w in pack["withheld"]:
        grounds[w["ground"]] = grounds.get(w["ground"], 0) + 1
    items = "".join(f"<li>{n} item(s) withheld under {e(g)}</li>" for g, n in sorted(grounds.items())) \
        or "<li>Nothing was withheld.</li>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Your subject access request</title></head>"
        "<body><h1>Your request for your personal data (Data Protection Act 2018, section 45)</h1>"
        f"<p>We hold {pack['record_count']} record(s) about you, enclosed with where each came from.</p>"
        f"<p>This answer is due by {e(due_on)} (one calendar month from your request).</p>"
        "<h2>What we have not given you, and why (section 48)</h2>"
        f"<ul>{items}</ul>"
        "<p>Where telling you the reason would itself undermine the purpose of withholding, section 48(3) "
        "allows us not to give it.</p>"
        "<h2>Your rights</h2><ul>"
        "<li>You may ask the Information Commissioner to check that the restriction is lawful (section 51).</li>"
        "<li>You may complain to the Information Commissioner (ico.org.uk).</li>"
        "<li>You may apply to a court for an order (section 167).</li>"
        "<li>You may ask for inaccurate data to be corrected (section 46) or for data to be erased or its "
        "use restricted (section 47).</li></ul></body></html>")


def export(engine: Engine, settings: Settings, person: str, out: Path, *, actor: str) -> dict[str, Any]:
    """``leds sar export``: write the pack and the letter, audit the disclosure, close any open
    access request for the person."""
    from leds.audit import AuditEvent, get_writer

    pack = build_pack(engine, person)
    with engine.connect() as conn:
        req = conn.execute(select(rights_requests.c.id, rights_requests.c.due_on).where(
            rights_requests.c.person_id == person, rights_requests.c.kind == "access",
            rights_requests.c.status.in_(("open", "with_force"))).order_by(rights_requests.c.id)).first()
    due_on = req.due_on if req else one_month_after(pack["generated_at"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "pack.json").write_text(json.dumps(pack, indent=1, ensure_ascii=False, sort_keys=True))
    (out / "pack.html").write_text(_html_pack(pack))
    (out / "letter_s48.html").write_text(_letter(pack, due_on))
    get_writer(settings).record(AuditEvent(
        action="disclosure", actor=actor, purpose="subject_access", subjects=tuple(
            [person, *[r["record"] for r in pack["records"]]][:1000]),
        detail={"kind": "subject_access", "partner": "the data subject", "records": pack["record_count"],
                "withheld": len(pack["withheld"])}))
    if req is not None:
        with engine.connect() as conn, write_transaction(conn):
            conn.execute(update(rights_requests).where(rights_requests.c.id == req.id).values(
                status="done", decision=f"pack sent: {pack['record_count']} records, "
                                        f"{len(pack['withheld'])} items withheld", decided_at=now(),
                decided_by=actor))
    return {"person": person, "out": str(out), "records": pack["record_count"], "withheld": len(pack["withheld"]),
            "due_on": due_on, "request": req.id if req else None, "seconds": pack["seconds"],
            "files": ["pack.json", "pack.html", "letter_s48.html"]}

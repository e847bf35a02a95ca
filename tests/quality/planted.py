"""A sample with planted defects, and the figures the scorecard must show for it.

* DER/NICHE leaves out the date of birth on 4 of its 10 people;
* MPS/CONNECT sends 2 of its 5 arrests 3 days late (3 within the hour);
* WYP/NICHE-RMS uses a non-standard link role on 3 of its 6 links, and one non-standard event kind;
* one line from WYP is quarantined (an unknown sex code).
"""

from __future__ import annotations

from typing import Any

from ..factories import event, link, ndjson, person, ug


def planted() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []

    def add(rec: dict[str, Any], force: str, source: str, issued_at: str = "2025-03-04T10:00:00Z") -> None:
        seq = sum(1 for d in docs if d["force"] == force and d["source"] == source) + 1
        docs.append(ug(seq, rec, force=force, source=source, issued_at=issued_at))

    for i in range(10):
        add(person(f"W-{i}", given=f"Wes{i}"), "WYP", "NICHE-RMS")
    for i in range(6):
        add(link(f"WL-{i}", ("person", f"W-{i}"), ("person", f"W-{i + 1}"),
                 role="Co-Habitee" if i < 3 else "associate"), "WYP", "NICHE-RMS")
    add(event("WE-1", kind="ASB_REPORT", when="2025-03-03T10:00:00Z"), "WYP", "NICHE-RMS")
    for i in range(10):
        p = person(f"D-{i}", given=f"Dee{i}")
        if i < 4:
            del p["data"]["birth_dates"]
        add(p, "DER", "NICHE")
    for i in range(5):
        late = i < 2
        add(event(f"ME-{i}", kind="arrest", when="2025-03-01T10:00:00Z"), "MPS", "CONNECT",
            issued_at="2025-03-04T10:00:00Z" if late else "2025-03-01T10:30:00Z")
    return docs


def planted_lines() -> bytes:
    bad = ug(99, person("W-bad"), force="WYP", source="NICHE-RMS")
    bad["record"]["data"]["sex"] = "male"
    return ndjson([*planted(), bad])


# (force, source, rule) -> (passed, total)
EXPECTED: dict[tuple[str, str, str], tuple[int, int]] = {
    ("WYP", "NICHE-RMS", "person.birth_date.present"): (10, 10),
    ("WYP", "NICHE-RMS", "code.standard"): (3, 7),
    ("WYP", "NICHE-RMS", "ingest.accepted"): (17, 18),
    ("DER", "NICHE", "person.birth_date.present"): (6, 10),
    ("DER", "NICHE", "ingest.accepted"): (10, 10),
    ("MPS", "CONNECT", "event.arrest.timely_24h"): (3, 5),
    ("MPS", "CONNECT", "code.standard"): (5, 5),
    ("MPS", "CONNECT", "ingest.accepted"): (5, 5),
}

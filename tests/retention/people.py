"""A person with unique strings to erase, and a third party who shares one event with them."""

from __future__ import annotations

from typing import Any

from ..factories import rec, rec_link, ug

UNIQUE = ("Quixleberry", "Zephyrinella", "narwhalquill", "Vexmoorgate", "zorbulated", "Blimperwick")
ERASED_PERSON = "WYP|RMS-R|person|Q-1"
THIRD_PARTY = "WYP|RMS-R|person|T-1"
SHARED_EVENT = "WYP|RMS-R|event|EV-SHARED"


def quixleberry_docs(start: int = 1) -> list[dict[str, Any]]:
    recs = [
        rec("person", "Q-1", {"names": [{"given": ["Zephyrinella"], "family": "Quixleberry", "kind": "primary"},
                                        {"given": ["Zeph"], "family": "Blimperwick", "kind": "alias"}],
                              "birth_dates": ["1979-11-23"], "sex": "F", "height_cm": 171,
                              "marks": ["narwhalquill tattoo on the left wrist"]}),
        rec("location", "A-Q", {"address": {"lines": ["14 Vexmoorgate"], "town": "Leeds", "postcode": "LS6 2QT"}},
            "nominal", "OFFICIAL"),
        rec_link("K-Q1", ("person", "Q-1"), ("location", "A-Q"), "resides_at"),
        rec("event", "EV-Q", {"kind": "arrest", "occurred_at": "2023-02-01T10:00:00Z",
                              "description": "zorbulated a neighbour's greenhouse; arrested"}, "custody"),
        rec_link("K-Q2", ("person", "Q-1"), ("event", "EV-Q"), "arrested", "custody"),
        rec("marker", "M-Q", {"subject": {"type": "person", "ref": "Q-1"}, "code": "VI",
                              "detail": "zorbulated an officer"}),
        # The third party, and the event they share with her (a victim and a suspect).
        rec("person", "T-1", {"names": [{"given": ["Harold"], "family": "Plainsman", "kind": "primary"}],
                              "birth_dates": ["1960-04-04"], "sex": "M"}),
        rec("event", "EV-SHARED", {"kind": "crime", "occurred_at": "2024-03-03T10:00:00Z",
                                   "description": "assault outside a public house"}, "crime"),
        rec_link("K-Q3", ("person", "Q-1"), ("event", "EV-SHARED"), "suspect", "crime"),
        rec_link("K-T1", ("person", "T-1"), ("event", "EV-SHARED"), "victim", "crime"),
    ]
    return [ug(start + i, r, source="RMS-R") for i, r in enumerate(recs)]


def quixleberry_update(seq: int) -> dict[str, Any]:
    """A later version of her person record (so an older copy was overwritten in the store)."""
    return ug(seq, rec("person", "Q-1", {
        "names": [{"given": ["Zephyrinella"], "family": "Quixleberry", "kind": "primary"}],
        "birth_dates": ["1979-11-23"], "sex": "F", "height_cm": 172,
        "marks": ["narwhalquill tattoo on the left wrist", "Blimperwick scar"]}), source="RMS-R")

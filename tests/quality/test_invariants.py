"""Whatever arrives, in whatever order, the counters kept at ingest equal a recompute from the store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.quality.recompute import differences, recompute

from ..factories import event, link, ndjson, person, ug
from .test_scorecard import ingest

REFS = ["A", "B", "C"]


def _record(kind: str, ref: str) -> dict[str, Any]:
    if kind == "person":
        return person(f"P-{ref}")
    if kind == "person_no_dob":
        p = person(f"P-{ref}")
        del p["data"]["birth_dates"]
        return p
    if kind in ("role_ok", "role_odd"):
        return link(f"L-{ref}", ("person", "P-A"), ("person", "P-B"), role="associate" if kind == "role_ok" else "odd")
    return event(f"E-{ref}", kind="arrest", when="2025-02-20T10:00:00Z" if kind == "late_arrest" else
                 "2025-03-02T10:00:00Z")


_op = st.tuples(st.sampled_from(["person", "person_no_dob", "role_ok", "role_odd", "late_arrest", "arrest",
                                 "delete_person", "delete_link"]),
                st.sampled_from(REFS), st.sampled_from(["2025-03-02T14:05:11Z", "2025-03-12T09:00:00Z"]))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, min_size=1, max_size=12), batches=st.integers(1, 3), reverse=st.booleans())
def test_the_counters_kept_at_ingest_equal_a_recompute(ops: list[tuple[str, str, str]], batches: int,
                                                       reverse: bool) -> None:
    docs = []
    for seq, (kind, ref, issued) in enumerate(ops, 1):
        if kind.startswith("delete_"):
            rtype = kind.removeprefix("delete_")
            rec = {"type": rtype, "ref": f"{'P' if rtype == 'person' else 'L'}-{ref}"}
            docs.append(ug(seq, rec, op="delete", issued_at=issued))
        else:
            docs.append(ug(seq, _record(kind, ref), issued_at=issued))
    if reverse:  # older versions arriving after newer ones
        docs.reverse()
    home = Path(tempfile.mkdtemp(prefix="leds-quality-prop-")) / "home"
    s = Settings(home=home)
    try:
        size = -(-len(docs) // batches)
        for i in range(0, len(docs), size):
            ingest(s, ndjson(docs[i:i + size]))
        assert differences(get_engine(s), recompute(get_engine(s))) == []
    finally:
        dispose_all()

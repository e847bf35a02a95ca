"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS).

``POST /api/v1/updategrams`` takes NDJSON, a media type Schemathesis cannot generate by itself:
draw a few lines, each a JSON object (a well-formed or a malformed updategram alike: every
line is answered in the summary, never by a failure of the request)."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import strategies as st

from leds.access.deps import NEEDS_TEXT
from leds.standard.validators import EARLIEST_DATE, format_pnc_id, today

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                     max_size=3),
                       max_leaves=8)
_lines = st.lists(st.dictionaries(st.sampled_from(["force", "source", "sequence", "op", "record", "issued_at"]),
                                  _values, max_size=6), min_size=1, max_size=4)

schemathesis.openapi.media_type("application/x-ndjson",
                                _lines.map(lambda ls: "".join(json.dumps(x) + "\n" for x in ls).encode()))


# A look-up whose purpose needs an explanation needs a reason that is not blank.  In a JSON
# body the schema says so (if/then); query parameters cannot express a rule between two of
# them, so the parameter's description says it and this filter keeps generated queries to it.


@schemathesis.hook
def filter_query(ctx, query):  # type: ignore[no-untyped-def]
    if not query or query.get("purpose") not in NEEDS_TEXT:
        return True
    return bool(str(query.get("reason") or "").strip())


# A PNC ID ("format": "pnc-id"): YYYY/NNNNNNN and its check character.
schemathesis.openapi.format("pnc-id", st.builds(format_pnc_id, st.integers(1970, 2026),
                                                st.integers(0, 9_999_999)))


# Ranges: the lowest age or height may not be above the highest, and a date of birth lies between
# 1880 and today.  JSON Schema cannot compare two
# fields, so the fields' descriptions say it and this filter keeps generated bodies to it.
@schemathesis.hook
def filter_body(ctx, body):  # type: ignore[no-untyped-def]
    if not isinstance(body, dict):
        return True
    dob = body.get("dob")
    if isinstance(dob, str) and not (EARLIEST_DATE.isoformat() <= dob <= today().isoformat()):
        return False  # a date of birth is a real date in the past, from 1880 (said in the field's text)
    if not _missing_times_in_order(body):
        return False
    for lo, hi in (("age_from", "age_to"), ("height_from", "height_to"), ("age_min", "age_max")):
        a, b = body.get(lo), body.get(hi)
        if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
            return False
    return _framework_consistent(body)


def _framework_consistent(body: dict) -> bool:  # type: ignore[type-arg]
    """A maturity framework (leds.office, said in its description): levels distinct and in
    order, question ids distinct, each question in one of its topics and themes, level
    descriptors only for levels on the scale."""
    if not ("scale" in body and "questions" in body):
        return True
    try:
        levels = [s["level"] for s in body["scale"]]
        topics = {t["id"] for t in body["topics"]}
        themes = {t["id"] for t in body["themes"]}
        ids = [q["id"] for q in body["questions"]]
        return (levels == sorted(set(levels)) and len(ids) == len(set(ids))
                and all(q["topic"] in topics and q["theme"] in themes
                        and all(k.isdigit() and int(k) in levels for k in q.get("levels", {}))
                        for q in body["questions"]))
    except (KeyError, TypeError, AttributeError):
        return True


def _missing_times_in_order(body: dict) -> bool:  # type: ignore[type-arg]
    """The missing-persons register's times: from 1900 and not in the future, last seen no later
    than reported, found no earlier; a protocol's expiry within three years (said in the fields'
    descriptions and docs/missing.md)."""
    from datetime import UTC, datetime, timedelta

    def when(v: object) -> datetime | None:
        try:
            t = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)

    now = datetime.now(UTC)
    times = {k: when(body[k]) for k in ("reported_at", "found_at", "return_interview_at") if isinstance(body.get(k), str)}
    for k in ("last_seen", "found"):
        if isinstance(body.get(k), dict) and isinstance(body[k].get("at"), str):
            times[k] = when(body[k]["at"])
    for t in times.values():
        if t is None or t.year < 1900 or t > now:
            return False
    rep = times.get("reported_at")
    if rep and times.get("last_seen") and times["last_seen"] > rep:  # type: ignore[operator]
        return False
    if rep and times.get("found") and times["found"] < rep:  # type: ignore[operator]
        return False
    exp = body.get("expires_on")
    if isinstance(exp, str) and "consent" in body:
        return today().isoformat() < exp <= (today() + timedelta(days=3 * 365)).isoformat()
    return True

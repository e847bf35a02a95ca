"""The published rule table: every data-quality rule, its stable id, its dimension (the UK
Government Data Quality Framework's six) and what it counts.

Rules are data.  The projector (``projector.py``), the recompute (``recompute.py``) and
the scorecards read this table and nothing else; ``leds quality rules`` prints it.  A
record-level rule has a bit: a record's quality fact stores which rules apply to it
(``checked``) and which it fails (``failed``) as two bit masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

DIMENSIONS: dict[str, str] = {
    "accuracy": "the data describes the real world correctly",
    "completeness": "the data expected is there",
    "uniqueness": "each thing is recorded once",
    "consistency": "the data agrees with the standard and with itself",
    "timeliness": "the data arrives when it is needed",
    "validity": "the data conforms to its format and rules",
}


@dataclass(frozen=True)
class Rule:
    id: str
    dimension: str
    description: str
    counts: str  # what ``total`` counts; ``passed`` is how many of them pass
    bit: int  # 0: not a record-level rule (ingest.accepted)


RULES: tuple[Rule, ...] = (
    Rule("person.birth_date.present", "completeness", "a person record carries a date of birth",
         "current person records", 1),
    Rule("person.sex.present", "completeness", "a person record carries a sex", "current person records", 2),
    Rule("event.arrest.timely_24h", "timeliness",
         "an arrest is issued within 24 hours of occurred_at (the PNC's standard for arrest records)",
         "current arrest events", 4),
    Rule("code.standard", "consistency",
         "the value of an open vocabulary (link role, event kind) is in the standard's code list",
         "current links and events", 8),
    Rule("person.duplicate_in_source", "uniqueness",
         "no other person record of the same force and source shares this record's national person id",
         "current person records", 16),
    Rule("ingest.accepted", "validity", "an updategram line is accepted rather than quarantined",
         "lines received (accepted lines by the day issued, quarantined lines by the day received; "
         "duplicates change nothing and are not counted)", 0),
)
BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
RECORD_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.bit)
# The PNC compliance standard for arrests and summons on the PNC within 24 hours.
ARREST_WITHIN_S = 24 * 3600


@cache
def rules_of(mask: int) -> tuple[Rule, ...]:
    """The record rules whose bits are set in ``mask``."""
    return tuple(r for r in RECORD_RULES if mask & r.bit)

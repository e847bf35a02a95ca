"""The published retention rule table: which review group each record falls in, and when
it is next reviewed.  Like the access rules, this module *is* the rule: the projector, the
schedule and ``docs/retention.md`` all read it, and changing it re-schedules what it
affects (``RULES_VERSION`` changes with the table; :func:`leds.retention.schedule.reschedule`).

The groups follow the College of Policing's Authorised Professional Practice on the
Management of Police Information (APP Information management, "Retention, review and
disposal", derived from the ACPO/NPIA *Guidance on the Management of Police Information*,
2nd edition 2010, section 7 and its National Retention Assessment Criteria).  Where this
table has to choose and the guidance is not clear to us, the rule says so in ``note``
(see docs/retention.md, "Where we are unsure").
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Rule:
    id: str
    group: str  # "1", "2", "3", "undetected", "intelligence", "missing", "non_crime"
    title: str
    review_years: int  # the first review falls this many years after the basis date
    disposal: str  # what the review may decide, in the guidance's words
    note: str = ""


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "G1-PUBLIC-PROTECTION",
            "1",
            "Certain public protection matters (MoPI group 1)",
            10,
            "retain until the subject is deemed to have reached 100 years of age; review every 10 years "
            "to check the record is adequate and up to date",
        ),
        Rule(
            "G2-SERIOUS",
            "2",
            "Other sexual, violent or serious offences (MoPI group 2)",
            10,
            "review after a 10-year clear period; retain while the subject remains a risk, otherwise dispose",
        ),
        Rule(
            "G3-OTHER",
            "3",
            "All other offences (MoPI group 3)",
            6,
            "review after a 6-year clear period; may be disposed of if there is no further offending",
            "MoPI allows time-based disposal for group 3; leds still asks a reviewer to decide",
        ),
        Rule(
            "UNDETECTED-SERIOUS",
            "undetected",
            "Undetected crime of a group 1 or 2 kind",
            10,
            "retain while the crime may yet be solved; review every 10 years",
            "the guidance treats undetected serious crime as retained for long periods; the 10-year review "
            "interval is our reading, not a quoted figure",
        ),
        Rule(
            "UNDETECTED-OTHER",
            "undetected",
            "Other undetected crime",
            6,
            "review after 6 years; dispose unless there is a reason to keep it",
            "our reading of MoPI's treatment of undetected crime; check against current APP",
        ),
        Rule(
            "INTELLIGENCE",
            "intelligence",
            "Intelligence (not tied to a conviction)",
            6,
            "review after 6 years against the National Retention Assessment Criteria",
            "MoPI reviews intelligence on its own merits; 6 years is our choice of first review",
        ),
        Rule(
            "MISSING",
            "missing",
            "Missing person episodes (safeguarding)",
            6,
            "review after 6 years; retain where the person remains vulnerable",
            "not a MoPI offence group; 6 years is our choice",
        ),
        Rule(
            "NOMINAL",
            "3",
            "A person, place or object not (yet) tied to an offence",
            6,
            "review after 6 years with the events linked to it",
            "a nominal record's own clock: it is not raised to the group of the events linked to it; the review "
            "queue shows those groups beside it, and the reviewer decides with them",
        ),
    )
}

# The event kinds that record an offence (or the accusation of one).
OFFENCE_KINDS = frozenset(
    {
        "arrest",
        "charge",
        "conviction",
        "custody",
        "crime",
        "wanted",
        "bail",
        "caution",
        "summons",
        "stop_search",
        "offence",
    }
)

# Words in an event's offence, category or description that put it in group 1 or 2 (lower case).
# Group 1 is MoPI's "certain public protection matters" (murder, serious sexual offences, terrorism
# and the like); group 2 the other offences of CJA 2003 Schedule 15 (specified violent and sexual offences).
GROUP1_WORDS = (
    "murder",
    "manslaughter",
    "rape",
    "terroris",
    "kidnap",
    "child sexual",
    "sexual activity with a child",
    "indecent images",
    "trafficking",
    "attempted murder",
    "grievous bodily harm with intent",
    "wounding with intent",
    "causing death",
)
GROUP2_WORDS = (
    "sexual",
    "assault",
    "wounding",
    "grievous bodily harm",
    "actual bodily harm",
    "robbery",
    "firearm",
    "weapon",
    "knife",
    "arson",
    "violen",
    "affray",
    "domestic abuse",
    "stalking",
    "threats to kill",
    "blackmail",
    "harassment",
)
UNDETECTED = frozenset({"undetected", "unsolved", "filed", "no further action", "nfa"})


def _version() -> str:
    doc = json.dumps(
        {
            "rules": [asdict(r) for r in RULES.values()],
            "g1": GROUP1_WORDS,
            "g2": GROUP2_WORDS,
            "kinds": sorted(OFFENCE_KINDS),
            "undetected": sorted(UNDETECTED),
        },
        sort_keys=True,
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:12]


RULES_VERSION = _version()


# One search per group rather than a substring test per word: the classifier runs for every
# event at ingest (bench/bench_retention.py, "cost of retention classes on ingest").
_GROUP1 = re.compile("|".join(map(re.escape, GROUP1_WORDS)))
_GROUP2 = re.compile("|".join(map(re.escape, GROUP2_WORDS)))


def offence_class(data: dict[str, Any]) -> str | None:
    """ "public_protection", "serious", "other", or None when the event names no offence
    (a word of a group found anywhere in the offence, category or description)."""
    return _offence_class(*(str(data.get(f) or "") for f in ("offence", "crime_category", "category", "description")))


# Remembered: the same offence wording recurs across a force's events (bench_retention, "ingest cost").
@functools.lru_cache(maxsize=1 << 14)
def _offence_class(*fields: str) -> str | None:
    text = " ".join(fields).lower()
    if _GROUP1.search(text):
        return "public_protection"
    if _GROUP2.search(text):
        return "serious"
    return "other" if text.strip() else None


class Inputs(NamedTuple):
    """What the classifier reads of a record: kept in the schedule so that a changed rule
    re-schedules without reading the record again.  (A tuple: one is made for every record
    at ingest, and a frozen dataclass costs several times as much to make.)"""

    rtype: str
    dataset: str | None
    kind: str | None
    offence_class: str | None
    basis: str  # YYYY-MM-DD
    undetected: bool = False


def inputs_of(
    rtype: str, dataset: str | None, issued_at: str, data: dict[str, Any] | None
) -> Inputs:
    """What the classifier reads of a record: an event's kind, offence, status and date; of
    every other record only its type, dataset and date (``NEEDS_DATA``: the types whose data
    is read)."""
    data = data or {}
    basis = issued_at[:10]
    kind = oc = None
    undetected = False
    if rtype == "event":
        kind = str(data.get("kind") or "")[:40] or None
        occurred = data.get("occurred_at")
        if isinstance(occurred, str) and len(occurred) >= 10:
            basis = occurred[:10]
        oc = offence_class(data)
        status = str(data.get("status") or data.get("outcome") or "").lower()
        undetected = kind == "crime" and status in UNDETECTED
    return Inputs(rtype, dataset, kind, oc, basis, undetected)


NEEDS_DATA = frozenset({"event"})


def classify(i: Inputs) -> Rule:
    """The rule for a record.  Evaluated in order: the first that applies wins."""
    if i.rtype == "missing_episode" or i.dataset == "missing" or i.kind == "missing":
        return RULES["MISSING"]
    if i.dataset == "intelligence" or i.kind == "intelligence":
        return RULES["INTELLIGENCE"]
    if i.rtype == "event" and (i.kind in OFFENCE_KINDS or i.offence_class is not None):
        if i.undetected:
            return RULES[
                "UNDETECTED-SERIOUS"
                if i.offence_class in ("public_protection", "serious")
                else "UNDETECTED-OTHER"
            ]
        if i.offence_class == "public_protection":
            return RULES["G1-PUBLIC-PROTECTION"]
        if i.offence_class == "serious":
            return RULES["G2-SERIOUS"]
        return RULES["G3-OTHER"]
    return RULES["NOMINAL"]


def review_date(i: Inputs, rule: Rule) -> str:
    return add_years(i.basis, rule.review_years)


@functools.lru_cache(maxsize=1 << 16)  # few distinct dates: every record at ingest asks
def add_years(iso: str, years: int) -> str:
    """The same day ``years`` later (28 February for 29 February); a date that is not one
    counts from 2000-01-01, and a date past the calendar's end is its last day."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        d = date(2000, 1, 1)
    if d.year + years > date.max.year:
        return date.max.isoformat()
    try:
        return d.replace(year=d.year + years).isoformat()
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28).isoformat()


def published() -> list[dict[str, Any]]:
    """The rule table as data: the API and docs show it."""
    return [asdict(r) for r in RULES.values()]

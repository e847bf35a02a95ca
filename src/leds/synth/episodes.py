"""Episodes that happen to a true person: wanted circulations and missing-person reports.

An episode belongs to the true person, not to one copy, so every system that records it
(the home force's records system and the PNC) tells the same story: the same reason,
dates, risk and outcome, each under its own refs.  Planning an episode draws from its own
random stream, so adding episodes leaves every other record as it was.

Times are whole minutes since the proleptic ordinal day 0 (``date.toordinal() * 1440``).
Nothing is later than the end of ``EVENT_END``: an episode that would close after it is
still open when the data is sent, which is how live wanted and missing cases arise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from math import exp
from random import Random
from typing import Any

from leds.standard.codes import FORCES

from . import catalogue as cat
from .geography import FORCE_AREAS
from .population import EVENT_END, EVENT_START, Picker, TruePerson, below, between

LAST_MINUTE = EVENT_END * 1440 + 1439
_YEAR = 365


def stamp(t: int) -> str:
    """``2024-03-07T18:05:00Z`` for minute ``t``."""
    d, m = divmod(t, 1440)
    return f"{date.fromordinal(d).isoformat()}T{m // 60:02d}:{m % 60:02d}:00Z"


def minute_of(when: str) -> int:
    """The minute of an ``occurred_at`` the generator wrote (``YYYY-MM-DDTHH:MM:00Z``)."""
    return date.fromisoformat(when[:10]).toordinal() * 1440 + int(when[11:13]) * 60 + int(when[14:16])


@dataclass(slots=True)
class Episode:
    kind: str  # "wanted" or "missing"
    data: dict[str, Any]  # the opening event, as first sent
    closed_at: int | None = None  # minute it was cancelled or found; None while open
    closing: dict[str, Any] = field(default_factory=dict)  # fields the later upsert sets
    found: dict[str, Any] | None = None  # the "found" event of a missing episode


_WANTED = Picker([((t, what, issuer), w) for t, what, issuer, w in cat.WANTED_REASONS])
_CANCELLED = Picker(cat.WANTED_CANCELLED)
_REPORTED_CHILD = Picker(cat.REPORTED_BY_CHILD)
_REPORTED_IN_CARE = Picker(cat.REPORTED_BY_IN_CARE)
_REPORTED_ADULT = Picker(cat.REPORTED_BY_ADULT)
_RISK_CHILD = Picker(cat.MISSING_RISK_CHILD)
_RISK_ADULT = Picker(cat.MISSING_RISK_ADULT)
_FOUND_HOW = Picker(cat.FOUND_HOW)
_FOUND_CONDITION = Picker(cat.FOUND_CONDITION)
# Chance that a true person is ever circulated as wanted, by offending level 0-3.
_P_WANTED = (0.004, 0.03, 0.10, 0.25)
_VULNERABLE_MARKERS = frozenset({"MN", "SU", "SH", "AT"})
_FORCE_LIST = sorted(FORCE_AREAS)


def moment(rng: Random, lo: int, hi: int) -> int:
    """A minute on a day between ordinals ``lo`` and ``hi``."""
    return between(rng, lo, hi) * 1440 + below(rng, 1440)


def _town(rng: Random, force: str) -> str:
    areas = FORCE_AREAS[force]
    return areas[below(rng, len(areas))].town


def wanted(rng: Random, tp: TruePerson, crimes: Picker) -> list[Episode]:
    """Wanted circulations for ``tp``: mostly court warrants for failing to appear, most
    of them cancelled within weeks; the rest still active when the data is sent.
    ``crimes`` picks the crime category of someone wanted on suspicion."""
    if rng.random() >= _P_WANTED[tp.level]:
        return []
    lo = max(EVENT_START, tp.dob.toordinal() + 14 * _YEAR)
    if lo >= EVENT_END:
        return []
    offences = cat.OFFENCES[crimes.pick(rng)]
    offence = offences[below(rng, len(offences))]
    force = tp.home_force
    out = []
    for _ in range(1 + (tp.level >= 2 and rng.random() < 0.3)):
        # a third of circulations fall in the last two years, so some are still live
        start = moment(rng, max(lo, EVENT_END - 2 * _YEAR) if rng.random() < 0.33 else lo, EVENT_END)
        wanted_type, what, issuer = _WANTED.pick(rng)
        town = _town(rng, force)
        court = f"{town} {'Crown' if rng.random() < 0.2 else 'Magistrates'}' Court"
        what = what.format(court=court, offence=offence)
        yy = date.fromordinal(start // 1440).year % 100
        data: dict[str, Any] = {"kind": "wanted", "occurred_at": stamp(start), "status": "active",
                                "wanted_type": wanted_type}
        if issuer == "court":
            data["description"] = f"Wanted on warrant for {what}"
            data["issued_by"] = court
            data["warrant_reference"] = f"{force}/W/{yy:02d}/{below(rng, 10**6):06d}"
            data["warrant_bail"] = "not backed for bail" if rng.random() < 0.8 else "backed for bail"
        elif issuer == "prison":
            data["description"] = f"Wanted: {what}"
            data["issued_by"] = "HM Prison and Probation Service"
            data["warrant_reference"] = f"REC/{yy:02d}/{below(rng, 10**6):06d}"
        else:
            data["description"] = f"Wanted for {what}"
            data["issued_by"] = FORCES[force]
            data["circulation_reference"] = f"{force}/WNT/{yy:02d}/{below(rng, 10**6):06d}"
        data["wanted_since"] = data["occurred_at"][:10]
        ep = Episode("wanted", data)
        # most are executed within weeks; a few stay outstanding for years
        if rng.random() >= 0.06:
            end = start + int(rng.expovariate(1 / 45) * 1440) + 60
            if end <= LAST_MINUTE:
                ep.closed_at = end
                ep.closing = {"status": "cancelled", "cancelled_at": stamp(end),
                              "cancellation_reason": _CANCELLED.pick(rng)}
        out.append(ep)
    return out


def missing(rng: Random, tp: TruePerson) -> list[Episode]:
    """Missing-person episodes for ``tp``: mostly as a child aged 12-17 (often several, more
    for children in care), and adults with a mental-health, self-harm, suicide or medical
    marker, or aged over 70.  Most are found within a day; about 3% are still open."""
    u = rng.random()
    if u >= 0.3:  # more than any group's chance: the commonest answer, found cheaply
        return []
    dob = tp.dob.toordinal()
    child_lo, child_hi = max(EVENT_START, dob + 12 * _YEAR), min(EVENT_END, dob + 18 * _YEAR)
    adult_lo = max(EVENT_START, dob + 18 * _YEAR)
    vulnerable = any(m[0] in _VULNERABLE_MARKERS for m in tp.markers)
    if child_lo < child_hi and u < (0.18 if tp.level >= 2 else 0.08):
        lo, hi, child = child_lo, child_hi, True
        in_care = rng.random() < 0.35
        repeat = 0.6 if in_care else 0.35
    elif adult_lo < EVENT_END and (u < 0.3 if vulnerable else u < 0.02):
        lo, hi, child, in_care, repeat = adult_lo, EVENT_END, False, False, 0.3
    elif adult_lo < EVENT_END and dob + 70 * _YEAR < EVENT_END and u < 0.03:
        lo, hi, child, in_care, repeat = max(adult_lo, dob + 70 * _YEAR), EVENT_END, False, False, 0.3
        vulnerable = True
    else:
        return []
    n = 1
    while n < 8 and rng.random() < repeat:
        n += 1
    force = tp.home_force
    out = []
    for _ in range(n):
        v = rng.random()
        if v < 0.06 and hi == EVENT_END:  # reported in the last ten days and not yet found
            start = moment(rng, EVENT_END - 10, EVENT_END)
        else:
            start = moment(rng, lo, hi)
        town = _town(rng, force)
        town2 = _town(rng, _FORCE_LIST[below(rng, len(_FORCE_LIST))])
        if child:
            pool = cat.MISSING_IN_CARE_CIRCUMSTANCES if in_care else cat.MISSING_CHILD_CIRCUMSTANCES
            circumstances = pool[below(rng, len(pool))]
            places = cat.LAST_SEEN_IN_CARE if in_care else cat.LAST_SEEN_CHILD
            place = places[below(rng, len(places))]
            reported_by = (_REPORTED_IN_CARE if in_care else _REPORTED_CHILD).pick(rng)
            risk = _RISK_CHILD.pick(rng)
        else:
            pool = cat.MISSING_VULNERABLE_CIRCUMSTANCES if vulnerable else cat.MISSING_ADULT_CIRCUMSTANCES
            circumstances = pool[below(rng, len(pool))]
            place = cat.LAST_SEEN_ADULT[below(rng, len(cat.LAST_SEEN_ADULT))]
            reported_by = _REPORTED_ADULT.pick(rng)
            risk = _RISK_ADULT.pick(rng) if vulnerable else "low" if rng.random() < 0.5 else "medium"
        circumstances = circumstances.format(town2=town2)
        yy = date.fromordinal(start // 1440).year % 100
        episode_ref = f"{force}-MIS-{yy:02d}-{below(rng, 10**6):06d}"
        data: dict[str, Any] = {
            "kind": "missing", "occurred_at": stamp(start),
            "description": f"Reported missing by {reported_by}. {circumstances}.",
            "status": "open", "risk": risk, "last_seen_at": f"{place}, {town}",
            "last_seen_time": stamp(max(start - between(rng, 30, 600), EVENT_START * 1440)),
            "circumstances": circumstances, "reported_by": reported_by,
            "episode_reference": episode_ref}
        if child:
            data["looked_after_child"] = in_care
        ep = Episode("missing", data)
        if not (v < 0.06 and hi == EVENT_END) and rng.random() >= 0.005:  # 0.5% are long-term missing
            # hours missing: median about 12, a long tail of days
            end = start + 30 + int(exp(rng.gauss(6.6, 1.3)))
            if end <= LAST_MINUTE:
                how = _FOUND_HOW.pick(rng).format(town2=town2)
                condition = _FOUND_CONDITION.pick(rng)
                ep.closed_at = end
                ep.found = {"kind": "found", "occurred_at": stamp(end),
                            "description": f"Missing person {how}; {condition}",
                            "episode_reference": episode_ref, "how_found": how, "condition": condition,
                            "hours_missing": (end - start) // 60}
                if child:
                    ep.found["return_interview_offered"] = rng.random() < 0.85
                ep.closing = {"status": "closed", "closed_at": stamp(end)}
        out.append(ep)
    return out

"""One record's quality, from its current version: pure computation, shared by the
ingest projector and the checks of the recompute (which runs the same rules in DuckDB SQL,
see ``recompute.py``; a test keeps the two in step)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from leds.standard.codes import EVENT_KINDS, LINK_ROLES

from .rules import ARREST_WITHIN_S, BY_ID

BIRTH = BY_ID["person.birth_date.present"].bit
SEX = BY_ID["person.sex.present"].bit
TIMELY = BY_ID["event.arrest.timely_24h"].bit
CODE = BY_ID["code.standard"].bit
DUPLICATE = BY_ID["person.duplicate_in_source"].bit


RULED_TYPES = frozenset({"person", "link", "event"})  # the record types some rule reads


@dataclass(slots=True)
class Fact:
    checked: int
    failed: int
    detail: dict[int, str]  # bit -> what failed (a non-standard value, how late), never personal data


NONE = Fact(0, 0, {})


def day_of(iso: str) -> str:
    return iso[:10]


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def evaluate(rtype: str, op: str, issued_at: str, data_json: str | None) -> Fact:
    if op == "delete" or data_json is None:
        return NONE
    if rtype == "person":
        # Canonical JSON (compact, sorted keys): an absent or empty list shows in the text.
        failed = (0 if '"birth_dates":["' in data_json else BIRTH) | (0 if '"sex":"' in data_json else SEX)
        return Fact(BIRTH | SEX | DUPLICATE, failed, {})
    if rtype == "link":
        role = orjson.loads(data_json).get("role")
        if role in LINK_ROLES:
            return Fact(CODE, 0, {})
        return Fact(CODE, CODE, {CODE: f"role={role}"})
    if rtype == "event":
        data: dict[str, Any] = orjson.loads(data_json)
        kind = data.get("kind")
        checked, failed, detail = CODE, 0, {}
        if kind not in EVENT_KINDS:
            failed, detail[CODE] = CODE, f"kind={kind}"
        if kind == "arrest" and isinstance(data.get("occurred_at"), str):
            checked |= TIMELY
            late = _seconds(issued_at) - _seconds(data["occurred_at"])
            if late > ARREST_WITHIN_S:
                failed |= TIMELY
                detail[TIMELY] = f"issued {late / 3600:.1f} h after the arrest"
        return Fact(checked, failed, detail)
    return NONE

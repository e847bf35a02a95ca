"""How a person check scores and explains its candidates: the current matching model's
match weight and its waterfall of comparisons, or, before the first ``leds match``, a
fixed-weight agreement on each field (:func:`fallback_explain`).  The probability shown
is :func:`leds.matching.model.probability` of the weight.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection

from .model import probability
from .names import phonetic


class Asked(Protocol):
    """What a person check asks (``leds.checks.models.PersonQuery``)."""

    @property
    def surname(self) -> str | None: ...
    @property
    def forename(self) -> str | None: ...
    @property
    def dob(self) -> date | None: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def pnc_id(self) -> str | None: ...
    @property
    def postcode(self) -> str | None: ...


_VERSION_CACHE: dict[str, tuple[float, int | None]] = {}
VERSION_TTL_S = 5.0  # a newly trained model is used by checks within this many seconds


def current_check_model(conn: Connection) -> Any:
    """The matching model checks score with (None before the first ``leds match``); which
    version is current is looked up at most every VERSION_TTL_S seconds (checks are a hot
    path), the parsed model is matching's own cache.  ``leds serve`` calls it at start-up."""
    from leds.matching.store import cached_model, current_model_version

    url = str(conn.engine.url)
    seen = _VERSION_CACHE.get(url)
    if seen is None or time.monotonic() - seen[0] > VERSION_TTL_S:
        seen = (time.monotonic(), current_model_version(conn))
        _VERSION_CACHE[url] = seen
    return cached_model(conn, seen[1]) if seen[1] is not None else None


def query_features(q: Asked) -> dict[str, Any]:
    """The matching features of what a check asks, as if it were a person record."""
    from leds.matching.features import person_features

    data: dict[str, Any] = {"names": [{"given": [q.forename] if q.forename else [],
                                       "family": (q.surname or "").replace("*", "").replace("?", "")}]}
    if q.dob:
        data["birth_dates"] = [q.dob.isoformat()]
    if q.sex:
        data["sex"] = q.sex
    if q.pnc_id:
        data["pnc_id"] = q.pnc_id
    pc = q.postcode if q.postcode and len(q.postcode) > 4 else None
    return person_features("query", "", "", "", data, (pc, None))


def fallback_explain(qf: dict[str, Any], rf: dict[str, Any]) -> dict[str, Any]:
    """Without a trained model: agreement on each field, with fixed weights (in bits) that
    say how much rarer such an agreement is by chance.  Shown as such to the user."""
    rows: list[dict[str, Any]] = []

    def add(comparison: str, level: str, weight: float) -> None:
        rows.append({"comparison": comparison, "level": level, "match_weight": weight})

    if qf["pnc"] and rf["pnc"]:
        add("pnc", "exact" if qf["pnc"] == rf["pnc"] else "different", 20.0 if qf["pnc"] == rf["pnc"] else -10.0)
    if qf["sn"] and rf["sn"]:
        same = qf["sn"] == rf["sn"] or qf["sn"] in (rf["family_all"] or [])
        sounds = phonetic(qf["sn"]) == phonetic(rf["sn"])
        add("surname", "exact" if same else "sounds alike" if sounds else "different",
            8.0 if same else 4.0 if sounds else -4.0)
    if qf["fn"] and rf["fn"]:
        same = qf["fn"] == rf["fn"] or qf["fn"] in (rf["given_all"] or [])
        nick = bool(set(qf["fn_groups"] or []) & set(rf["fn_groups"] or []))
        add("forename", "exact" if same else "nickname" if nick else "different",
            6.0 if same else 4.0 if nick else -3.0)
    if qf["dob"] and rf["dobs"]:
        exact = qf["dob"] in rf["dobs"]
        year = any(abs(int(d[:4]) - qf["dob_y"]) <= 1 for d in rf["dobs"])
        add("dob", "exact" if exact else "within a year" if year else "different",
            10.0 if exact else 2.0 if year else -8.0)
    if qf["sex"] and rf["sex"]:
        add("sex", "exact" if qf["sex"] == rf["sex"] else "different", 1.0 if qf["sex"] == rf["sex"] else -6.0)
    if qf["postcode"] and rf["postcode"]:
        add("address", "same postcode" if qf["postcode"] == rf["postcode"] else "different",
            6.0 if qf["postcode"] == rf["postcode"] else 0.0)
    total = float(sum(r["match_weight"] for r in rows))  # type: ignore[misc]
    return {"comparisons": rows, "match_weight": total, "model_version": None}


def explain(model: Any, qf: dict[str, Any], rf: dict[str, Any], levels: list[int] | None = None) -> dict[str, Any]:
    if model is None:
        return fallback_explain(qf, rf)
    return model.explain(qf, rf, levels)  # type: ignore[no-any-return]


__all__ = ["current_check_model", "explain", "fallback_explain", "probability", "query_features"]

"""The missing-persons systems' feed: each missing episode of a true person as a
``missing_episode`` updategram (``../shared/UPDATEGRAM.md``), for the national register.

Each force's missing-persons system (source ``COMPACT``, the one most forces use) sends the
episodes it reported, in a file of its own, so the files every other system sends are byte for
byte what they were.  The subject is the person's record in the home force's records system
(or, failing that, on the PNC, or the first record any system holds), named with its force and
source.  An episode is sent once, in the state the system holds when the data is sent: found
(with where, by which force, and for a child the return home interview if one was held) or
still missing.  A person who goes missing again is sometimes reported by another force (a
child placed out of area, an adult found far from home), so one person has episodes in two
forces.  Everything drawn here comes from a random stream of its own, so adding the register
changed no other record.
"""

from __future__ import annotations

from random import Random
from typing import Any

from leds.standard.codes import FORCES

from .episodes import LAST_MINUTE, Episode, minute_of, stamp
from .geography import PNC_SOURCE, rms_source
from .population import TruePerson, between
from .writer import OFFICIAL_SENSITIVE, BlockWriter, File

MISSING_SOURCE = "COMPACT"
_P_OTHER_FORCE = 0.3  # a repeat episode reported by another force
_P_FOUND_ELSEWHERE = 0.1  # found, or returned, in another force's area
_P_INTERVIEW_IN_TIME = 0.65  # of interviews held (the national figure is about 63%)
_VULNERABILITY = {"MN": "mental_health", "SH": "self_harm", "SU": "suicidal", "AT": "medical_condition"}

Copy = tuple[str, str, str]  # (force, source, ref) of a person record


class RegisterWriter(BlockWriter):
    """Writes the ``missing_episode`` updategrams of a block's people."""

    _mr: Random | None = None

    def _register(self, tp: TruePerson, eps: list[Episode], copies: list[Copy]) -> None:
        missing = [ep for ep in eps if ep.kind == "missing"]
        if not missing or not copies:
            return
        if self._mr is None:
            self._mr = Random(f"leds-synth-missing:{self.plan.seed}:{self.block}")
        mr = self._mr
        subject = _subject(tp, copies)
        for i, ep in enumerate(missing):
            force = tp.home_force
            if i and mr.random() < _P_OTHER_FORCE:
                force = self._elsewhere(mr, tp.home_force)
                self.stats["register:other_force"] += 1
            key = (force, MISSING_SOURCE)
            f = self.files.get(key)
            if f is None:
                f = self.files[key] = File(self.plan.seed, *key)
            f.n_e += 1
            data = _episode(mr, tp, ep, force, subject, self._elsewhere(mr, force))
            self._emit(f, "missing_episode", f"MIS{self.tag}{f.n_e:06d}", "missing", OFFICIAL_SENSITIVE, data)
            self.stats["register:" + data["status"]] += 1

    def _elsewhere(self, mr: Random, home: str) -> str:
        for _ in range(4):
            other = self.world.forces.pick(mr)
            if other != home:
                return other
        return "BTP"


def _subject(tp: TruePerson, copies: list[Copy]) -> dict[str, str]:
    home = [c for c in copies if c[0] == tp.home_force and c[1] == rms_source(tp.home_force)]
    pnc = [c for c in copies if c[1] == PNC_SOURCE]
    force, source, ref = (home or pnc or copies)[0]
    return {"type": "person", "ref": ref, "force": force, "source": source}


def _episode(mr: Random, tp: TruePerson, ep: Episode, force: str, subject: dict[str, str],
             elsewhere: str) -> dict[str, Any]:
    d = ep.data
    child = "looked_after_child" in d
    vulnerabilities = ["child"] if child else []
    if d.get("looked_after_child"):
        vulnerabilities.append("looked_after")
    if not child:
        vulnerabilities += sorted({_VULNERABILITY[m[0]] for m in tp.markers if m[0] in _VULNERABILITY})
        if "dementia" in d["circumstances"]:
            vulnerabilities.append("dementia")
    risk = d["risk"]
    if risk == "low" and not child and not vulnerabilities and mr.random() < 0.4:
        risk = "very_low"
    out: dict[str, Any] = {
        "subject": subject, "reported_at": d["occurred_at"],
        "last_seen": {"at": d["last_seen_time"], "place": d["last_seen_at"]},
        "risk": risk, "vulnerabilities": vulnerabilities, "circumstances": d["circumstances"],
        "status": "missing", "contact": f"{FORCES[force]} Police missing persons unit",
        "recorded_by": f"{force} missing persons coordinator",
        "rationale": f"Reported by {d['reported_by']}; risk assessed as {risk.replace('_', ' ')}",
    }
    if ep.found is None:
        return out
    found_at = minute_of(ep.found["occurred_at"])
    out["status"] = "found"
    out["found"] = {"at": ep.found["occurred_at"], "circumstances": ep.found["description"],
                    "force": elsewhere if mr.random() < _P_FOUND_ELSEWHERE else force}
    out["rationale"] = f"Found: {ep.found['how_found']}; {ep.found['condition']}"
    if child and ep.found.get("return_interview_offered"):
        hours = between(mr, 4, 71) if mr.random() < _P_INTERVIEW_IN_TIME else between(mr, 73, 240)
        held = found_at + hours * 60 + between(mr, 0, 59)
        if held <= LAST_MINUTE:  # not yet held when the data is sent
            out["return_interview"] = {"at": stamp(held), "by": "independent return home interviewer"}
    return out

"""Generate the synthetic population as updategram files with ground truth.

Work is split into fixed blocks of ``BLOCK_SIZE`` true people.  Each block has its own
``random.Random`` seeded from (seed, block number), so a block's content never depends on
which process made it or on how many processes there are.  A worker renders each file's
lines for its block with a ``%d`` where the sequence goes; the parent takes blocks in
order and fills in sequences with one C-level ``bytes % tuple`` per file, so sequences
run 1, 2, 3, ... per file.  ``issued_at`` is computed by the worker from a time window
that belongs to the block, so it never decreases along a file.  A block's updates and
deletes (a cancelled circulation, a found person) go after its first upserts, so they
always follow the record they change.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from hashlib import blake2b
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from random import Random
from typing import Any

import orjson

from . import catalogue as cat
from . import episodes
from .episodes import LAST_MINUTE, Episode, minute_of, moment, stamp
from .geography import FORCE_AREAS, INTEL_SOURCE, PNC_SOURCE, custody_source, rms_source
from .population import (
    EVENT_END,
    EVENT_START,
    Address,
    Picker,
    TruePerson,
    V,
    World,
    below,
    between,
)
from .rates import IDENTIFIER_NAMES, VARIATION_NAMES, VariationRates, rates_from

BLOCK_SIZE = 2000
GENERATOR_VERSION = 2
# issued_at runs over SPAN before BASE_END, shifted earlier by up to 30 days by the seed.
BASE_END = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=180)

_dumps = orjson.dumps
_MID = b'","op":"upsert","record":'  # between issued_at and the record
_END = b"}\n"

FileKey = tuple[str, str]

# Chance that a copy in a system of each role records the address, vehicle, each marker.
_P_ADDRESS = {"custody": 0.85, "rms": 0.6, "pnc": 0.5, "intel": 0.6}
_P_VEHICLE = {"custody": 0.35, "rms": 0.2, "pnc": 0.0, "intel": 0.5}
_P_MARKER = {"custody": 0.7, "rms": 0.5, "pnc": 1.0, "intel": 0.3}
# Chance that a copy is linked as driver or user of a vehicle another person keeps.
_P_DRIVES = {"custody": 0.04, "rms": 0.02, "pnc": 0.0, "intel": 0.08}
# Chance that a vehicle record, when a file first sends it, comes with ANPR reads.
_P_ANPR = {"custody": 0.04, "rms": 0.04, "pnc": 0.0, "intel": 0.25}
_P_STOLEN = 0.03  # a vehicle in a force's crime system has been reported stolen
_BAIL_OUTCOMES = frozenset({"charged and bailed", "released on pre-charge bail"})
_VEHICLE_MARKERS = Picker([((code, detail), w) for code, detail, w in cat.VEHICLE_MARKERS])


@dataclass
class SynthReport:
    out_dir: Path
    persons: int
    seed: int
    records: int
    person_records: int
    files: list[str]
    counts_by_type: dict[str, int]
    realised_rates: dict[str, float | None]
    configured_rates: dict[str, float]
    hard_negatives: dict[str, int]
    elapsed_s: float = 0.0
    workers: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs; identical in every process."""

    seed: int
    persons: int
    rates: VariationRates
    reference_dir: Path | None
    n_blocks: int
    t0: int  # epoch seconds of the first issued_at
    window: int  # seconds of issued_at per block


def _plan(seed: int, persons: int, rates: VariationRates, reference_dir: Path | None) -> Plan:
    n_blocks = max(1, -(-persons // BLOCK_SIZE))
    shift = Random(f"leds-synth-clock:{seed}").randrange(30 * 86400)
    end = int(BASE_END.timestamp()) - shift
    span = int(SPAN.total_seconds())
    return Plan(seed, persons, rates, reference_dir, n_blocks, end - span, span // n_blocks)


# --- per-process state ---------------------------------------------------------------
_WORLD: World | None = None
_WORLD_KEY: tuple[Any, ...] | None = None
_HMS: list[bytes] = []
_DAYS: dict[int, bytes] = {}


def _world(plan: Plan) -> World:
    global _WORLD, _WORLD_KEY
    key = (plan.seed, plan.rates, plan.reference_dir)
    if _WORLD is None or _WORLD_KEY != key:
        _WORLD = World(plan.seed, plan.rates, plan.reference_dir)
        _WORLD_KEY = key
    return _WORLD


def _timestamp(s: int) -> bytes:
    """``2025-07-01T08:04:36Z`` for epoch seconds ``s``, from cached pieces."""
    if not _HMS:
        _HMS.extend(f"{h:02d}:{m:02d}:{x:02d}Z".encode() for h in range(24) for m in range(60) for x in range(60))
    day, rem = divmod(s, 86400)
    d = _DAYS.get(day)
    if d is None:
        d = _DAYS[day] = (date.fromordinal(day + 719163).isoformat() + "T").encode()
    return d + _HMS[rem]


def _file_hash(seed: int, force: str, source: str) -> tuple[int, int]:
    h = blake2b(f"{seed}|{force}|{source}".encode(), digest_size=16).digest()
    a = int.from_bytes(h[:8], "big") % 10**10
    a |= 1
    if a % 5 == 0:
        a += 2
    return a, int.from_bytes(h[8:], "big") % 10**10


# --- one block ------------------------------------------------------------------------
class _File:
    """What a block knows about one (force, source) file: its lines so far, its ref
    counters, the locations and vehicles already sent, and recent people (associates)."""

    __slots__ = ("force", "source", "out", "later", "n_l", "n_v", "n_e", "n_m", "n_k", "recent", "perm_a",
                 "perm_b", "locations", "vehicles", "towns", "with_crimes", "is_rms", "recent_vehicles")

    def __init__(self, seed: int, force: str, source: str) -> None:
        self.force = force
        self.source = source
        self.out: list[bytes] = []
        self.later: list[bytes] = []  # updates and deletes, sent after the block's first upserts
        self.n_l = self.n_v = self.n_e = self.n_m = self.n_k = 0
        self.recent: list[tuple[str, str, str]] = []
        self.perm_a, self.perm_b = _file_hash(seed, force, source)
        self.locations: dict[int, str] = {}
        self.vehicles: dict[int, str] = {}
        areas = FORCE_AREAS.get(force)
        self.towns = [a.town for a in areas] if areas else ["London"]
        # a force whose custody and crime records live in one system records both there
        self.with_crimes = force not in FORCE_AREAS or custody_source(force) == rms_source(force)
        # the force's records system: it holds crimes, wanted and missing-person reports
        self.is_rms = force in FORCE_AREAS and source == rms_source(force)
        self.recent_vehicles: list[tuple[str, int]] = []  # (vehicle ref, keeper's true index)


_OS = "OFFICIAL-SENSITIVE"


class _Block:
    """Generates the records of one block of true people."""

    def __init__(self, plan: Plan, block: int) -> None:
        self.plan = plan
        self.block = block
        self.world = _world(plan)
        self.rng = Random(f"leds-synth:{plan.seed}:{block}")
        # Wanted, missing, bail, release, vehicle users, reports and markers draw from their
        # own stream, so the records that existed before them are unchanged by them.
        self.xr = Random(f"leds-synth-more:{plan.seed}:{block}")
        self.files: dict[FileKey, _File] = {}
        self.truth: list[str] = []
        self.variations: list[str] = []
        self.hard: list[str] = []
        self.eligible = [0] * len(VARIATION_NAMES)
        self.applied = [0] * len(VARIATION_NAMES)
        self.ident = [0, 0, 0, 0]
        self.stats: Counter[str] = Counter()
        self.type_counts: dict[tuple[str, str], int] = {}
        self.kind_counts: dict[str, int] = {}
        self.role_counts: dict[str, int] = {}
        self.tag = f"{block:05d}"
        self.next_addr = [block * 10_000_000]

    # output ----------------------------------------------------------------------------
    def _emit(self, f: _File, rtype: str, ref: str, dataset: str, handling: str, data: dict[str, Any],
              update: str | None = None) -> None:
        """Write an upsert.  ``update`` names a later upsert of a record already sent (it
        goes after the block's first upserts, and is counted as that kind of update)."""
        line = _dumps({"type": rtype, "ref": ref, "dataset": dataset, "handling": handling, "data": data})
        if b"%" in line:  # the parent fills in sequences with bytes % (...)
            line = line.replace(b"%", b"%%")
        k = (rtype, dataset)
        tc = self.type_counts
        tc[k] = tc.get(k, 0) + 1
        if update is not None:
            f.later.append(_MID + line + _END)
            self.stats["update:" + update] += 1
            return
        f.out.append(_MID + line + _END)
        if rtype == "event":
            kc = self.kind_counts
            kind = data["kind"]
            kc[kind] = kc.get(kind, 0) + 1

    def _delete(self, f: _File, rtype: str, ref: str) -> None:
        """Withdraw a record sent earlier in this block (after the block's first upserts)."""
        f.later.append(f'","op":"delete","record":{{"type":"{rtype}","ref":"{ref}"}}}}\n'.encode())
        k = (rtype, "")
        self.type_counts[k] = self.type_counts.get(k, 0) + 1
        self.stats["delete:" + rtype] += 1

    def _link(self, f: _File, from_ref: str, to_type: str, to_ref: str, role: str, dataset: str,
              handling: str = _OS, valid_from: str | None = None, from_type: str = "person") -> str:
        # Links are the commonest record and have a fixed shape of plain ASCII values,
        # so they are written directly rather than through a dict and orjson.
        f.n_k += 1
        ref = f"K{self.tag}{f.n_k:06d}"
        vf = f',"valid_from":"{valid_from}"' if valid_from else ""
        f.out.append(
            f'","op":"upsert","record":{{"type":"link","ref":"{ref}","dataset":"{dataset}",'
            f'"handling":"{handling}","data":{{"from":{{"type":"{from_type}","ref":"{from_ref}"}},'
            f'"to":{{"type":"{to_type}","ref":"{to_ref}"}},"role":"{role}"{vf}}}}}}}\n'.encode()
        )
        k = ("link", dataset)
        tc = self.type_counts
        tc[k] = tc.get(k, 0) + 1
        rc = self.role_counts
        rc[role] = rc.get(role, 0) + 1
        return ref

    def _event_ref(self, f: _File) -> str:
        f.n_e += 1
        return f"E{self.tag}{f.n_e:06d}"

    # dates ----------------------------------------------------------------------------
    @staticmethod
    def _event_window(tp: TruePerson) -> tuple[int, int] | None:
        lo = max(EVENT_START, tp.dob.toordinal() + 3653)  # ten years old
        return (lo, EVENT_END) if lo < EVENT_END else None

    def _when(self, window: tuple[int, int]) -> tuple[str, str, int]:
        rnd = self.rng.random
        d = date.fromordinal(window[0] + int(rnd() * (window[1] - window[0] + 1)))
        day = d.isoformat()
        minute = int(rnd() * 1440)
        return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z", day, d.year

    # the block --------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        plan, world, rng = self.plan, self.world, self.rng
        start = self.block * BLOCK_SIZE
        end = min(plan.persons, start + BLOCK_SIZE)
        idx = start
        stats = self.stats
        while idx < end:
            people, pairs = world.unit(rng, idx, end - idx, self.next_addr)
            for a, b, kind in pairs:
                self.hard.append(f"T{a:08d},T{b:08d},{kind}\n")
                stats["hn:" + kind] += 1
            unit_files: dict[FileKey, list[tuple[str, TruePerson]]] = {}
            for tp in people:
                self._person(tp, unit_files)
                stats["comm:" + tp.community] += 1
            if len(people) > 1:
                self._family_links(unit_files)
            idx += len(people)
        stats["persons"] += end - start
        return self._render()

    def _roles(self, tp: TruePerson) -> list[tuple[str, str, str]]:
        """The (role, force, source) of each copy of ``tp``."""
        rng, world = self.rng, self.world
        rnd = rng.random
        home = tp.home_force
        n = world.copies.pick(rng)
        systems = _SYSTEMS[home]
        u = rnd()
        if u < 0.72:
            first = systems.custody
        elif u < 0.86:
            first = systems.intel
        elif u < 0.98:
            first = _SYSTEMS[self._other_force(home)].custody
        else:
            first = _BTP
        roles = [first]
        if n == 1:
            return roles
        used = {first[1:]}
        rate = world.rates.duplicate
        dup_i = V["duplicate"]
        for _ in range(1, n):
            earlier = [r for r in roles if r[0] != "pnc"]
            if earlier:
                self.eligible[dup_i] += 1
                if rnd() < rate:
                    self.applied[dup_i] += 1
                    roles.append(("dup",) + earlier[int(rnd() * len(earlier))][1:])
                    continue
            options: list[tuple[tuple[str, str, str], float]] = []
            if tp.pnc_id and systems.pnc[1:] not in used:
                options.append((systems.pnc, 5.0))
            if systems.custody[1:] not in used:
                options.append((systems.custody, 3.0))
            if systems.rms is not None and systems.rms[1:] not in used:
                options.append((systems.rms, 1.5))
            if systems.intel[1:] not in used:
                options.append((systems.intel, 2.0))
            if _BTP[1:] not in used:
                options.append((_BTP, 0.2))
            if tp.level == 3 and _NCA[1:] not in used:
                options.append((_NCA, 0.3))
            away = _SYSTEMS[self._other_force(home)].custody
            if away[1:] not in used:
                options.append((away, 1.0))
            x = rnd() * sum(w for _, w in options)
            role = options[-1][0]
            for option, w in options:
                x -= w
                if x < 0:
                    role = option
                    break
            roles.append(role)
            used.add(role[1:])
        return roles

    def _other_force(self, home: str) -> str:
        """A force other than ``home``, by population (someone offending away from home)."""
        forces = self.world.forces
        for _ in range(4):
            f = forces.pick(self.rng)
            if f != home:
                return f
        return "BTP"

    def _person(self, tp: TruePerson, unit_files: dict[FileKey, list[tuple[str, TruePerson]]]) -> None:
        roles = self._roles(tp)
        self.stats[_COPIES[len(roles)]] += 1
        xr = self.xr
        eps = episodes.wanted(xr, tp, self.world.crimes) + episodes.missing(xr, tp)
        for ep in eps:
            self.stats["episode:" + ep.kind] += 1
        for copy_no, (role, force, source) in enumerate(roles):
            dup = role == "dup"
            if dup:
                role = "pnc" if source == PNC_SOURCE else ("intel" if source == INTEL_SOURCE else "custody")
            self._copy(tp, copy_no, role, (force, source), dup, unit_files, eps)

    def _copy(self, tp: TruePerson, copy_no: int, role: str, key: FileKey, dup: bool,
              unit_files: dict[FileKey, list[tuple[str, TruePerson]]], eps: list[Episode]) -> None:
        rng, world = self.rng, self.world
        rnd = rng.random
        f = self.files.get(key)
        if f is None:
            f = self.files[key] = _File(self.plan.seed, *key)
        data, applied, written = world.copy_person(rng, tp, on_pnc=role == "pnc", eligible=self.eligible,
                                                   applied_counts=self.applied, ident=self.ident)
        if dup:
            applied.append("duplicate")
        pref = f"P{(f.perm_a * (tp.idx * 8 + copy_no) + f.perm_b) % 10**10:010d}"
        self._emit(f, "person", pref, "nominal", _OS if rnd() < 0.92 else "OFFICIAL", data)
        head = f"{f.force},{f.source},{pref},"
        self.truth.append(f"{head}{tp.tid}\n")
        self.variations.append(f"{head}{';'.join(applied)}\n")
        unit_files.setdefault(key, []).append((pref, tp))

        # where they live
        addr: Address | None = None
        if rnd() < _P_ADDRESS[role]:
            addr = world.address_in(rng, tp, f.force, self.next_addr)
            lref = f.locations.get(addr.id)
            if lref is None:
                f.n_l += 1
                lref = f.locations[addr.id] = f"L{self.tag}{f.n_l:06d}"
                pc = addr.postcode if rnd() < 0.9 else addr.postcode.replace(" ", "")
                adata: dict[str, Any] = {"address": {"lines": addr.lines, "town": addr.town, "postcode": pc}}
                if addr.uprn:
                    adata["uprn"] = addr.uprn
                self._emit(f, "location", lref, "nominal", _OS, adata)
            since = max(tp.dob.toordinal() + 5844, EVENT_START)  # from sixteen
            valid_from = date.fromordinal(between(rng, since, EVENT_END)).isoformat() if since < EVENT_END else None
            self._link(f, pref, "location", lref, "resides_at", "nominal", _OS, valid_from)

        # what they drive
        if tp.vehicle is not None and rnd() < _P_VEHICLE[role]:
            vref = f.vehicles.get(tp.vehicle_id)
            if vref is None:
                f.n_v += 1
                vref = f.vehicles[tp.vehicle_id] = f"V{self.tag}{f.n_v:06d}"
                vdata = dict(tp.vehicle)
                if rnd() < 0.4:
                    vrm = vdata["vrm"]
                    vdata["vrm"] = f"{vrm[:4]} {vrm[4:]}"
                self._emit(f, "vehicle", vref, "vehicle", "OFFICIAL" if rnd() < 0.4 else _OS, vdata)
                self._vehicle_reports(f, tp, role, pref, vref, tp.vehicle["vrm"])
                f.recent_vehicles.append((vref, tp.idx))
                if len(f.recent_vehicles) > 30:
                    del f.recent_vehicles[0]
            self._link(f, pref, "vehicle", vref, "keeper", "vehicle")

        # warning markers
        if tp.markers:
            p_marker = _P_MARKER[role]
            me = {"type": "person", "ref": pref}
            for code, detail, valid_from in tp.markers:
                if rnd() < p_marker:
                    f.n_m += 1
                    self._emit(f, "marker", f"M{self.tag}{f.n_m:06d}", "nominal", _OS,
                               {"subject": me, "code": code, "detail": detail, "valid_from": valid_from})
                    self.stats["marker:" + code] += 1

        window = self._event_window(tp)
        if window is not None:
            if role == "custody":
                self._arrests(f, tp, pref, window)
            elif role == "rms":
                self._crimes(f, tp, pref, window)
            elif role == "pnc":
                self._convictions(f, tp, pref, window)
            else:
                self._intelligence(f, tp, pref, window, written, addr)
            if eps and (role == "pnc" or (f.is_rms and f.force == tp.home_force)):
                self._episodes(f, pref, eps)
            if f.recent_vehicles and self.xr.random() < _P_DRIVES[role]:
                self._drives(f, tp, role, pref, window)

        # associates: someone else this system holds
        recent = f.recent
        if recent and rnd() < (0.25 if role == "intel" else 0.06):
            oref, otid, _ = recent[below(rng, len(recent))]
            if otid != tp.tid:
                self._link(f, pref, "person", oref, "associate", "intelligence" if role == "intel" else "nominal")
        recent.append((pref, tp.tid, written))
        if len(recent) > 50:
            del recent[0]

    # events ---------------------------------------------------------------------------
    def _category(self) -> tuple[str, str]:
        slug = self.world.crimes.pick(self.rng)
        offences = cat.OFFENCES[slug]
        return slug, offences[below(self.rng, len(offences))]

    def _arrests(self, f: _File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
        rng, world = self.rng, self.world
        rnd = rng.random
        level = tp.level
        # arrests per custody copy: about one on average, more for prolific offenders
        u = rnd()
        n = (u < 0.3) if level == 0 else (u < 0.7) if level == 1 else 1 + (u < 0.5) if level == 2 else between(rng, 2, 4)
        force = f.force
        towns = f.towns
        for _ in range(n):
            when, day, year = self._when(window)
            slug, offence = self._category()
            town = towns[below(rng, len(towns))]
            custody_no = f"{force}/{between(rng, 1, 99998):05d}/{year % 100:02d}"
            eref = self._event_ref(f)
            self._emit(f, "event", eref, "custody", _OS, {
                "kind": "arrest", "occurred_at": when,
                "description": f"Arrested on suspicion of {offence} in {town}",
                "offence": offence, "crime_category": slug, "custody_number": custody_no,
                "necessity": cat.ARREST_REASONS[below(rng, len(cat.ARREST_REASONS))]})
            self._link(f, pref, "event", eref, "arrested", "custody", _OS, day)
            if rnd() < 0.2:
                cref = self._event_ref(f)
                outcome = world.custody_outcomes.pick(rng)
                self._emit(f, "event", cref, "custody", _OS, {
                    "kind": "custody", "occurred_at": when,
                    "description": f"Detained at {town} custody suite; {outcome}",
                    "custody_number": custody_no, "station": f"{town} custody suite", "outcome": outcome})
                self._link(f, pref, "event", cref, "subject", "custody", _OS, day)
                if outcome != "charged and remanded":
                    self._after_custody(f, pref, when, custody_no, town, outcome, offence)
            if f.with_crimes and rnd() < 0.3:
                self._crime(f, pref, when, day, year, slug, offence, town)
        if f.with_crimes and rnd() < 0.1:
            self._stop_search(f, pref, window)

    def _after_custody(self, f: _File, pref: str, when: str, custody_no: str, town: str, outcome: str,
                       offence: str) -> None:
        """The release from a custody episode, and the bail that came with it."""
        xr = self.xr
        bailed = outcome in _BAIL_OUTCOMES
        if not bailed and xr.random() >= 0.6:
            return
        hours = 2 + int(xr.expovariate(1 / 10))
        released = min(minute_of(when) + 60 * min(hours, 36), LAST_MINUTE)
        at, day = stamp(released), stamp(released)[:10]
        station = f"{town} custody suite"
        eref = self._event_ref(f)
        self._emit(f, "event", eref, "custody", _OS, {
            "kind": "release", "occurred_at": at, "description": f"Released from {station}; {outcome}",
            "custody_number": custody_no, "station": station, "outcome": outcome,
            "detention_hours": (released - minute_of(when)) // 60})
        self._link(f, pref, "event", eref, "subject", "custody", _OS, day)
        if not bailed:
            return
        ordinal = released // 1440
        if outcome == "released on pre-charge bail":
            until, bail_type = ordinal + 91, "pre-charge"  # three months, as PACE allows at first
            appear = f"{town} police station"
            text = f"Released on pre-charge bail to return to {appear}"
        elif xr.random() < 0.75:
            until, bail_type = ordinal + between(xr, 14, 42), "court"
            appear = f"{town} Magistrates' Court"
            text = f"Charged with {offence} and bailed to appear at {appear}"
        else:  # sent for trial: Crown Court lists run a year or more ahead
            until, bail_type = ordinal + between(xr, 120, 720), "court"
            appear = f"{town} Crown Court"
            text = f"Charged with {offence} and bailed to appear at {appear}"
        pool = cat.BAIL_CONDITIONS
        conditions = []
        for i in sorted({below(xr, len(pool)) for _ in range(1 + below(xr, 4))}):
            conditions.append(pool[i].format(town=town, weekday=cat.WEEKDAYS[below(xr, len(cat.WEEKDAYS))]))
        bail_until = date.fromordinal(until).isoformat()
        bref = self._event_ref(f)
        self._emit(f, "event", bref, "custody", _OS, {
            "kind": "bail", "occurred_at": at, "description": f"{text} on {bail_until}",
            "bail_type": bail_type, "bail_until": bail_until, "appear_at": appear, "conditions": conditions,
            "offence": offence, "custody_number": custody_no})
        self._link(f, pref, "event", bref, "subject", "custody", _OS, day)

    def _episodes(self, f: _File, pref: str, eps: list[Episode]) -> None:
        """This system's record of a person's wanted and missing episodes.  A cancelled
        circulation or a found person is a later upsert of the first event (or, for one
        cancelled circulation in seven, a delete of it and its link)."""
        xr = self.xr
        for ep in eps:
            day = ep.data["occurred_at"][:10]
            eref = self._event_ref(f)
            if ep.kind == "wanted":
                self._emit(f, "event", eref, "nominal", _OS, ep.data)
                kref = self._link(f, pref, "event", eref, "subject", "nominal", _OS, day)
                if ep.closed_at is None:
                    self.stats["live:wanted_active"] += 1
                elif xr.random() < 1 / 7:
                    self._delete(f, "event", eref)
                    self._delete(f, "link", kref)
                else:
                    self._emit(f, "event", eref, "nominal", _OS, {**ep.data, **ep.closing}, update="wanted_cancelled")
                continue
            self._emit(f, "event", eref, "missing", _OS, ep.data)
            self._link(f, pref, "event", eref, "subject", "missing", _OS, day)
            if ep.found is None:
                self.stats["live:missing_open"] += 1
                continue
            fref = self._event_ref(f)
            self._emit(f, "event", fref, "missing", _OS, ep.found)
            self._link(f, pref, "event", fref, "subject", "missing", _OS, ep.found["occurred_at"][:10])
            self._emit(f, "event", eref, "missing", _OS, {**ep.data, **ep.closing, "found_event": fref},
                       update="missing_closed")

    def _drives(self, f: _File, tp: TruePerson, role: str, pref: str, window: tuple[int, int] | None) -> None:
        """Someone seen driving, or using, a vehicle another person keeps."""
        xr = self.xr
        vref, keeper = f.recent_vehicles[below(xr, len(f.recent_vehicles))]
        if keeper == tp.idx:
            return
        link_role = "user" if role == "intel" and xr.random() < 0.5 else "driver"
        valid_from = None
        if window is not None:
            valid_from = date.fromordinal(between(xr, max(window[0], EVENT_END - 3 * 365), EVENT_END)).isoformat()
        self._link(f, pref, "vehicle", vref, link_role, "intelligence" if role == "intel" else "vehicle", _OS,
                   valid_from)

    def _vehicle_reports(self, f: _File, tp: TruePerson, role: str, pref: str, vref: str, vrm: str) -> None:
        """What a system holds on a vehicle besides its keeper: a theft report (in the
        force's crime system), ANPR reads, and now and then a warning marker."""
        xr = self.xr
        registered = _registered(vrm)
        stolen_at: int | None = None
        if f.is_rms and xr.random() < _P_STOLEN:
            when = moment(xr, max(registered, EVENT_START), EVENT_END)
            at, day = stamp(when), stamp(when)[:10]
            recovered = xr.random() < 0.5 and when + 1440 < LAST_MINUTE
            town = f.towns[below(xr, len(f.towns))]
            stems = cat.STREET_STEMS
            street = f"{stems[below(xr, len(stems))]} {self.world.street_types.pick(xr)}"
            data: dict[str, Any] = {
                "kind": "crime", "occurred_at": at,
                "description": f"Theft of a motor vehicle ({vrm}) from on or near {street}, {town}",
                "category": "vehicle-crime", "offence": "theft of a motor vehicle",
                "crime_reference": f"{f.force}-{int(day[2:4]):02d}{below(xr, 10**7):07d}",
                "outcome": "Investigation complete; no suspect identified" if xr.random() < 0.7
                else "Unable to prosecute suspect",
                "location_text": f"On or near {street}", "vehicle_status": "recovered" if recovered else "stolen"}
            if recovered:
                data["recovered_at"] = stamp(min(when + between(xr, 120, 20 * 1440), LAST_MINUTE))
            else:
                stolen_at = when
                self.stats["live:vehicle_stolen"] += 1
            eref = self._event_ref(f)
            self._emit(f, "event", eref, "crime", _OS, data)
            self._link(f, vref, "event", eref, "involved", "crime", _OS, day, from_type="vehicle")
            self._link(f, pref, "event", eref, "victim", "crime", _OS, day)
        if xr.random() < _P_ANPR[role]:
            # reads are kept for a year (the national ANPR standards)
            lo = max(registered, EVENT_END - 365)
            towns = f.towns
            for _ in range(1 + below(xr, 6 if role == "intel" else 3)):
                when = moment(xr, lo, EVENT_END)
                camera = between(xr, 1, 240)
                place = f"A{(camera * 53) % 699 + 1}, {towns[camera % len(towns)]}"
                direction = cat.ANPR_DIRECTIONS[camera % 4]
                data = {"kind": "anpr_read", "occurred_at": stamp(when),
                        "description": f"{vrm} read at {place} ({direction})",
                        "vrm_read": vrm, "camera_id": f"{f.force}-ANPR-{camera:04d}",
                        "camera_location": place, "direction": direction,
                        "confidence": round(0.8 + 0.2 * xr.random(), 2)}
                if stolen_at is not None and when > stolen_at:
                    data["hotlist"] = "PNC stolen vehicle"
                eref = self._event_ref(f)
                self._emit(f, "event", eref, "anpr", _OS, data)
                self._link(f, vref, "event", eref, "involved", "anpr", _OS, stamp(when)[:10], from_type="vehicle")
        if xr.random() < 0.006 + 0.01 * tp.level:
            code, detail = _VEHICLE_MARKERS.pick(xr)
            f.n_m += 1
            valid_from = date.fromordinal(between(xr, max(registered, EVENT_START), EVENT_END)).isoformat()
            self._emit(f, "marker", f"M{self.tag}{f.n_m:06d}", "vehicle", _OS,
                       {"subject": {"type": "vehicle", "ref": vref}, "code": code, "detail": detail,
                        "valid_from": valid_from})
            self.stats["vmarker:" + code] += 1

    def _crimes(self, f: _File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
        rng = self.rng
        for _ in range(1 + (rng.random() < 0.3 * tp.level)):
            when, day, year = self._when(window)
            slug, offence = self._category()
            self._crime(f, pref, when, day, year, slug, offence, f.towns[below(rng, len(f.towns))])
        if rng.random() < 0.15:
            self._stop_search(f, pref, window)

    def _crime(self, f: _File, pref: str, when: str, day: str, year: int, slug: str, offence: str, town: str) -> None:
        rng = self.rng
        eref = self._event_ref(f)
        stems = cat.STREET_STEMS
        street = f"{stems[below(rng, len(stems))]} {self.world.street_types.pick(rng)}"
        self._emit(f, "event", eref, "crime", _OS, {
            "kind": "crime", "occurred_at": when,
            "description": f"{offence.capitalize()} reported on or near {street}, {town}",
            "category": slug, "offence": offence,
            "crime_reference": f"{f.force}-{year % 100:02d}{below(rng, 10**7):07d}",
            "outcome": self.world.crime_outcomes.pick(rng), "location_text": f"On or near {street}"})
        self._link(f, pref, "event", eref, "suspect", "crime", _OS, day)

    def _stop_search(self, f: _File, pref: str, window: tuple[int, int]) -> None:
        rng, world = self.rng, self.world
        when, day, _ = self._when(window)
        obj, legislation = world.search_objects.pick(rng)
        outcome = world.search_outcomes.pick(rng)
        eref = self._event_ref(f)
        self._emit(f, "event", eref, "stop_search", _OS, {
            "kind": "stop_search", "occurred_at": when,
            "description": f"Person search for {obj.lower()} in {f.towns[below(rng, len(f.towns))]}; outcome: {outcome.lower()}",
            "search_type": "Person search", "object_of_search": obj, "legislation": legislation,
            "outcome": outcome, "outcome_linked_to_object": outcome != "A no further action disposal" and rng.random() < 0.6})
        self._link(f, pref, "event", eref, "subject", "stop_search", _OS, day)

    def _convictions(self, f: _File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
        rng, world = self.rng, self.world
        level = tp.level
        n = 0 if level == 0 else (between(rng, 0, 1) if level == 1 else between(rng, 1, 2) if level == 2 else between(rng, 2, 4))
        home_areas = FORCE_AREAS[tp.home_force]
        for _ in range(n):
            when, day, _ = self._when(window)
            slug, offence = self._category()
            town = home_areas[below(rng, len(home_areas))].town
            court = f"{town} {'Crown' if rng.random() < 0.2 else 'Magistrates'}' Court"
            disposal = world.disposals.pick(rng)
            eref = self._event_ref(f)
            self._emit(f, "event", eref, "case", _OS, {
                "kind": "conviction", "occurred_at": when,
                "description": f"Convicted of {offence} at {court}; {disposal}",
                "offence": offence, "crime_category": slug, "court": court, "disposal": disposal})
            self._link(f, pref, "event", eref, "subject", "case", _OS, day)

    def _intelligence(self, f: _File, tp: TruePerson, pref: str, window: tuple[int, int], written: str,
                      addr: Address | None) -> None:
        rng, world = self.rng, self.world
        n = 1 + (rng.random() < 0.25 * tp.level) + (tp.level == 3 and rng.random() < 0.5)
        towns = f.towns if f.force in FORCE_AREAS else [a.town for a in FORCE_AREAS[tp.home_force]]
        recent = f.recent
        stems = cat.STREET_STEMS
        comm = world.comms[tp.community]
        for _ in range(n):
            when, day, _ = self._when(window)
            v = tp.vehicle
            other_areas = FORCE_AREAS[world.forces.pick(rng)]
            text = cat.INTEL_TEMPLATES[below(rng, len(cat.INTEL_TEMPLATES))].format(
                name=written if rng.random() < 0.7 else f"{written} (DOB {tp.dob.strftime('%d/%m/%Y')})",
                drug=cat.DRUGS[below(rng, len(cat.DRUGS))],
                town=towns[below(rng, len(towns))], town2=other_areas[below(rng, len(other_areas))].town,
                street=(addr.lines[-1].split(" ", 1)[-1] if addr else f"{stems[below(rng, len(stems))]} Road"),
                vehicle=(f"{v['colour'].lower()} {v['make']} {v['model']}" if v else "hire car"),
                goods=cat.GOODS[below(rng, len(cat.GOODS))],
                weapon=cat.WEAPONS[below(rng, len(cat.WEAPONS))],
                amount=between(rng, 2, 59) * 100,
                offence=self._category()[1],
                alias=(comm.male if tp.sex == "M" else comm.female).pick(rng),
                associate=(recent[below(rng, len(recent))][2] if recent else "an unknown male"),
            )
            handling = "SECRET" if rng.random() < 0.07 else _OS
            eref = self._event_ref(f)
            self._emit(f, "event", eref, "intelligence", handling, {
                "kind": "intelligence", "occurred_at": when, "description": text,
                "report_number": f"{f.force}-IR-{below(rng, 10**8):08d}",
                "source_evaluation": world.grading_source.pick(rng),
                "intelligence_assessment": world.grading_assessment.pick(rng),
                "handling_code": "P" if rng.random() < 0.85 else "C"})
            self._link(f, pref, "event", eref, "subject", "intelligence", handling, day)

    def _family_links(self, unit_files: dict[FileKey, list[tuple[str, TruePerson]]]) -> None:
        """Relatives held by the same system are sometimes linked as family."""
        rng = self.rng
        for key, members in unit_files.items():
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    (ra, a), (rb, b) = members[i], members[j]
                    if a.tid != b.tid and rng.random() < 0.3:
                        self._link(self.files[key], ra, "person", rb, "family", "nominal")
        # a household's vehicle is used by the others in it
        xr = self.xr
        for key, members in unit_files.items():
            f = self.files[key]
            for _, keeper in members:
                vref = f.vehicles.get(keeper.vehicle_id) if keeper.vehicle is not None else None
                if vref is None:
                    continue
                for pref, other in members:
                    if other.tid != keeper.tid and other.vehicle is None and xr.random() < 0.5:
                        self._link(f, pref, "vehicle", vref, "user", "vehicle")

    # rendering ---------------------------------------------------------------------------
    def _render(self) -> dict[str, Any]:
        plan = self.plan
        t_block = plan.t0 + self.block * plan.window
        w = plan.window
        files = []
        ts = _timestamp
        for key, f in self.files.items():
            prefix = (b'{"updategram":"1","force":"' + key[0].encode() + b'","source":"' + key[1].encode()
                      + b'","sequence":%d,"issued_at":"')
            out = f.out + f.later if f.later else f.out
            c = len(out)
            parts = [prefix] * (3 * c)
            parts[1::3] = [ts(t_block + w * i // c) for i in range(c)]
            parts[2::3] = out
            files.append((key, c, b"".join(parts)))
        for (rtype, dataset), n in self.type_counts.items():
            self.stats[rtype] += n
            if dataset:  # a delete has none
                self.stats["ds:" + dataset] += n
        for kind, n in self.kind_counts.items():
            self.stats["kind:" + kind] += n
        for role, n in self.role_counts.items():
            self.stats["role:" + role] += n
        self.stats["person_records"] = len(self.truth)
        return {
            "block": self.block,
            "files": files,
            "truth": "".join(self.truth).encode(),
            "variations": "".join(self.variations).encode(),
            "hard": "".join(self.hard).encode(),
            "stats": dict(self.stats),
            "eligible": self.eligible,
            "applied": self.applied,
            "ident": self.ident,
        }


_COPIES = {n: f"copies:{n}" for n in range(1, 9)}


def _registered(vrm: str) -> int:
    """The first day a current-format mark could be on the road: March (age 02-25) or
    September (51-74) of the year its age identifier stands for."""
    age = int(vrm[2:4])
    return date(2000 + age, 3, 1).toordinal() if age < 50 else date(1950 + age, 9, 1).toordinal()


@dataclass(frozen=True, slots=True)
class _Systems:
    """The (role, force, source) of each system a force runs."""

    custody: tuple[str, str, str]
    rms: tuple[str, str, str] | None  # only when crimes live in a different system from custody
    intel: tuple[str, str, str]
    pnc: tuple[str, str, str]


def _systems(force: str) -> _Systems:
    cs, rs = custody_source(force), rms_source(force)
    return _Systems(("custody", force, cs), ("rms", force, rs) if rs != cs else None,
                    ("intel", force, INTEL_SOURCE), ("pnc", force, PNC_SOURCE))


_SYSTEMS: dict[str, _Systems] = {f: _systems(f) for f in FORCE_AREAS}
_SYSTEMS["BTP"] = _Systems(("custody", "BTP", "NICHE-RMS"), None, ("intel", "BTP", INTEL_SOURCE),
                           ("pnc", "BTP", PNC_SOURCE))
_BTP = _SYSTEMS["BTP"].custody
_NCA = ("intel", "NCA", INTEL_SOURCE)


_PLAN: Plan | None = None


def _init_worker(plan: Plan) -> None:
    global _PLAN
    _PLAN = plan
    _world(plan)


def _run_block(block: int) -> dict[str, Any]:
    assert _PLAN is not None
    return _Block(_PLAN, block).run()


# --- the parent: ordering, sequences, files ----------------------------------------------
def _results(plan: Plan, workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or plan.n_blocks == 1:
        _init_worker(plan)
        for b in range(plan.n_blocks):
            yield _run_block(b)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    _world(plan)  # build pools once; forked workers inherit them
    # At most a few blocks are in flight, so memory stays flat however large the run and
    # however slowly the parent writes.
    in_flight = workers * 2
    with ctx.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        pending: deque[Any] = deque()
        for b in range(plan.n_blocks):
            pending.append(pool.apply_async(_run_block, (b,)))
            if len(pending) >= in_flight:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


OUTPUT_NAMES = ("truth.csv", "variations.csv", "hard_negatives.csv", "manifest.json")


def _prepare(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out_dir} is not empty; choose an empty directory, or overwrite earlier synth output (--overwrite)")
        if not ((out_dir / "manifest.json").exists() or (out_dir / "truth.csv").exists()):
            raise FileExistsError(f"{out_dir} is not empty and does not hold synth output; refusing to clear it")
        for p in sorted(out_dir.glob("*/*.ndjson")):
            p.unlink()
        for name in OUTPUT_NAMES:
            (out_dir / name).unlink(missing_ok=True)
        for d in sorted(out_dir.iterdir()):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    out_dir.mkdir(parents=True, exist_ok=True)


def generate(out_dir: Path | str, persons: int, seed: int = 1, rates: VariationRates | dict[str, float] | None = None,
             progress: bool = True, *, workers: int | None = None, reference_dir: Path | str | None = None,
             overwrite: bool = False) -> SynthReport:
    """Write a synthetic population of ``persons`` true people to ``out_dir``.

    The same ``persons``, ``seed``, ``rates`` and ``reference_dir`` give byte-identical
    output whatever ``workers`` is."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    started = time.perf_counter()
    out = Path(out_dir)
    rates_v = rates_from(rates)
    ref_dir = Path(reference_dir) if reference_dir is not None else None
    if ref_dir is not None and not ref_dir.is_dir():
        raise FileNotFoundError(f"reference directory {ref_dir} does not exist")
    plan = _plan(seed, persons, rates_v, ref_dir)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    _prepare(out, overwrite)

    handles: dict[FileKey, Any] = {}
    next_seq: dict[FileKey, int] = {}
    totals: Counter[str] = Counter()
    eligible = [0] * len(VARIATION_NAMES)
    applied = [0] * len(VARIATION_NAMES)
    ident = [0, 0, 0, 0]
    bar = None
    task = None
    try:
        with open(out / "truth.csv", "wb") as truth, open(out / "variations.csv", "wb") as variations, \
                open(out / "hard_negatives.csv", "wb") as hard:
            truth.write(b"force,source,ref,true_person_id\n")
            variations.write(b"force,source,ref,variations\n")
            hard.write(b"true_person_id_a,true_person_id_b,kind\n")
            results = _results(plan, workers)
            if progress:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )

                bar = Progress(TextColumn("[bold]synth[/]"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("persons"), TimeElapsedColumn(), TimeRemainingColumn())
                bar.start()
                task = bar.add_task("persons", total=persons)
            for res in results:
                for key, count, template in res["files"]:
                    fh = handles.get(key)
                    if fh is None:
                        (out / key[0]).mkdir(exist_ok=True)
                        fh = handles[key] = open(out / key[0] / f"{key[1]}.ndjson", "wb", buffering=1 << 16)  # noqa: SIM115
                        next_seq[key] = 1
                    s = next_seq[key]
                    fh.write(template % tuple(range(s, s + count)))
                    next_seq[key] = s + count
                truth.write(res["truth"])
                variations.write(res["variations"])
                hard.write(res["hard"])
                totals.update(res["stats"])
                for i, v in enumerate(res["eligible"]):
                    eligible[i] += v
                for i, v in enumerate(res["applied"]):
                    applied[i] += v
                for i, v in enumerate(res["ident"]):
                    ident[i] += v
                if bar is not None and task is not None:
                    bar.update(task, advance=res["stats"].get("persons", 0))
    finally:
        for fh in handles.values():
            fh.close()
        if bar is not None:
            bar.stop()

    file_counts = {f"{k[0]}/{k[1]}.ndjson": next_seq[k] - 1 for k in handles}
    manifest = _manifest(plan, rates_v, totals, file_counts, eligible, applied, ident)
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    realised = {name: r["realised"] for name, r in manifest["rates"].items()}
    return SynthReport(
        out_dir=out, persons=persons, seed=seed, records=manifest["counts"]["records"],
        person_records=manifest["counts"]["person_records"], files=sorted(file_counts),
        counts_by_type=manifest["counts"]["by_type"], realised_rates=realised,
        configured_rates=rates_v.as_dict(), hard_negatives=manifest["hard_negatives"],
        elapsed_s=time.perf_counter() - started, workers=workers,
        extra={"manifest": manifest},
    )


def _manifest(plan: Plan, rates: VariationRates, totals: Counter[str], file_counts: dict[str, int],
              eligible: list[int], applied: list[int], ident: list[int]) -> dict[str, Any]:
    configured = rates.as_dict()
    rate_rows: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(VARIATION_NAMES):
        e, a = eligible[i], applied[i]
        rate_rows[name] = {"configured": configured[name], "eligible": e, "applied": a,
                           "realised": round(a / e, 6) if e else None}
    for j, name in enumerate(IDENTIFIER_NAMES):
        e, a = ident[2 * j], ident[2 * j + 1]
        rate_rows[name] = {"configured": configured[name], "eligible": e, "applied": a,
                           "realised": round(a / e, 6) if e else None,
                           "note": "copies outside PNC-NOMINAL of people who have this identifier"}
    by_type = {k: v for k, v in totals.items() if k in ("person", "location", "vehicle", "event", "marker", "link")}
    try:
        faker_version = version("faker")
    except PackageNotFoundError:  # pragma: no cover
        faker_version = None
    first = datetime.fromtimestamp(plan.t0, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    last = datetime.fromtimestamp(plan.t0 + plan.n_blocks * plan.window - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "generator": "leds synth",
        "generator_version": GENERATOR_VERSION,
        "faker_version": faker_version,
        "seed": plan.seed,
        "persons": plan.persons,
        "block_size": BLOCK_SIZE,
        "reference_data": str(plan.reference_dir) if plan.reference_dir else None,
        "issued_at_range": [first, last],
        "counts": {
            "persons": totals.get("persons", 0),
            "person_records": totals.get("person_records", 0),
            "records": sum(by_type.values()),
            "by_type": dict(sorted(by_type.items())),
            "by_dataset": {k[3:]: v for k, v in sorted(totals.items()) if k.startswith("ds:")},
            "files": dict(sorted(file_counts.items())),
            "copies_per_person": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("copies:")},
            "communities": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("comm:")},
            "markers": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("marker:")},
            "vehicle_markers": {k[8:]: v for k, v in sorted(totals.items()) if k.startswith("vmarker:")},
            "events": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("kind:")},
            "link_roles": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("role:")},
            "updates": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("update:")},
            "deletes": {k[7:]: v for k, v in sorted(totals.items()) if k.startswith("delete:")},
            "live": {k[5:]: v for k, v in sorted(totals.items()) if k.startswith("live:")},
            "true_episodes": {k[8:]: v for k, v in sorted(totals.items()) if k.startswith("episode:")},
        },
        "rates": rate_rows,
        "hard_negatives": {kind: totals.get("hn:" + kind, 0)
                           for kind in ("sibling", "twin", "jr_sr", "common_name_same_dob")},
    }

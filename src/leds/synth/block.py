"""One block of true people: the copies of each person that the systems of each force
hold, with where they live, what they drive, their markers and events (:mod:`.events`),
their associates and their family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from . import episodes
from .copies import copy_person
from .episodes import Episode
from .events import EventWriter
from .geography import FORCE_AREAS, INTEL_SOURCE, PNC_SOURCE, custody_source, rms_source
from .population import EVENT_END, EVENT_START, Address, TruePerson, V, below, between
from .register import Copy, RegisterWriter
from .writer import BLOCK_SIZE, File, FileKey
from .writer import OFFICIAL_SENSITIVE as _OS

# Chance that a copy in a system of each role records the address, vehicle, each marker.
_P_ADDRESS = {"custody": 0.85, "rms": 0.6, "pnc": 0.5, "intel": 0.6}
_P_VEHICLE = {"custody": 0.35, "rms": 0.2, "pnc": 0.0, "intel": 0.5}
_P_MARKER = {"custody": 0.7, "rms": 0.5, "pnc": 1.0, "intel": 0.3}
# Chance that a copy is linked as driver or user of a vehicle another person keeps.
_P_DRIVES = {"custody": 0.04, "rms": 0.02, "pnc": 0.0, "intel": 0.08}
_COPIES = {n: f"copies:{n}" for n in range(1, 9)}


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



class Block(EventWriter, RegisterWriter):
    """Generates the records of one block of true people."""

    copies_made: list[Copy]  # the person records of the person being written

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
        self.copies_made = []
        for copy_no, (role, force, source) in enumerate(roles):
            dup = role == "dup"
            if dup:
                role = "pnc" if source == PNC_SOURCE else ("intel" if source == INTEL_SOURCE else "custody")
            self._copy(tp, copy_no, role, (force, source), dup, unit_files, eps)
        if eps:
            self._register(tp, eps, self.copies_made)

    def _copy(self, tp: TruePerson, copy_no: int, role: str, key: FileKey, dup: bool,
              unit_files: dict[FileKey, list[tuple[str, TruePerson]]], eps: list[Episode]) -> None:
        rng, world = self.rng, self.world
        rnd = rng.random
        f = self.files.get(key)
        if f is None:
            f = self.files[key] = File(self.plan.seed, *key)
        data, applied, written = copy_person(world, rng, tp, on_pnc=role == "pnc", eligible=self.eligible,
                                             applied_counts=self.applied, ident=self.ident)
        if dup:
            applied.append("duplicate")
        pref = f"P{(f.perm_a * (tp.idx * 8 + copy_no) + f.perm_b) % 10**10:010d}"
        self._emit(f, "person", pref, "nominal", _OS if rnd() < 0.92 else "OFFICIAL", data)
        self.copies_made.append((f.force, f.source, pref))
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

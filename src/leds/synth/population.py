"""The true population: people, households and hard negatives.

Nothing here touches files.  A ``World`` holds every pool and table (built once per
process); ``World.unit`` makes the next household or hard-negative group of true people.
:func:`.copies.copy_person` turns one true person into the person data one system records,
applying variations at the configured rates and reporting which ones it applied.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from math import gcd
from pathlib import Path
from random import Random
from typing import Any

from leds.standard.validators import format_pnc_id, pnc_check_char

from . import catalogue as cat
from .geography import FORCE_AREAS, FORCE_POPULATION, Area
from .names import Community, communities, community_weights
from .rates import VARIATION_NAMES, VariationRates

# Every date of birth is before REF_DATE; events fall between EVENT_START and EVENT_END,
# which is before the first issued_at of any updategram.
REF_DATE = date(2025, 7, 1)
EVENT_START = date(2008, 1, 1).toordinal()
EVENT_END = date(2025, 5, 31).toordinal()
_REF_ORD = REF_DATE.toordinal()

V = {name: i for i, name in enumerate(VARIATION_NAMES)}  # variation name -> counter index


# ``Random.randrange`` and friends cost ten times ``Random.random``; the generator makes
# tens of millions of draws, so it uses these (the bias, below 1e-9, does not matter here).
def below(rng: Random, n: int) -> int:
    return int(rng.random() * n)


def between(rng: Random, lo: int, hi: int) -> int:
    return lo + int(rng.random() * (hi - lo + 1))


def pick_one(rng: Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


class Picker:
    """Weighted choice from a fixed list with one random number."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        kept = [(v, w) for v, w in items if w > 0]
        self.values = [v for v, _ in kept]
        self.cum = list(accumulate(w for _, w in kept))
        self.total = self.cum[-1]

    def pick(self, rng: Random) -> Any:
        return self.values[bisect(self.cum, rng.random() * self.total)]


@dataclass(slots=True)
class Address:
    id: int
    lines: list[str]
    town: str
    postcode: str
    uprn: int | None


@dataclass(slots=True)
class TruePerson:
    idx: int
    tid: str
    community: str
    sex: str
    given: list[str]
    family: str
    maiden: str | None
    dob: date
    ic: str
    height: int
    marks: list[str]
    home_force: str
    home: Address
    level: int  # 0 no offending ... 3 prolific
    pnc_id: str | None = None
    cro: str | None = None
    markers: list[tuple[str, str, str]] = field(default_factory=list)
    vehicle: dict[str, Any] | None = None
    vehicle_id: int = 0
    elsewhere: dict[str, Address] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Identity:
    """Keys that make identifiers unique and unlinkable: affine permutations of the true
    person's index, with seed-derived constants."""

    pnc_mul: int
    pnc_add: int
    cro_mul: int
    cro_add: int
    vrm_mul: int
    vrm_add: int


def _coprime10(n: int) -> int:
    n |= 1
    if n % 5 == 0:
        n += 2
    return n


def _coprime(n: int, modulus: int) -> int:
    while gcd(n, modulus) != 1:
        n += 1
    return n


# Current-format marks: region letter, second letter (23), age identifier (48), three
# letters (24 each).  Each true person's index maps to a distinct mark after the region.
VRM_SPACE = len(cat.VRM_SECOND_LETTERS) * len(cat.VRM_AGES) * len(cat.VRM_RANDOM_LETTERS) ** 3


def identity_for(seed: int) -> Identity:
    r = Random(f"leds-synth-identity:{seed}")
    return Identity(
        _coprime10(r.randrange(1_000_001, 9_999_999)), r.randrange(10_000_000),
        _coprime10(r.randrange(100_001, 999_999)), r.randrange(1_000_000),
        _coprime(r.randrange(1_000_001, VRM_SPACE), VRM_SPACE), r.randrange(VRM_SPACE),
    )


class World:
    """Everything the generator samples from, built once per process."""

    def __init__(self, seed: int, rates: VariationRates, reference_dir: Path | None = None) -> None:
        self.seed = seed
        self.rates = rates
        self.ids = identity_for(seed)
        self.comms: dict[str, Community] = communities()
        self.forces = Picker(list(FORCE_POPULATION.items()))
        self.community_by_force = {f: Picker(community_weights(f)) for f in FORCE_AREAS}
        self.areas: dict[str, Picker] = {f: Picker([(a, a.weight) for a in areas]) for f, areas in FORCE_AREAS.items()}
        self.street_types = Picker(cat.STREET_TYPES)
        self.vehicles = Picker([((mk, md), w) for mk, md, w in cat.VEHICLES])
        self.colours = Picker(cat.COLOURS)
        self.markers = Picker(cat.MARKERS)
        crimes: dict[str, float] = {slug: w for slug, _, w in cat.CRIME_CATEGORIES}
        objects: dict[str, float] = {o: w for o, _, w in cat.SEARCH_OBJECTS}
        outcomes: dict[str, float] = {o: float(w) for o, w in cat.SEARCH_OUTCOMES}
        if reference_dir is not None:
            # Published counts replace the built-in weights wherever the files have any.
            ref_crimes, ref_objects, ref_outcomes = cat.load_police_uk(reference_dir)
            crimes = {k: float(v) for k, v in ref_crimes.items()} or crimes
            objects = {k: float(v) for k, v in ref_objects.items()} or objects
            outcomes = {k: float(v) for k, v in ref_outcomes.items()} or outcomes
        self.crimes = Picker(sorted(crimes.items()))
        self.search_objects = Picker([((o, leg), objects.get(o, 0.0)) for o, leg, _ in cat.SEARCH_OBJECTS])
        self.search_outcomes = Picker(sorted(outcomes.items()))
        self.crime_outcomes = Picker(cat.CRIME_OUTCOMES)
        self.custody_outcomes = Picker(cat.CUSTODY_OUTCOMES)
        self.disposals = Picker(cat.DISPOSALS)
        self.grading_source = Picker(cat.GRADING_SOURCE)
        self.grading_assessment = Picker(cat.GRADING_ASSESSMENT)
        self.levels = Picker([(0, 0.25), (1, 0.45), (2, 0.22), (3, 0.08)])
        self.copies = Picker([(1, 0.42), (2, 0.30), (3, 0.18), (4, 0.10)])
        # Common names for the common-name-same-DOB hard negatives.
        anglo = self.comms["anglo"]
        self.common_names = [("anglo", "M", g, s) for g in anglo.male.top(6) for s in anglo.family.top(5)]
        self.common_names += [("anglo", "F", g, s) for g in anglo.female.top(5) for s in anglo.family.top(5)]
        sam = self.comms["sa_muslim"]
        self.common_names += [("sa_muslim", "M", g, s) for g in sam.male.top(3) for s in sam.family.top(4)]

    # --- places ---------------------------------------------------------------------
    def address(self, rng: Random, force: str, addr_id: int) -> Address:
        if force not in self.areas:
            force = self.forces.pick(rng)
        area: Area = self.areas[force].pick(rng)
        district = area.districts[below(rng, len(area.districts))]
        letters = cat.INWARD_LETTERS
        postcode = f"{district} {below(rng, 10)}{letters[below(rng, 20)]}{letters[below(rng, 20)]}"
        stems = cat.STREET_STEMS
        street = f"{stems[below(rng, len(stems))]} {self.street_types.pick(rng)}"
        number = between(rng, 1, 239)
        u = rng.random()
        if u < 0.15:
            lines = [f"Flat {between(rng, 1, 29)}", f"{number} {street}"]
        elif u < 0.2:
            lines = [f"{number}{'ABC'[below(rng, 3)]} {street}"]
        else:
            lines = [f"{number} {street}"]
        uprn = 100_000_000_000 + (addr_id * 7919 + self.seed) % 899_999_999_999 if rng.random() < 0.35 else None
        return Address(addr_id, lines, area.town, postcode, uprn)

    # --- people -----------------------------------------------------------------------
    def _dob(self, rng: Random) -> date:
        u = rng.random()
        if u < 0.04:
            age = rng.uniform(0, 10)
        elif u < 0.16:
            age = rng.uniform(10, 18)
        elif u < 0.80:
            age = rng.triangular(18, 46, 26)
        elif u < 0.95:
            age = rng.uniform(46, 66)
        else:
            age = rng.uniform(66, 95)
        return date.fromordinal(_REF_ORD - 1 - int(age * 365.2425))

    @staticmethod
    def age_on(dob: date, on: date) -> int:
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    def _height(self, rng: Random, sex: str, age: int) -> int:
        adult = rng.gauss(176.0, 7.0) if sex == "M" else rng.gauss(163.0, 6.5)
        if age < 12:
            h = 75 + 6.2 * age + rng.gauss(0, 4)
        elif age < 18:
            h = (75 + 6.2 * 12) + (adult - 149.4) * (age - 11) / 7
        else:
            h = adult
        return max(45, min(215, round(h)))

    def _marks(self, rng: Random, age: int) -> list[str]:
        if age < 14 or rng.random() > 0.3:
            return []
        out = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            u = rng.random()
            part = cat.BODY_PARTS[below(rng, len(cat.BODY_PARTS))]
            if u < 0.6:
                out.append(f"tattoo {part} {cat.TATTOO_MOTIFS[below(rng, len(cat.TATTOO_MOTIFS))]}")
            elif u < 0.9:
                out.append(f"{cat.SCARS[below(rng, len(cat.SCARS))]} {part}")
            else:
                out.append(f"{cat.OTHER_MARKS[below(rng, len(cat.OTHER_MARKS))]} {part}")
        return out

    def given_names(self, rng: Random, comm: Community, sex: str, avoid: str | None = None) -> list[str]:
        pool = comm.male if sex == "M" else comm.female
        first = pool.pick(rng)
        for _ in range(5):
            if first != avoid:
                break
            first = pool.pick(rng)
        given = [first]
        if rng.random() < comm.middle_name_rate:
            mid = (comm.middle[sex != "M"] if comm.middle else pool).pick(rng)
            if mid != first:
                given.append(mid)
        return given

    def family_name(self, rng: Random, comm: Community, sex: str) -> str:
        pool = comm.female_family if (sex == "F" and comm.female_family is not None) else comm.family
        name = pool.pick(rng)
        if comm.key in ("anglo", "caribbean", "welsh", "scottish") and rng.random() < 0.02:
            other = comm.family.pick(rng)
            if other != name:
                name = f"{name}-{other}" if rng.random() < 0.8 else f"{name} {other}"
        return name

    def person(self, rng: Random, idx: int, force: str, addr: Address, *, comm_key: str | None = None,
               sex: str | None = None, family: str | None = None, dob: date | None = None,
               given: list[str] | None = None, avoid_given: str | None = None, married: bool = True) -> TruePerson:
        comm_key = comm_key or self.community_by_force[force].pick(rng)
        comm = self.comms[comm_key]
        sex = sex or ("M" if rng.random() < 0.72 else "F")  # police contact skews male
        dob = dob or self._dob(rng)
        age = self.age_on(dob, REF_DATE)
        given = given or self.given_names(rng, comm, sex, avoid_given)
        maiden = None
        if family is None:
            family = self.family_name(rng, comm, sex)
            if married and sex == "F" and age >= 24 and rng.random() < comm.married_name_rate:
                maiden = family
                family = self.family_name(rng, comm, sex)
                if family == maiden:
                    maiden = None
        ic_pick = rng.random()
        ic = "IC0"
        acc = 0.0
        for code, w in comm.ic_codes:
            acc += w
            if ic_pick < acc:
                ic = code
                break
        level = self.levels.pick(rng) if age >= 12 else 0
        tp = TruePerson(idx, f"T{idx:08d}", comm_key, sex, given, family, maiden, dob, ic,
                        self._height(rng, sex, age), self._marks(rng, age), force, addr, level)
        self._identifiers(rng, tp, age)
        return tp

    def _identifiers(self, rng: Random, tp: TruePerson, age: int) -> None:
        ids = self.ids
        first_year = max(tp.dob.year + 10, 1995)
        if age >= 12 and first_year <= 2025 and (tp.level > 0 or rng.random() < 0.2) and rng.random() < 0.8:
            year = between(rng, first_year, 2025)
            serial = (tp.idx * ids.pnc_mul + ids.pnc_add) % 10_000_000
            tp.pnc_id = format_pnc_id(year, serial)
            if tp.level >= 2 or rng.random() < 0.25:
                cro_serial = (tp.idx * ids.cro_mul + ids.cro_add) % 1_000_000
                yy = year % 100
                tp.cro = f"{cro_serial:06d}/{yy:02d}{pnc_check_char(yy, cro_serial)}"
        if age >= 14 and rng.random() < (0.03 + 0.04 * tp.level):
            for _ in range(1 if rng.random() < 0.75 else 2):
                code = self.markers.pick(rng)
                if any(m[0] == code for m in tp.markers):
                    continue
                details = cat.MARKER_DETAIL[code]
                start = max(EVENT_START, tp.dob.toordinal() + 14 * 365)
                valid_from = date.fromordinal(between(rng, min(start, EVENT_END), EVENT_END)).isoformat()
                tp.markers.append((code, details[below(rng, len(details))], valid_from))
        if age >= 17 and rng.random() < 0.3:
            tp.vehicle = self._vehicle(rng, tp)
            tp.vehicle_id = tp.idx

    def _vehicle(self, rng: Random, tp: TruePerson) -> dict[str, Any]:
        ids = self.ids
        n = (tp.idx * ids.vrm_mul + ids.vrm_add) % VRM_SPACE
        n, r3 = divmod(n, 24)
        n, r2 = divmod(n, 24)
        n, r1 = divmod(n, 24)
        second, age = divmod(n, len(cat.VRM_AGES))
        letters = cat.VRM_RANDOM_LETTERS
        first = cat.VRM_REGION.get(tp.home_force, "L")
        vrm = f"{first}{cat.VRM_SECOND_LETTERS[second]}{cat.VRM_AGES[age]}"
        tail = f"{letters[r1]}{letters[r2]}{letters[r3]}"
        make, model = self.vehicles.pick(rng)
        v: dict[str, Any] = {"vrm": vrm + tail, "make": make, "model": model, "colour": self.colours.pick(rng)}
        if rng.random() < 0.5:
            chars = cat.VIN_CHARS
            v["vin"] = "".join(chars[below(rng, len(chars))] for _ in range(17))
        return v

    def address_in(self, rng: Random, tp: TruePerson, force: str, next_id: list[int]) -> Address:
        """The address a system in ``force`` records for ``tp``: home in the home force
        (or for a national force), otherwise an address in that force (where they were
        living or staying when that force dealt with them)."""
        if force == tp.home_force or force not in FORCE_AREAS:
            return tp.home
        addr = tp.elsewhere.get(force)
        if addr is None:
            next_id[0] += 1
            addr = self.address(rng, force, next_id[0])
            tp.elsewhere[force] = addr
        return addr

    # --- households and hard negatives ----------------------------------------------------
    def unit(self, rng: Random, start: int, room: int, next_addr: list[int]) -> tuple[list[TruePerson], list[tuple[int, int, str]]]:
        """The next group of true people: usually one person alone, sometimes siblings,
        twins, a father and son of the same name, or two strangers with a common name
        and the same date of birth.  Returns the people and the hard-negative pairs."""
        force = self.forces.pick(rng)
        next_addr[0] += 1
        home = self.address(rng, force, next_addr[0])
        u = rng.random()
        if room >= 2 and u < 0.018:  # siblings, 2 or 3
            n = 3 if room >= 3 and rng.random() < 0.3 else 2
            first = self.person(rng, start, force, home, married=False)
            people = [first]
            used = {first.given[0]}
            for i in range(1, n):
                gap = between(rng, 400, 3000) * i
                dob = date.fromordinal(first.dob.toordinal() + gap)
                if dob >= REF_DATE:
                    dob = date.fromordinal(first.dob.toordinal() - gap)
                sib = self.person(rng, start + i, force, home, comm_key=first.community, family=first.family,
                                  dob=dob, married=False)
                if sib.given[0] in used:
                    sib.given[0] = self.given_names(rng, self.comms[first.community], sib.sex, sib.given[0])[0]
                used.add(sib.given[0])
                people.append(sib)
            pairs = [(people[i].idx, people[j].idx, "sibling") for i in range(n) for j in range(i + 1, n)]
            return people, pairs
        if room >= 2 and u < 0.024:  # twins
            a = self.person(rng, start, force, home, married=False)
            sex = a.sex if rng.random() < 0.65 else ("F" if a.sex == "M" else "M")
            b = self.person(rng, start + 1, force, home, comm_key=a.community, sex=sex, family=a.family,
                            dob=a.dob, avoid_given=a.given[0], married=False)
            return [a, b], [(a.idx, b.idx, "twin")]
        if room >= 2 and u < 0.032:  # father and son with the same name
            son_dob = date.fromordinal(_REF_ORD - 1 - between(rng, 16 * 365, 40 * 365))
            father_dob = date.fromordinal(son_dob.toordinal() - between(rng, 25 * 365, 35 * 365))
            son = self.person(rng, start, force, home, sex="M", dob=son_dob, married=False)
            father = self.person(rng, start + 1, force, home, comm_key=son.community, sex="M",
                                 family=son.family, dob=father_dob, given=[son.given[0]], married=False)
            if len(son.given) > 1 and rng.random() < 0.5:
                father.given = [son.given[0], self.given_names(rng, self.comms[son.community], "M", son.given[1])[0]]
            return [son, father], [(son.idx, father.idx, "jr_sr")]
        if room >= 2 and u < 0.040:  # strangers: a common name and the same date of birth
            comm_key, sex, given, family = self.common_names[below(rng, len(self.common_names))]
            dob = self._dob(rng)
            a = self.person(rng, start, force, home, comm_key=comm_key, sex=sex, family=family, dob=dob,
                            given=[given], married=False)
            force_b = self.forces.pick(rng)
            next_addr[0] += 1
            home_b = self.address(rng, force_b, next_addr[0])
            b = self.person(rng, start + 1, force_b, home_b, comm_key=comm_key, sex=sex, family=family,
                            dob=dob, given=[given], married=False)
            return [a, b], [(a.idx, b.idx, "common_name_same_dob")]
        return [self.person(rng, start, force, home)], []

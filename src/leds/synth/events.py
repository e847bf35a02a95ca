"""The events a system records about a copy of a person: arrests and custody, release and
bail, crimes, stop and search, convictions, intelligence, wanted and missing episodes, and
what is reported about their vehicles (theft, ANPR reads, markers)."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import catalogue as cat
from .episodes import LAST_MINUTE, Episode, minute_of, moment, stamp
from .geography import FORCE_AREAS
from .population import EVENT_END, EVENT_START, Address, Picker, TruePerson, below, between
from .writer import OFFICIAL_SENSITIVE as _OS
from .writer import BlockWriter, File

# Chance that a vehicle record, when a file first sends it, comes with ANPR reads.
_P_ANPR = {"custody": 0.04, "rms": 0.04, "pnc": 0.0, "intel": 0.25}
_P_STOLEN = 0.03  # a vehicle in a force's crime system has been reported stolen
_BAIL_OUTCOMES = frozenset({"charged and bailed", "released on pre-charge bail"})
_VEHICLE_MARKERS = Picker([((code, detail), w) for code, detail, w in cat.VEHICLE_MARKERS])


def _registered(vrm: str) -> int:
    """The first day a current-format mark could be on the road: March (age 02-25) or
    September (51-74) of the year its age identifier stands for."""
    age = int(vrm[2:4])
    return date(2000 + age, 3, 1).toordinal() if age < 50 else date(1950 + age, 9, 1).toordinal()


class EventWriter(BlockWriter):
    """A block that writes the events of the copies it makes."""

    def _category(self) -> tuple[str, str]:
        slug = self.world.crimes.pick(self.rng)
        offences = cat.OFFENCES[slug]
        return slug, offences[below(self.rng, len(offences))]

    def _arrests(self, f: File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
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

    def _after_custody(self, f: File, pref: str, when: str, custody_no: str, town: str, outcome: str,
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

    def _episodes(self, f: File, pref: str, eps: list[Episode]) -> None:
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

    def _drives(self, f: File, tp: TruePerson, role: str, pref: str, window: tuple[int, int] | None) -> None:
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

    def _vehicle_reports(self, f: File, tp: TruePerson, role: str, pref: str, vref: str, vrm: str) -> None:
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

    def _crimes(self, f: File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
        rng = self.rng
        for _ in range(1 + (rng.random() < 0.3 * tp.level)):
            when, day, year = self._when(window)
            slug, offence = self._category()
            self._crime(f, pref, when, day, year, slug, offence, f.towns[below(rng, len(f.towns))])
        if rng.random() < 0.15:
            self._stop_search(f, pref, window)

    def _crime(self, f: File, pref: str, when: str, day: str, year: int, slug: str, offence: str, town: str) -> None:
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

    def _stop_search(self, f: File, pref: str, window: tuple[int, int]) -> None:
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

    def _convictions(self, f: File, tp: TruePerson, pref: str, window: tuple[int, int]) -> None:
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

    def _intelligence(self, f: File, tp: TruePerson, pref: str, window: tuple[int, int], written: str,
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

"""``leds synth``: the synthetic population and its ground truth, checked on real files."""

from __future__ import annotations

import csv
import hashlib
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from leds.standard import Updategram
from leds.standard.validators import normalise_postcode, normalise_vrm, postcode_area
from leds.synth import RATE_NAMES, VARIATION_NAMES, VariationRates, generate
from leds.synth.geography import FORCE_AREAS, areas_of
from leds.synth.rates import parse_rate_options
from leds.synth.variants import GIVEN_NAME_GROUPS

# The real data.police.uk files live in shared/, beside the checkout (as in CI), not in the repository.
POLICE_UK = Path(__file__).resolve().parents[3] / "shared" / "data" / "police-uk"
BOOSTED = {"typo": 0.5, "nickname": 0.5, "surname_variant": 0.5, "mc_mac": 0.5, "surname_part": 0.5,
           "maiden_name": 0.5, "diacritics": 0.5, "name_swap": 0.3, "alias": 0.3, "dob_swap": 0.4,
           "dob_year": 0.3, "missing_dob": 0.2, "missing_fields": 0.5, "duplicate": 0.3}


# --- helpers --------------------------------------------------------------------------
def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _updategrams(root: Path) -> dict[str, list[dict]]:
    return {str(p.relative_to(root)): [orjson.loads(line) for line in p.read_bytes().splitlines()]
            for p in sorted(root.glob("*/*.ndjson"))}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 people with the default rates, made by two worker processes."""
    out = tmp_path_factory.mktemp("synth") / "out"
    generate(out, 1500, seed=11, progress=False, workers=2)
    return out


@pytest.fixture(scope="module")
def lines(population: Path) -> dict[str, list[dict]]:
    return _updategrams(population)


@pytest.fixture(scope="module")
def boosted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 people with raised variation rates, for tight checks of realised rates."""
    out = tmp_path_factory.mktemp("synth-boosted") / "out"
    generate(out, 3000, seed=5, rates=BOOSTED, progress=False, workers=2)
    return out


# --- determinism ---------------------------------------------------------------------
def test_same_seed_and_arguments_give_byte_identical_output_whatever_the_worker_count(
        population: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, 1500, seed=11, progress=False, workers=1)
    assert _digests(again) == _digests(population)


def test_a_different_seed_gives_different_people(tmp_path: Path) -> None:
    generate(tmp_path / "a", 200, seed=1, progress=False, workers=1)
    generate(tmp_path / "b", 200, seed=2, progress=False, workers=1)
    assert (tmp_path / "a" / "truth.csv").read_bytes() != (tmp_path / "b" / "truth.csv").read_bytes()


# --- the national standard -------------------------------------------------------------
def test_every_line_validates_as_an_updategram(population: Path) -> None:
    count = 0
    for path in sorted(population.glob("*/*.ndjson")):
        for raw in path.read_bytes().splitlines():
            Updategram.model_validate_json(raw)
            count += 1
    assert count > 10_000


def test_files_are_one_per_force_and_source_and_match_their_envelopes(lines: dict[str, list[dict]]) -> None:
    assert len(lines) > 40
    for name, grams in lines.items():
        force, source = name.removesuffix(".ndjson").split("/")
        assert {(g["force"], g["source"]) for g in grams} == {(force, source)}


def test_sequences_start_at_one_and_increase_and_issued_at_never_goes_back(lines: dict[str, list[dict]]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name, grams in lines.items():
        assert [g["sequence"] for g in grams] == list(range(1, len(grams) + 1)), name
        issued = [g["issued_at"] for g in grams]
        assert issued == sorted(issued), name
        assert issued[-1] < now


EVENT_DATASETS = {"arrest": "custody", "custody": "custody", "release": "custody", "bail": "custody",
                  "crime": "crime", "conviction": "case", "intelligence": "intelligence",
                  "stop_search": "stop_search", "wanted": "nominal", "missing": "missing", "found": "missing",
                  "anpr_read": "anpr"}


def test_handling_and_datasets_follow_the_record(lines: dict[str, list[dict]]) -> None:
    handling: Counter[str] = Counter()
    for grams in lines.values():
        for g in grams:
            rec = g["record"]
            if g["op"] == "delete":
                assert set(rec) == {"type", "ref"}
                continue
            handling[rec["handling"]] += 1
            if rec["type"] == "person":
                assert rec["dataset"] == "nominal"
            if rec["type"] == "event":
                assert rec["dataset"] == EVENT_DATASETS[rec["data"]["kind"]]
            if rec["handling"] == "SECRET":
                assert rec["dataset"] == "intelligence"
    assert handling.most_common(1)[0][0] == "OFFICIAL-SENSITIVE"
    assert handling["OFFICIAL"] > 0 and handling["SECRET"] > 0


# --- places and things ------------------------------------------------------------------
def test_location_postcodes_fall_in_their_forces_postcode_areas(lines: dict[str, list[dict]]) -> None:
    checked = 0
    for name, grams in lines.items():
        force = name.split("/")[0]
        for g in grams:
            if g["record"]["type"] != "location":
                continue
            postcode = normalise_postcode(g["record"]["data"]["address"]["postcode"])
            if force in FORCE_AREAS:
                assert postcode_area(postcode) in areas_of(force), (force, postcode)
                checked += 1
    assert checked > 500


def test_geography_covers_all_43_territorial_forces_with_valid_areas() -> None:
    from leds.standard.codes import TERRITORIAL_FORCES

    assert set(FORCE_AREAS) == set(TERRITORIAL_FORCES)
    for force, areas in FORCE_AREAS.items():
        for area in areas:
            assert area.town
            for district in area.districts:
                assert postcode_area(normalise_postcode(f"{district} 1AB")) == area.area, (force, district)


def test_vehicles_carry_current_format_marks(lines: dict[str, list[dict]]) -> None:
    vrms = [g["record"]["data"]["vrm"] for grams in lines.values() for g in grams if g["record"]["type"] == "vehicle"]
    assert len(vrms) > 50
    for vrm in vrms:
        compact = normalise_vrm(vrm)
        assert len(compact) == 7 and compact[:2].isalpha() and compact[2:4].isdigit() and compact[4:].isalpha()


def test_events_use_data_police_uk_crime_categories(lines: dict[str, list[dict]]) -> None:
    from leds.synth.catalogue import CRIME_CATEGORIES, SEARCH_OBJECTS

    slugs = {slug for slug, _, _ in CRIME_CATEGORIES}
    objects = {o for o, _, _ in SEARCH_OBJECTS}
    kinds: Counter[str] = Counter()
    for grams in lines.values():
        for g in grams:
            if g["record"]["type"] != "event" or g["op"] == "delete":
                continue
            data = g["record"]["data"]
            kinds[data["kind"]] += 1
            if data["kind"] == "crime":
                assert data["category"] in slugs
            if data["kind"] == "stop_search":
                assert data["object_of_search"] in objects
            assert data["occurred_at"][:4] >= "2008"
    assert set(EVENT_DATASETS) == set(kinds)


def test_warning_markers_are_uncommon_and_mostly_the_common_codes(lines: dict[str, list[dict]]) -> None:
    persons: set[str] = set()
    marked: set[str] = set()
    codes: Counter[str] = Counter()
    for name, grams in lines.items():
        for g in grams:
            rec = g["record"]
            if rec["type"] == "person":
                persons.add(f"{name}:{rec['ref']}")
            elif rec["type"] == "marker" and rec["data"]["subject"]["type"] == "person":
                marked.add(f"{name}:{rec['data']['subject']['ref']}")
                codes[rec["data"]["code"]] += 1
    assert 0.01 < len(marked) / len(persons) < 0.15
    common = sum(codes[c] for c in ("VI", "WE", "DR", "SH", "MN"))
    assert common / sum(codes.values()) > 0.6


# --- wanted, missing, bail and vehicles ------------------------------------------------------
def _first_and_later(lines: dict[str, list[dict]]) -> tuple[dict[tuple[str, str, str], dict], list[tuple[str, dict]]]:
    """Each record as first sent, keyed by (file, type, ref), and every later line."""
    first: dict[tuple[str, str, str], dict] = {}
    later: list[tuple[str, dict]] = []
    for name, grams in lines.items():
        for g in grams:
            key = (name, g["record"]["type"], g["record"]["ref"])
            if key in first:
                later.append((name, g))
            else:
                first[key] = g["record"]
    return first, later


def test_wanted_missing_bail_and_vehicle_reports_come_at_plausible_rates(population: Path) -> None:
    counts = orjson.loads((population / "manifest.json").read_bytes())["counts"]
    persons, events, roles = counts["persons"], counts["events"], counts["link_roles"]
    assert 0.02 < counts["true_episodes"]["wanted"] / persons < 0.15
    assert 0.03 < counts["true_episodes"]["missing"] / persons < 0.3
    assert 0 < events["found"] < events["missing"]
    assert 0 < events["bail"] < events["release"] < 1.2 * events["custody"]
    assert 0 < counts["live"]["wanted_active"] < 0.3 * events["wanted"]
    assert 0 < counts["live"]["missing_open"] < 0.1 * events["missing"]
    assert counts["updates"]["wanted_cancelled"] + counts["deletes"]["event"] + counts["live"]["wanted_active"] \
        == events["wanted"]
    assert counts["updates"]["missing_closed"] + counts["live"]["missing_open"] == events["missing"]
    vehicles = counts["by_type"]["vehicle"]
    assert 0 < roles["user"] < roles["keeper"] and 0 < roles["driver"] < roles["keeper"]
    assert 0 < roles["victim"] < 0.1 * vehicles and events["anpr_read"] > 0.1 * vehicles
    assert 0 < sum(counts["vehicle_markers"].values()) < 0.05 * vehicles


def test_cancelled_circulations_and_found_people_update_the_event_already_sent(lines: dict[str, list[dict]]) -> None:
    first, later = _first_and_later(lines)
    found = {(name, rec["ref"]): rec["data"] for (name, rtype, _), rec in first.items()
             if rtype == "event" and rec["data"]["kind"] == "found"}
    closed: set[tuple[str, str]] = set()
    for name, g in later:
        rec = g["record"]
        if g["op"] == "delete":
            continue
        before, after = first[(name, "event", rec["ref"])]["data"], rec["data"]
        assert before["status"] in ("active", "open")
        assert {k: v for k, v in after.items() if k in before and k != "status"} == \
            {k: v for k, v in before.items() if k != "status"}
        if after["kind"] == "wanted":
            assert after["status"] == "cancelled" and after["cancelled_at"] > after["occurred_at"]
            assert after["cancellation_reason"]
        else:
            assert after["kind"] == "missing" and after["status"] == "closed"
            fd = found[(name, after["found_event"])]
            assert fd["episode_reference"] == after["episode_reference"]
            assert fd["occurred_at"] == after["closed_at"] > after["occurred_at"]
            closed.add((name, after["episode_reference"]))
    # every found event closes its episode, and an open episode has no found event
    assert {(name, d["episode_reference"]) for (name, _), d in found.items()} == closed
    for (_, rtype, _), rec in first.items():
        if rtype == "event" and rec["data"]["kind"] == "wanted":
            d = rec["data"]
            assert d["status"] == "active" and d["issued_by"] and d["description"].startswith("Wanted")
            assert "warrant_reference" in d or "circulation_reference" in d


def test_missing_people_are_mostly_children_or_vulnerable_adults(lines: dict[str, list[dict]]) -> None:
    first, _ = _first_and_later(lines)
    subject_of: dict[tuple[str, str], str] = {}
    for (name, rtype, _), rec in first.items():
        if rtype == "link" and rec["data"]["role"] == "subject":
            subject_of[(name, rec["data"]["to"]["ref"])] = rec["data"]["from"]["ref"]
    ages: list[int] = []
    for (name, rtype, ref), rec in first.items():
        if rtype != "event" or rec["data"]["kind"] != "missing":
            continue
        d = rec["data"]
        assert d["risk"] in ("high", "medium", "low") and d["last_seen_at"] and d["circumstances"]
        assert d["last_seen_time"] < d["occurred_at"]
        person = first[(name, "person", subject_of[(name, ref)])]["data"]
        if person.get("birth_dates"):
            born = person["birth_dates"][0]
            ages.append(int(d["occurred_at"][:4]) - int(born[:4]) - (d["occurred_at"][5:10] < born[5:10]))
    assert len(ages) > 50
    assert sum(a < 18 for a in ages) / len(ages) > 0.55
    assert min(ages) >= 10


def test_bail_carries_conditions_and_a_date_after_the_custody_it_follows(lines: dict[str, list[dict]]) -> None:
    first, _ = _first_and_later(lines)
    custody = {(name, rec["data"]["custody_number"]) for (name, rtype, _), rec in first.items()
               if rtype == "event" and rec["data"]["kind"] == "custody"}
    bails = [(name, rec["data"]) for (name, rtype, _), rec in first.items()
             if rtype == "event" and rec["data"]["kind"] == "bail"]
    assert bails
    for name, d in bails:
        assert d["conditions"] and all(isinstance(c, str) and c for c in d["conditions"])
        assert d["bail_until"] > d["occurred_at"][:10] and d["bail_type"] in ("pre-charge", "court")
        assert (name, d["custody_number"]) in custody


def test_vehicle_reports_and_markers_hang_off_the_vehicle(lines: dict[str, list[dict]]) -> None:
    first, _ = _first_and_later(lines)
    keepers: dict[tuple[str, str], set[str]] = defaultdict(set)  # a duplicate copy keeps the vehicle too
    for (name, rtype, _), rec in first.items():
        if rtype == "link" and rec["data"]["role"] == "keeper":
            keepers[(name, rec["data"]["to"]["ref"])].add(rec["data"]["from"]["ref"])
    victims = {(name, rec["data"]["to"]["ref"]): rec["data"]["from"]["ref"] for (name, rtype, _), rec in first.items()
               if rtype == "link" and rec["data"]["role"] == "victim"}
    kinds: Counter[str] = Counter()
    for (name, rtype, _), rec in first.items():
        d = rec["data"]
        if rtype == "marker" and d["subject"]["type"] == "vehicle":
            assert rec["dataset"] == "vehicle"
            kinds["marker"] += 1
        if rtype != "link" or d["role"] != "involved":
            continue
        assert d["from"]["type"] == "vehicle" and d["to"]["type"] == "event"
        vehicle = first[(name, "vehicle", d["from"]["ref"])]["data"]
        event = first[(name, "event", d["to"]["ref"])]
        kinds[event["data"]["kind"]] += 1
        if event["data"]["kind"] == "anpr_read":
            assert event["dataset"] == "anpr" and event["data"]["camera_id"].startswith(name.split("/")[0])
            assert event["data"]["vrm_read"] == normalise_vrm(vehicle["vrm"])
            assert event["data"]["occurred_at"] >= "2024-05-31"  # reads are kept for a year
        else:
            assert event["dataset"] == "crime" and event["data"]["category"] == "vehicle-crime"
            assert event["data"]["vehicle_status"] in ("stolen", "recovered")
            assert victims[(name, d["to"]["ref"])] in keepers[(name, d["from"]["ref"])]
    assert kinds["anpr_read"] and kinds["crime"] and kinds["marker"]


def test_synthetic_files_ingest_with_nothing_quarantined(tmp_path: Path) -> None:
    from leds.config import Settings
    from leds.db.engine import dispose_all
    from leds.ingest.pipeline import Ingestor, ingest_paths

    generate(tmp_path / "o", 400, seed=7, progress=False, workers=1)
    paths = sorted((tmp_path / "o").glob("*/*.ndjson"))
    lines = sum(len(p.read_bytes().splitlines()) for p in paths)
    try:
        summary = ingest_paths(Ingestor(Settings(home=tmp_path / "home")), paths)
    finally:
        dispose_all()
    assert summary.quarantined == 0, summary.as_dict()
    assert summary.accepted == lines


# --- references ------------------------------------------------------------------------
def test_markers_and_links_point_to_records_that_exist(lines: dict[str, list[dict]]) -> None:
    existing: set[tuple[str, str, str, str]] = set()
    for grams in lines.values():
        for g in grams:
            existing.add((g["force"], g["source"], g["record"]["type"], g["record"]["ref"]))
    roles: Counter[str] = Counter()
    for grams in lines.values():
        for g in grams:
            rec = g["record"]
            if g["op"] == "delete":
                assert (g["force"], g["source"], rec["type"], rec["ref"]) in existing
                continue
            if rec["type"] == "marker":
                refs = [rec["data"]["subject"]]
            elif rec["type"] == "link":
                refs = [rec["data"]["from"], rec["data"]["to"]]
                roles[rec["data"]["role"]] += 1
            else:
                continue
            for r in refs:
                key = (r.get("force", g["force"]), r.get("source", g["source"]), r["type"], r["ref"])
                assert key in existing, (g["force"], g["source"], rec)
    assert {"resides_at", "keeper", "user", "driver", "associate", "family", "arrested", "suspect", "subject",
            "victim", "involved"} == set(roles)


def test_refs_are_unique_within_force_source_and_type_and_only_events_are_sent_again(
        lines: dict[str, list[dict]]) -> None:
    """A record is first sent once; a later line for the same ref is an update of an event
    (a cancelled circulation, a closed missing episode) or a delete."""
    again: Counter[str] = Counter()
    for name, grams in lines.items():
        first: dict[tuple[str, str], int] = {}
        for g in grams:
            key = (g["record"]["type"], g["record"]["ref"])
            if key not in first:
                assert g["op"] == "upsert", (name, g)
                first[key] = g["sequence"]
                continue
            assert g["sequence"] > first[key]
            if g["op"] == "delete":
                again["delete:" + key[0]] += 1
            else:
                assert key[0] == "event", (name, g)
                again["update:" + g["record"]["data"]["kind"]] += 1
    assert again["update:wanted"] and again["update:missing"] and again["delete:event"] and again["delete:link"]


# --- ground truth ----------------------------------------------------------------------
def test_truth_has_exactly_one_row_per_person_record_and_nothing_else(population: Path, lines: dict[str, list[dict]]) -> None:
    assert (population / "truth.csv").read_text().splitlines()[0] == "force,source,ref,true_person_id"
    truth = _csv(population / "truth.csv")
    rows = [(r["force"], r["source"], r["ref"]) for r in truth]
    assert len(rows) == len(set(rows))
    person_records = {(g["force"], g["source"], g["record"]["ref"])
                      for grams in lines.values() for g in grams if g["record"]["type"] == "person"}
    assert set(rows) == person_records
    people = {r["true_person_id"] for r in truth}
    assert len(people) == 1500


def test_people_appear_in_one_to_four_systems_and_copies_vary(population: Path, lines: dict[str, list[dict]]) -> None:
    truth = _csv(population / "truth.csv")
    copies = Counter(r["true_person_id"] for r in truth)
    assert set(copies.values()) <= {1, 2, 3, 4}
    assert copies.most_common()[-1][1] == 1 and copies.most_common(1)[0][1] >= 3
    by_key = {(g["force"], g["source"], g["record"]["ref"]): g["record"]["data"]
              for grams in lines.values() for g in grams if g["record"]["type"] == "person"}
    spellings: dict[str, set[str]] = defaultdict(set)
    for r in truth:
        name = by_key[(r["force"], r["source"], r["ref"])]["names"][0]
        spellings[r["true_person_id"]].add(f"{' '.join(name['given'])}|{name.get('family')}")
    varied = sum(1 for tid, s in spellings.items() if copies[tid] > 1 and len(s) > 1)
    assert varied > 100


def test_pnc_ids_belong_to_one_true_person_and_carry_valid_check_characters(population: Path, lines: dict[str, list[dict]]) -> None:
    truth = {(r["force"], r["source"], r["ref"]): r["true_person_id"] for r in _csv(population / "truth.csv")}
    owner: dict[str, set[str]] = defaultdict(set)
    for grams in lines.values():
        for g in grams:
            rec = g["record"]
            if rec["type"] == "person" and "pnc_id" in rec["data"]:
                owner[rec["data"]["pnc_id"]].add(truth[(g["force"], g["source"], rec["ref"])])
    assert len(owner) > 200
    assert all(len(people) == 1 for people in owner.values())


def test_hard_negative_pairs_are_different_people_present_in_truth(population: Path) -> None:
    assert (population / "hard_negatives.csv").read_text().splitlines()[0] == "true_person_id_a,true_person_id_b,kind"
    known = {r["true_person_id"] for r in _csv(population / "truth.csv")}
    pairs = _csv(population / "hard_negatives.csv")
    assert {p["kind"] for p in pairs} == {"sibling", "twin", "jr_sr", "common_name_same_dob"}
    for p in pairs:
        assert p["true_person_id_a"] != p["true_person_id_b"]
        assert {p["true_person_id_a"], p["true_person_id_b"]} <= known


def test_hard_negatives_share_what_makes_them_look_alike() -> None:
    from random import Random

    from leds.synth.population import World

    world = World(seed=1, rates=VariationRates())
    rng = Random(99)
    next_addr = [0]
    seen: Counter[str] = Counter()
    idx = 0
    while min(seen[k] for k in ("sibling", "twin", "jr_sr", "common_name_same_dob")) < 20:
        people, pairs = world.unit(rng, idx, 10, next_addr)
        idx += len(people)
        by_idx = {p.idx: p for p in people}
        for a_idx, b_idx, kind in pairs:
            a, b = by_idx[a_idx], by_idx[b_idx]
            seen[kind] += 1
            assert a.tid != b.tid
            if kind == "common_name_same_dob":
                assert (a.given[0], a.family, a.dob) == (b.given[0], b.family, b.dob)
                assert a.home.id != b.home.id
                continue
            assert a.family == b.family and a.home.id == b.home.id
            if kind == "sibling":
                assert a.given[0] != b.given[0] and a.dob != b.dob
            elif kind == "twin":
                assert a.dob == b.dob and a.given[0] != b.given[0]
            else:  # jr_sr
                assert a.given[0] == b.given[0] and a.sex == b.sex == "M"
                assert 25 * 365 <= abs(a.dob.toordinal() - b.dob.toordinal()) <= 35 * 365 + 1


def test_variations_csv_lists_each_person_record_with_known_variation_names(population: Path) -> None:
    truth = {(r["force"], r["source"], r["ref"]) for r in _csv(population / "truth.csv")}
    rows = _csv(population / "variations.csv")
    assert {(r["force"], r["source"], r["ref"]) for r in rows} == truth
    names = {v for r in rows for v in r["variations"].split(";") if v}
    assert names <= set(VARIATION_NAMES)
    assert {"typo", "nickname", "missing_fields", "alias"} <= names


def test_realised_rates_match_configured_within_binomial_tolerance(boosted: Path) -> None:
    manifest = orjson.loads((boosted / "manifest.json").read_bytes())
    rows = _csv(boosted / "variations.csv")
    applied_in_csv = Counter(v for r in rows for v in r["variations"].split(";") if v)
    configured = VariationRates().with_overrides(BOOSTED).as_dict()
    checked = 0
    for name in RATE_NAMES:
        entry = manifest["rates"][name]
        assert entry["configured"] == configured[name]
        if name in VARIATION_NAMES:
            assert applied_in_csv[name] == entry["applied"], name
        n, p = entry["eligible"], configured[name]
        if n < 50:
            continue
        tolerance = 4.5 * math.sqrt(p * (1 - p) / n) + 1e-9
        assert abs(entry["realised"] - p) <= tolerance, (name, entry)
        checked += 1
    assert checked >= 12


def test_a_zero_rate_means_no_copy_has_that_variation(tmp_path: Path) -> None:
    generate(tmp_path / "o", 400, seed=3, rates={"typo": 0.0, "nickname": 0.0, "alias": 0.0}, progress=False, workers=1)
    rows = _csv(tmp_path / "o" / "variations.csv")
    applied = {v for r in rows for v in r["variations"].split(";") if v}
    assert not applied & {"typo", "nickname", "alias"}


def test_manifest_reports_counts_that_match_the_files(population: Path, lines: dict[str, list[dict]]) -> None:
    manifest = orjson.loads((population / "manifest.json").read_bytes())
    counts = manifest["counts"]
    assert counts["persons"] == 1500
    assert counts["files"] == {name: len(grams) for name, grams in lines.items()}
    by_type = Counter(g["record"]["type"] for grams in lines.values() for g in grams)
    assert counts["by_type"] == dict(by_type)
    assert counts["records"] == sum(by_type.values())
    datasets = Counter(g["record"]["dataset"] for grams in lines.values() for g in grams if g["op"] == "upsert")
    assert counts["by_dataset"] == dict(datasets)
    sent: set[tuple[str, str]] = set()
    events: Counter[str] = Counter()
    updates: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    for name, grams in lines.items():
        for g in grams:
            rec = g["record"]
            key = (name, rec["ref"])
            if rec["type"] == "event" and g["op"] == "upsert":
                kind = rec["data"]["kind"]
                if key in sent:
                    updates["wanted_cancelled" if kind == "wanted" else "missing_closed"] += 1
                else:
                    events[kind] += 1
                sent.add(key)
            elif rec["type"] == "link" and g["op"] == "upsert":
                roles[rec["data"]["role"]] += 1
    assert counts["events"] == dict(events)
    assert counts["updates"] == dict(updates)
    assert counts["link_roles"] == dict(roles)
    deletes = Counter(g["record"]["type"] for grams in lines.values() for g in grams if g["op"] == "delete")
    assert counts["deletes"] == dict(deletes)
    assert sum(int(k) * v for k, v in counts["copies_per_person"].items()) == counts["person_records"]
    hard = Counter(p["kind"] for p in _csv(population / "hard_negatives.csv"))
    assert manifest["hard_negatives"] == {k: hard.get(k, 0) for k in manifest["hard_negatives"]}


def test_population_mixes_communities(population: Path) -> None:
    communities = orjson.loads((population / "manifest.json").read_bytes())["counts"]["communities"]
    assert communities["anglo"] / 1500 > 0.5
    assert len([c for c, n in communities.items() if n > 0]) >= 10


def test_nickname_table_has_at_least_150_groups() -> None:
    assert len(GIVEN_NAME_GROUPS) >= 150


# --- options and the command line ----------------------------------------------------------
def test_rate_options_are_parsed_and_bad_ones_explained() -> None:
    assert parse_rate_options(["typo=0.1", "alias=0"]) == {"typo": 0.1, "alias": 0.0}
    with pytest.raises(ValueError, match="valid names: typo"):
        parse_rate_options(["tpyo=0.1"])
    with pytest.raises(ValueError, match="outside 0..1"):
        parse_rate_options(["typo=1.5"])
    with pytest.raises(ValueError, match="name=value"):
        parse_rate_options(["typo"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        generate("/nonexistent/never-written", 10, rates=VariationRates(typo=-0.1), progress=False)


def test_cli_writes_a_population(tmp_path: Path) -> None:
    from leds.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["synth", "--persons", "300", "--seed", "4", "--out", str(out),
                                      "--rate", "typo=0.2", "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["persons"] == 300 and manifest["rates"]["typo"]["configured"] == 0.2


def test_cli_rejects_an_unknown_rate_name_and_lists_the_valid_ones(tmp_path: Path) -> None:
    from leds.cli import app

    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "x"), "--rate", "tpyo=0.1"])
    assert result.exit_code != 0
    assert "tpyo" in result.output and "missing_dob" in result.output
    assert not (tmp_path / "x").exists()


def test_cli_rejects_a_rate_outside_zero_to_one(tmp_path: Path) -> None:
    from leds.cli import app

    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "x"), "--rate", "typo=2"])
    assert result.exit_code != 0 and "outside 0..1" in result.output


def test_refuses_to_write_into_a_directory_holding_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate(tmp_path, 10, progress=False)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_overwrite_replaces_earlier_synth_output(tmp_path: Path) -> None:
    generate(tmp_path / "o", 300, seed=1, progress=False, workers=1)
    generate(tmp_path / "o", 100, seed=2, progress=False, workers=1, overwrite=True)
    assert orjson.loads((tmp_path / "o" / "manifest.json").read_bytes())["persons"] == 100
    assert len({r["true_person_id"] for r in _csv(tmp_path / "o" / "truth.csv")}) == 100


@pytest.mark.skipif(not POLICE_UK.is_dir(), reason="shared/data/police-uk is not beside this checkout; it is in CI and on the development machines")
def test_police_uk_files_can_weight_the_categories(tmp_path: Path) -> None:
    report = generate(tmp_path / "o", 300, seed=1, progress=False, workers=1, reference_dir=POLICE_UK)
    assert report.extra["manifest"]["reference_data"] == str(POLICE_UK)
    for path in sorted((tmp_path / "o").glob("*/*.ndjson"))[:5]:
        for raw in path.read_bytes().splitlines():
            Updategram.model_validate_json(raw)

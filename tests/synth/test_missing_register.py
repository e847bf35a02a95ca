"""The synthetic missing-persons feed: ``missing_episode`` updategrams from each force's
missing-persons system, for the national register, added without changing any other record."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from leds.synth import generate
from leds.synth.register import MISSING_SOURCE, RegisterWriter


def _load(root: Path) -> dict[str, list[dict]]:
    return {str(p.relative_to(root)): [orjson.loads(x) for x in p.read_bytes().splitlines()]
            for p in sorted(root.glob("*/*.ndjson"))}


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-register") / "out"
    generate(out, 1000, seed=7, progress=False, workers=1)
    return out


@pytest.fixture(scope="module")
def episodes(population: Path) -> list[dict]:
    return [g for name, grams in _load(population).items() for g in grams if g["record"]["type"] == "missing_episode"]


def test_adding_the_register_leaves_every_other_file_byte_for_byte_as_it_was(
        population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RegisterWriter, "_register", lambda self, tp, eps, copies: None)
    generate(tmp_path / "without", 1000, seed=7, progress=False, workers=1)

    def digests(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in root.glob("*/*.ndjson") if p.stem != MISSING_SOURCE}

    assert digests(population) == digests(tmp_path / "without")
    assert not list((tmp_path / "without").glob(f"*/{MISSING_SOURCE}.ndjson"))


def test_episodes_come_only_from_the_missing_persons_systems_and_name_a_person_record_sent(
        population: Path, episodes: list[dict]) -> None:
    lines = _load(population)
    persons = {(g["force"], g["source"], g["record"]["ref"]) for grams in lines.values() for g in grams
               if g["record"]["type"] == "person"}
    assert episodes and {g["source"] for g in episodes} == {MISSING_SOURCE}
    for g in episodes:
        s = g["record"]["data"]["subject"]
        assert (s["force"], s["source"], s["ref"]) in persons, g
    manifest = orjson.loads((population / "manifest.json").read_bytes())
    register = manifest["counts"]["missing_register"]
    assert register["found"] + register["missing"] == len(episodes) == manifest["counts"]["by_type"]["missing_episode"]


def test_the_feed_looks_like_the_national_picture(episodes: list[dict]) -> None:
    """Most found within a day, some still missing, children with return interviews (most but
    not all within 72 hours), every risk grade, and people reported again by another force."""
    data = [g["record"]["data"] for g in episodes]
    status = Counter(d["status"] for d in data)
    assert status["missing"] >= 1 and status["found"] > 10 * status["missing"]

    def hours(a: str, b: str) -> float:
        return (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))
                ).total_seconds() / 3600

    found = [hours(d["reported_at"], d["found"]["at"]) for d in data if d["status"] == "found"]
    assert 0.6 < sum(h < 24 for h in found) / len(found) < 0.95
    assert {d["risk"] for d in data} == {"very_low", "low", "medium", "high"}
    children = [d for d in data if "child" in d["vulnerabilities"] and d["status"] == "found"]
    held = [hours(d["found"]["at"], d["return_interview"]["at"]) for d in children if "return_interview" in d]
    assert len(held) > 0.5 * len(children) and len(held) < len(children)
    assert 0.4 < sum(h <= 72 for h in held) / len(held) < 0.9
    forces_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for g in episodes:
        s = g["record"]["data"]["subject"]
        forces_of[(s["force"], s["source"], s["ref"])].add(g["force"])
    assert any(len(f) == 2 for f in forces_of.values())


def test_the_demo_register_shows_live_episodes_and_one_person_across_two_forces(tmp_path: Path) -> None:
    from leds.config import Settings
    from leds.db.engine import dispose_all, get_engine
    from leds.ingest.pipeline import Ingestor, ingest_paths
    from leds.missing import service, stats
    from leds.missing.models import LiveFilters

    from ..callers import lookup

    generate(tmp_path / "o", 1000, seed=7, progress=False, workers=1)
    settings = Settings(home=tmp_path / "home")
    try:
        summary = ingest_paths(Ingestor(settings), sorted((tmp_path / "o").glob("*/*.ndjson")))
        assert summary.quarantined == 0, summary.as_dict()
        lk, _ = lookup("missing_persons_coordinator", purpose="missing_person_enquiry")
        with get_engine(settings).connect() as conn:
            live = service.live(conn, lk, LiveFilters())
            st = stats.stats(conn, lk)
    finally:
        dispose_all()
    assert live["total"] == st["live"] >= 1 and live["episodes"][0]["name"]
    assert st["people"] < st["episodes"] and st["repeat_people"] > 0
    assert st["return_interviews"]["on_time"] > 0 and st["return_interviews"]["late"] > 0

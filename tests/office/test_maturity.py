"""Maturity: two rounds for three forces, the dashboard's figures against a count by hand;
bad answers refused; only the roles the rule table names may assess."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import BadRequest, Conflict, Forbidden, NotFound
from leds.office import maturity
from leds.office.models import Assessment, Target

from ..callers import principal

FW = "force-data-strategy"
OFFICE = principal("national_data_office_analyst", "WYP")
# force -> round -> the level of each question, in the framework's order:
#   platforms-governance, platforms-quality, processes-governance, processes-quality,
#   people-governance, people-quality, potential-governance, potential-quality
ROUNDS = {
    "WYP": {"2024": [1, 2, 2, 2, 0, 1, 1, 1], "2025": [2, 3, 3, 3, 1, 1, 2, 2]},
    "MPS": {"2024": [3, 3, 2, 4, 2, 2, 3, 3], "2025": [3, 4, 4, 4, 2, 3, 3, 3]},
    "DER": {"2024": [0, 0, 1, 1, 0, 0, 0, 1], "2025": [0, 1, 1, 1, 0, 0, 1, 0]},
}


def _answers(levels: list[int]) -> list[dict[str, object]]:
    fw = maturity.BUILTIN[FW]
    return [{"question": q["id"], "level": lv, "evidence": f"note for {q['id']}" if lv else ""}
            for q, lv in zip(fw["questions"], levels, strict=True)]


def load_rounds(settings: Settings) -> None:
    with get_engine(settings).begin() as conn:
        for force, rounds in ROUNDS.items():
            for label, levels in rounds.items():
                maturity.save_round(conn, OFFICE, Assessment(framework=FW, force=force, label=label,
                                                             answers=_answers(levels), submit=True))
        maturity.set_target(conn, OFFICE, Target(framework=FW, force="WYP", topic="people", level=3,
                                                 by_date="2028-03-31"))
        maturity.set_target(conn, OFFICE, Target(framework=FW, force="MPS", topic="platforms", level=3,
                                                 by_date="2028-03-31"))


def test_dashboard_figures_and_changes_match_a_count_by_hand(settings: Settings) -> None:
    load_rounds(settings)
    with get_engine(settings).connect() as conn:
        d = maturity.dashboard(conn, FW)
    assert d["forces"] == ["DER", "MPS", "WYP"]
    wyp = d["by_force"]["WYP"]
    # WYP 2025: platforms (2+3)/2 = 2.5, processes (3+3)/2 = 3, people (1+1)/2 = 1, potential (2+2)/2 = 2
    assert wyp["topics"] == {"platforms": 2.5, "processes": 3.0, "people": 1.0, "potential": 2.0}
    assert wyp["heat"]["platforms"] == {"governance": 2.0, "quality": 3.0}
    assert wyp["levels"] == {"platforms": 2, "processes": 3, "people": 1, "potential": 2}
    # WYP 2024: platforms 1.5, processes 2, people 0.5, potential 1 -> changes 1, 1, 0.5, 1
    assert wyp["round"] == "2025" and wyp["previous_round"] == "2024"
    assert wyp["change"] == {"platforms": 1.0, "processes": 1.0, "people": 0.5, "potential": 1.0}
    # DER 2025: platforms 0.5, processes 1, people 0, potential 0.5; 2024: 0, 1, 0, 0.5
    assert d["by_force"]["DER"]["change"] == {"platforms": 0.5, "processes": 0.0, "people": 0.0, "potential": 0.0}
    # national platforms/governance: WYP 2, MPS 3, DER 0 -> 5/3 = 1.67
    assert d["national"]["heat"]["platforms"]["governance"] == 1.67
    # national processes topic: WYP 3, MPS 4, DER 1 -> 2.67
    assert d["national"]["topics"]["processes"] == 2.67
    # spread of levels in platforms: WYP 2 (2.5), MPS 3 (3.5), DER 0 (0.5)
    assert d["spread"]["platforms"] == {"0": 1, "1": 0, "2": 1, "3": 1, "4": 0, "5": 0}
    # national change in people: WYP +0.5, MPS (2.5 - 2) +0.5, DER 0 -> 0.33; improved 2, declined 0
    assert d["change"]["forces_with_two_rounds"] == 3
    assert d["change"]["topics"]["people"] == 0.33
    assert d["change"]["improved"]["people"] == 2 and d["change"]["declined"]["people"] == 0
    # gaps: WYP people target 3, current 1 -> 2; MPS platforms target 3, current 3.5 -> met
    gaps = {(g["force"], g["topic"]): (g["gap"], g["met"]) for g in d["gaps"]}
    assert gaps == {("WYP", "people"): (2.0, False), ("MPS", "platforms"): (0.0, True)}
    # similar: WYP (2.5, 3, 1, 2) to MPS (3.5, 4, 2.5, 3): sqrt(1 + 1 + 2.25 + 1) = 2.29;
    # to DER (0.5, 1, 0, 0.5): sqrt(4 + 4 + 1 + 2.25) = 3.35
    assert d["similar"]["WYP"] == [{"force": "MPS", "distance": 2.29}, {"force": "DER", "distance": 3.35}]
    assert "index" not in d and "score" not in d["national"]


def test_a_level_without_evidence_or_outside_the_scale_is_refused(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    with get_engine(settings).begin() as conn:
        with pytest.raises(ValidationError, match="without evidence"):
            Assessment(framework=FW, force="WYP", label="2025", answers=[
                {"question": "people-quality", "level": 2, "evidence": "  "}])
        with pytest.raises(BadRequest, match="without evidence"):  # a file, as leds maturity import reads it
            maturity.import_round(conn, OFFICE, {"framework": FW, "force": "WYP", "label": "2025", "answers": [
                {"question": "people-quality", "level": 2, "evidence": "  "}]})
        with pytest.raises(Conflict, match="outside"):
            maturity.save_round(conn, OFFICE, Assessment(framework=FW, force="WYP", label="2025", answers=[
                {"question": "people-quality", "level": 6, "evidence": "x"}]))
        with pytest.raises(NotFound, match="no question"):
            maturity.save_round(conn, OFFICE, Assessment(framework=FW, force="WYP", label="2025", answers=[
                {"question": "nonsense", "level": 1, "evidence": "x"}]))
        # a link is evidence too; the lowest level claims nothing and needs none
        r = maturity.save_round(conn, OFFICE, Assessment(framework=FW, force="WYP", label="2025", answers=[
            {"question": "people-quality", "level": 2, "link": "https://example.org/literacy-survey"},
            {"question": "people-governance", "level": 0}]))
        assert r["status"] == "draft" and r["answered"] == 2
        with pytest.raises(Conflict, match="6 questions unanswered"):
            maturity.save_round(conn, OFFICE, Assessment(framework=FW, force="WYP", label="2025", submit=True))


def test_only_assessing_roles_assess_and_a_force_only_its_own(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    body = Assessment(framework=FW, force="WYP", label="2025", answers=[
        {"question": "people-quality", "level": 1, "evidence": "x"}])
    with get_engine(settings).begin() as conn:
        with pytest.raises(Forbidden, match="assess_maturity"):
            maturity.save_round(conn, principal("frontline_officer", "WYP"), body)
        with pytest.raises(Forbidden, match="own force"):
            maturity.save_round(conn, principal("force_data_manager", "MPS"), body)
        assert maturity.save_round(conn, principal("force_data_manager", "WYP"), body)["force"] == "WYP"


def test_a_submitted_round_is_closed_and_a_new_version_keeps_old_rounds(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    load_rounds(settings)
    fw = dict(maturity.BUILTIN[FW])
    with get_engine(settings).begin() as conn:
        with pytest.raises(Conflict, match="submitted"):
            maturity.save_round(conn, OFFICE, Assessment(framework=FW, force="WYP", label="2025", answers=[]))
        with pytest.raises(Conflict, match="exists"):
            maturity.save_framework(conn, OFFICE, fw)
        v2 = maturity.save_framework(conn, OFFICE, {**fw, "version": 2, "title": "Force data strategy v2"})
        assert v2.version == 2
        assert maturity.get_framework(conn, FW).version == 2
        assert maturity.get_framework(conn, FW, 1).version == 1
        rounds = maturity.list_rounds(conn, force="WYP")
        assert {r["framework_version"] for r in rounds} == {1}
        with pytest.raises(BadRequest, match="topic or theme"):
            maturity.save_framework(conn, OFFICE, {**fw, "version": 3, "questions": [
                {"id": "q", "topic": "nowhere", "theme": "quality", "text": "?"}]})
        with pytest.raises(Forbidden):
            maturity.save_framework(conn, Principal(id="user:x", roles=frozenset({"force_data_manager"})),
                                    {**fw, "version": 4})

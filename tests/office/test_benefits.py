"""Benefits: a profile needs a baseline; a computed measure changes when the data changes;
delivery objectives make a quarterly report in the delivery plan's shape."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import BadRequest, Forbidden
from leds.office import benefits, objectives
from leds.office.models import BenefitIn, MeasurementIn, ObjectiveIn, RiskIn

from ..callers import principal
from ..factories import john, load, ug

OFFICE = principal("national_data_office_analyst", "WYP")
PROFILE = {"ref": "BEN_002", "title": "Forces onboarded", "rationale": "A complete national view.",
           "owner": "NDAO", "category": "quantitative", "measure": "Forces sending updategrams", "unit": "forces",
           "baseline": 0, "target": 43, "stage": "Year 1", "rag": "amber", "computed": "forces_onboarded"}


def test_a_benefit_without_a_baseline_is_refused(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    with get_engine(settings).begin() as conn:
        with pytest.raises(ValidationError, match="baseline"):
            BenefitIn.model_validate({k: v for k, v in PROFILE.items() if k != "baseline"})
        with pytest.raises(BadRequest, match="needs a baseline"):  # the service checks it too
            benefits.save(conn, OFFICE, BenefitIn.model_construct(**{**PROFILE, "baseline": None}))
        with pytest.raises(BadRequest, match="no computed measure"):
            benefits.save(conn, OFFICE, BenefitIn.model_validate({**PROFILE, "computed": "happiness"}))
        with pytest.raises(Forbidden, match="manage_benefits"):
            benefits.save(conn, principal("force_data_manager", "WYP"), BenefitIn.model_validate(PROFILE))


def test_the_published_computed_measures_are_those_leds_computes() -> None:
    from leds.office.models import COMPUTED_MEASURES

    assert tuple(benefits.COMPUTED) == COMPUTED_MEASURES


def test_a_computed_measure_changes_when_the_data_changes(settings: Settings) -> None:
    with get_engine(settings).begin() as conn:
        benefits.save(conn, OFFICE, BenefitIn.model_validate(PROFILE))
        benefits.save(conn, OFFICE, BenefitIn.model_validate({**PROFILE, "ref": "BEN_001", "title": "Systems",
                                                              "computed": "datasets_connected"}))
        assert benefits.compute(conn, "forces_onboarded") == 0
        benefits.refresh(conn, "test")
    load(settings, [ug(1, john("P-1"), force="WYP", source="NICHE-RMS")])
    with get_engine(settings).begin() as conn:
        assert benefits.compute(conn, "forces_onboarded") == 1
        benefits.refresh(conn, "test")  # the same day: replaces the first
        assert benefits.get(conn, "BEN_002")["latest"] == 1
    load(settings, [ug(1, john("P-9"), force="MPS", source="CONNECT"),
                    ug(1, john("P-2"), force="WYP", source="ATHENA")])
    with get_engine(settings).begin() as conn:
        benefits.refresh(conn, "test")
        b = benefits.get(conn, "BEN_002")
        assert b["latest"] == 2 and [m["source"] for m in b["measurements"]] == ["computed"]
        assert benefits.get(conn, "BEN_001")["latest"] == 3  # WYP/NICHE-RMS, WYP/ATHENA, MPS/CONNECT
        out = benefits.measure(conn, OFFICE, "BEN_002", MeasurementIn(day="2099-01-01", value=43, note="all in"))
        assert out["latest"] == 43 and out["progress"] == 100.0


def test_the_quarterly_report_counts_rag_by_strand_and_lists_risks_highest_first(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    with get_engine(settings).begin() as conn:
        assert objectives.seed_examples(conn, OFFICE) == 4
        objectives.save(conn, OFFICE, ObjectiveIn(ref="3.2", strand="Enabling access to data", title="Open data",
                                                  owner="Head of Open Data", rag="green", progress="On track."))
        objectives.add_risk(conn, OFFICE, RiskIn(objective="3.2", description="Disclosure control is late.",
                                                 likelihood=2, impact=5, mitigation="Use the existing rules.",
                                                 owner="Head of Open Data"))
        r = objectives.quarterly_report(conn, "2026-Q3")
    assert r["summary"] == {"objectives": 5, "green": 3, "amber": 1, "red": 1, "open_risks": 3}
    assert [s["strand"] for s in r["strands"]] == ["Setting up for success", "Improving data culture and literacy",
                                                   "Enabling access to data"]
    assert [x["score"] for x in r["risks"]] == [16, 10, 9]
    assert "3 out of 5 objectives report little or no overall risk" in r["markdown"]
    assert "## 5. Enabling access to data" in r["markdown"]

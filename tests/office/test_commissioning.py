"""Commissioning: a near-identical request is shown as a likely duplicate before it is
submitted (and an unrelated one is not); the model's criteria are scored in range with a
rationale; only the deciding roles score and decide; every step is in the decision log."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import BadRequest, Conflict, Forbidden
from leds.office import commissioning
from leds.office.models import DecisionIn, RequestIn, ScoreIn, ScoresIn

from ..callers import principal

ASKER = principal("force_data_manager", "WYP")
ASSESSOR = principal("national_data_office_analyst", "WYP")
EXISTING = [
    ("National stop and search disproportionality dashboard",
     "Forces cannot compare stop and search rates by ethnicity with each other; we need a national dashboard of "
     "disproportionality built from the data forces already send."),
    ("Analyst training in Python and R", "Our analysts need training in Python and R to automate their reports."),
    ("Domestic abuse repeat victim indicator", "We want to know how many domestic abuse victims are repeat "
     "victims within twelve months, by force."),
]


def _seed(conn: object) -> list[int]:
    return [commissioning.submit(conn, ASKER, RequestIn(title=t, problem=p, portfolio="NPCC Race Action Plan",
                                                        priority="high", evidence="HMICFRS report"))["id"]
            for t, p in EXISTING]


def test_a_nearly_identical_request_is_shown_as_a_likely_duplicate(settings: Settings) -> None:
    with get_engine(settings).begin() as conn:
        ids = _seed(conn)
        found = commissioning.similar(
            conn, "Dashboard of stop and search disproportionality across forces",
            "We need a national dashboard comparing stop and search rates by ethnicity between forces, from the "
            "data they already send.", home=settings.home)
        assert found[0]["id"] == commissioning.ref(ids[0]) and found[0]["likely_duplicate"]
        assert not any(f["likely_duplicate"] for f in found[1:])
        unrelated = commissioning.similar(conn, "Drone footage retention policy",
                                          "How long should forces keep footage from drones?", home=settings.home)
        assert not any(f["likely_duplicate"] for f in unrelated)


def test_scores_in_range_with_rationale_then_a_category_and_the_decision_log(settings: Settings) -> None:
    with get_engine(settings).begin() as conn:
        rid = _seed(conn)[0]
        with pytest.raises(Forbidden, match="decide_commissioning"):
            commissioning.score(conn, ASKER, rid, ScoresIn(scores=[
                {"criterion": "cost", "score": 3, "rationale": "x"}]))
        with pytest.raises(ValidationError, match="less than or equal to 5"):
            ScoresIn(scores=[{"criterion": "cost", "score": 7, "rationale": "cheap"}])
        with pytest.raises(BadRequest, match="1-5, not 7"):  # the service checks it too
            commissioning.score(conn, ASSESSOR, rid, ScoresIn.model_construct(scores=[
                ScoreIn.model_construct(criterion="cost", score=7, rationale="cheap")]))
        with pytest.raises(ValidationError, match="criterion"):
            ScoresIn(scores=[{"criterion": "charm", "score": 3, "rationale": "x"}])
        with pytest.raises(ValidationError, match="rationale"):
            ScoresIn(scores=[{"criterion": "cost", "score": 3, "rationale": "   "}])
        commissioning.score(conn, ASSESSOR, rid, ScoresIn(scores=[
            {"criterion": "strategic_alignment", "score": 5, "rationale": "Race Action Plan priority"}]))
        with pytest.raises(Conflict, match="all 5 criteria"):
            commissioning.decide(conn, ASSESSOR, rid, DecisionIn(decision="approved", category="P1", note="go"))
        out = commissioning.score(conn, ASSESSOR, rid, ScoresIn(scores=[
            {"criterion": c, "score": 4, "rationale": f"{c} judged good"} for c in
            ("capability", "stakeholder_engagement", "feasibility", "cost")]))
        assert out["total"] == 21 and out["suggested_category"] == "P1"
        with pytest.raises(ValidationError, match="category"):
            DecisionIn(decision="approved", note="go")
        out = commissioning.decide(conn, ASSESSOR, rid, DecisionIn(decision="approved", category="P2",
                                                                   note="Approved for Q1, after the census work"))
        assert out["status"] == "approved" and out["category"] == "P2"
        assert [e["event"] for e in out["log"]] == ["submitted"] + ["scored"] * 5 + ["approved"]
        assert out["log"][-1]["actor"] == ASSESSOR.id and "category P2" in out["log"][-1]["note"]
        with pytest.raises(Conflict, match="already decided"):
            commissioning.decide(conn, ASSESSOR, rid, DecisionIn(decision="rejected", note="changed mind"))


def test_a_request_marked_duplicate_points_at_the_original(sqlite_settings: Settings) -> None:
    settings = sqlite_settings  # no SQL here differs between the stores
    with get_engine(settings).begin() as conn:
        a, b, _ = _seed(conn)
        with pytest.raises(ValidationError, match="which request"):
            DecisionIn(decision="duplicate", note="same")
        with pytest.raises(BadRequest, match="which request"):
            commissioning.decide(conn, ASSESSOR, b, DecisionIn(decision="duplicate", duplicate_of=b, note="same"))
        out = commissioning.decide(conn, ASSESSOR, b, DecisionIn(decision="duplicate", duplicate_of=a, note="same"))
        assert out["status"] == "duplicate" and out["duplicate_of"] == a

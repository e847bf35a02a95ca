"""Retention classes, the review queue and its decisions, restriction (step-down) and disposal."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from leds.access.policy import AccessDenied, read_records
from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import records
from leds.errors import BadRequest, Conflict
from leds.records.state import rebuild, state_digest
from leds.retention import review as rv
from leds.retention import rules
from leds.retention.projector import reschedule, schedule_gaps
from leds.retention.rights import place_hold
from leds.retention.tables import retention_schedule

from ..callers import lookup, principal
from ..factories import ingest_files, load, rec, synth_files, ug, wyp_records
from .people import ERASED_PERSON, quixleberry_docs


def _dpo():
    return lookup("data_protection_officer", purpose="data_protection")[0]


def _inputs(data: dict, dataset: str = "crime") -> rules.Inputs:
    return rules.inputs_of("event", dataset, "2025-01-01T00:00:00Z", data)


def test_offences_fall_in_the_mopi_groups() -> None:
    assert (
        rules.classify(_inputs({"kind": "conviction", "offence": "Rape of a woman"})).group == "1"
    )
    assert (
        rules.classify(
            _inputs({"kind": "charge", "offence": "Assault occasioning actual bodily harm"})
        ).group
        == "2"
    )
    assert (
        rules.classify(_inputs({"kind": "arrest", "description": "theft from a shop"})).group == "3"
    )
    assert (
        rules.classify(
            _inputs({"kind": "crime", "status": "undetected", "description": "burglary"})
        ).group
        == "undetected"
    )
    assert rules.classify(_inputs({"kind": "intelligence"}, "intelligence")).group == "intelligence"
    g1 = _inputs({"kind": "conviction", "offence": "murder", "occurred_at": "2020-02-29T10:00:00Z"})
    assert rules.review_date(g1, rules.classify(g1)) == "2030-02-28"


_TEXT = st.text(max_size=40)
_DATA = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.one_of(
            st.none(), _TEXT, st.sampled_from(sorted(rules.OFFENCE_KINDS)), st.integers()
        ),
        "occurred_at": st.one_of(
            _TEXT, st.datetimes().map(lambda d: d.isoformat() + "Z"), st.integers()
        ),
        "offence": st.one_of(_TEXT, st.sampled_from(rules.GROUP1_WORDS + rules.GROUP2_WORDS)),
        "description": _TEXT,
        "status": st.one_of(_TEXT, st.sampled_from(sorted(rules.UNDETECTED))),
        "birth_dates": st.lists(st.one_of(_TEXT, st.dates().map(str)), max_size=3),
    },
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    rtype=st.sampled_from(
        ["person", "event", "location", "vehicle", "marker", "link", "missing_episode"]
    ),
    dataset=st.one_of(
        st.none(), _TEXT, st.sampled_from(["crime", "custody", "intelligence", "missing"])
    ),
    issued=st.datetimes(),
    data=st.one_of(st.none(), _DATA),
)
@example(
    rtype="person", dataset=None, issued=datetime(2020, 2, 29), data={"birth_dates": ["9950-02-28"]}
)
@example(
    rtype="event",
    dataset="crime",
    issued=datetime(9995, 1, 1),
    data={"kind": "arrest", "offence": "murder"},
)
def test_every_record_gets_a_review_group_and_a_valid_date_whatever_its_data(
    rtype, dataset, issued, data
) -> None:
    """The projector's classifier is total: whatever a record holds, it gets a published rule,
    its group and a real date (the 20,000-person sample in bench/bench_retention.py checks a
    store; this checks the inputs a sample may never hold)."""
    from datetime import date

    from leds.retention.projector import COLUMNS, schedule_row

    row = dict(
        zip(
            COLUMNS,
            schedule_row(
                "K", "WYP", rules.inputs_of(rtype, dataset, issued.isoformat() + "Z", data)
            ),
            strict=True,
        )
    )
    assert row["rule"] in rules.RULES and row["review_group"] == rules.RULES[row["rule"]].group
    assert date.fromisoformat(row["review_on"]) and len(row["review_on"]) == 10


def test_every_record_in_a_synthetic_sample_has_a_review_group_and_date(
    tmp_path, sqlite_settings: Settings
) -> None:
    # 1,000 people here (a few seconds); bench/bench_retention.py checks a 20,000-person sample.
    ingest_files(sqlite_settings, synth_files(tmp_path / "synth", 1000, 7))
    engine = get_engine(sqlite_settings)
    with engine.connect() as conn:
        live = conn.execute(
            select(func.count()).select_from(records).where(records.c.deleted.is_(False))
        ).scalar_one()
        unscheduled, blank = schedule_gaps(conn)
        groups = dict(
            conn.execute(
                select(retention_schedule.c.review_group, func.count()).group_by(
                    retention_schedule.c.review_group
                )
            ).all()
        )
    assert live > 1000 and unscheduled == 0 and blank == 0
    assert {"1", "2", "3"} <= set(groups), groups


def test_a_changed_rule_reschedules_what_it_affects(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(sqlite_settings, wyp_records())
    engine = get_engine(sqlite_settings)
    assert reschedule(engine).changed_rule == 0
    old = rules.RULES["NOMINAL"]
    monkeypatch.setitem(
        rules.RULES, "NOMINAL", rules.Rule(old.id, old.group, old.title, 7, old.disposal)
    )
    for module in ("leds.retention.rules", "leds.retention.projector", "leds.retention.review"):
        monkeypatch.setattr(f"{module}.RULES_VERSION", "test-v2")
    done = reschedule(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                retention_schedule.c.rule,
                retention_schedule.c.basis,
                retention_schedule.c.review_on,
                retention_schedule.c.rules_version,
            )
        ).all()
    nominal = [r for r in rows if r.rule == "NOMINAL"]
    assert done.examined == len(rows) and 0 < done.changed_rule == len(nominal) < len(rows)
    assert all(r.review_on == rules.add_years(r.basis, 7) for r in nominal)
    assert {r.rules_version for r in rows} == {"test-v2"}
    assert reschedule(engine).examined == 0


def test_rescheduling_in_sql_gives_what_the_projector_gives_under_the_new_rules(
    settings: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """reschedule() re-classifies in a few set-based statements; its answer must be, row
    for row, what a rebuild (the projector, in Python) gives under the changed rule table:
    every group and rule moved, undetected crime, a 29 February clock, missing fields."""
    from dataclasses import replace

    ingest_files(settings, synth_files(tmp_path / "synth", 150, 11))
    load(
        settings,
        [
            ug(i, r, source="RMS-R")
            for i, r in enumerate(
                [
                    rec(
                        "event",
                        "U-1",
                        {
                            "kind": "crime",
                            "status": "undetected",
                            "occurred_at": "2016-02-29T10:00:00Z",
                            "description": "burglary of a shed",
                        },
                        "crime",
                    ),
                    rec(
                        "event",
                        "U-2",
                        {
                            "kind": "crime",
                            "status": "unsolved",
                            "occurred_at": "2012-05-01T10:00:00Z",
                            "offence": "robbery",
                        },
                        "crime",
                    ),
                    rec(
                        "event",
                        "G-1",
                        {
                            "kind": "conviction",
                            "occurred_at": "2020-02-29T10:00:00Z",
                            "offence": "murder",
                        },
                        "custody",
                    ),
                    rec(
                        "event",
                        "N-1",
                        {"kind": "sighting", "occurred_at": "2019-07-07T10:00:00Z"},
                        "nominal",
                    ),
                ],
                1,
            )
        ],
    )
    engine = get_engine(settings)

    def schedule() -> dict[str, tuple]:
        with engine.connect() as conn:
            return {
                r[0]: tuple(r[1:])
                for r in conn.execute(
                    select(
                        retention_schedule.c.rkey,
                        retention_schedule.c.review_group,
                        retention_schedule.c.rule,
                        retention_schedule.c.review_on,
                        retention_schedule.c.rules_version,
                    )
                )
            }

    before = schedule()
    assert {"UNDETECTED-OTHER", "UNDETECTED-SERIOUS", "G1-PUBLIC-PROTECTION", "NOMINAL"} <= {
        v[1] for v in before.values()
    }
    # Every period one year longer; group 3 offences now in group 2's rule; a new version.
    for k, r in list(rules.RULES.items()):
        monkeypatch.setitem(rules.RULES, k, replace(r, review_years=r.review_years + 1))
    monkeypatch.setitem(rules.RULES, "G3-OTHER", replace(rules.RULES["G2-SERIOUS"], id="G3-OTHER"))
    for module in ("leds.retention.rules", "leds.retention.projector", "leds.retention.review"):
        monkeypatch.setattr(f"{module}.RULES_VERSION", "test-v3")
    done = reschedule(engine)
    after = schedule()
    assert done.examined == len(before) == done.changed_rule
    rebuild(engine)  # the projector, in Python, from the log
    assert schedule() == after
    assert after["WYP|RMS-R|event|G-1"][1:3] == ("G1-PUBLIC-PROTECTION", "2031-02-28")
    assert after["WYP|RMS-R|event|U-1"][1:3] == ("UNDETECTED-OTHER", "2023-02-28")
    assert {v[0] for k, v in after.items() if v[1] == "G3-OTHER"} <= {"2"}


def test_review_decisions_need_a_reason_and_a_role_that_may_review(
    sqlite_settings: Settings,
) -> None:
    load(sqlite_settings, quixleberry_docs())
    engine = get_engine(sqlite_settings)
    with engine.connect() as conn:
        with pytest.raises(BadRequest, match="reason"):
            rv.decide(conn, _dpo(), ERASED_PERSON, "dispose", "  ")
        lk, audit = lookup("investigator", purpose="data_protection")
        with pytest.raises(AccessDenied):
            rv.decide(conn, lk, ERASED_PERSON, "retain", "still wanted")
        assert audit and audit[-1].action == "denied"
        assert rv.review_of(conn, ERASED_PERSON) is None
        out = rv.decide(conn, _dpo(), ERASED_PERSON, "retain", "linked to an open investigation")
        assert out["next_review"] > rv.today()


def _old_arrest(settings: Settings) -> None:
    """An arrest for a bicycle theft in 2001: group 3, due for review on 2007-01-01."""
    load(settings, [ug(1, rec("event", "OLD", {"kind": "arrest", "occurred_at": "2001-01-01T10:00:00Z",
                                                "description": "theft of a bicycle"}, "custody"))])


def test_the_queue_shows_what_is_due_with_the_rule_and_why(sqlite_settings: Settings) -> None:
    _old_arrest(sqlite_settings)
    with get_engine(sqlite_settings).connect() as conn:
        q = rv.queue(conn, lookup("force_data_manager", purpose="data_protection")[0])
        mine = [i for i in q["items"] if i["rkey"] == "WYP|NICHE-RMS|event|OLD"]
        assert mine and mine[0]["review_group"] == "3" and mine[0]["due_on"] == "2007-01-01"
        assert "6-year clear period" in mine[0]["why"]
        other_force = rv.queue(
            conn, lookup("force_data_manager", force="MPS", purpose="data_protection")[0]
        )
        assert other_force["items"] == []


def test_a_restricted_record_is_hidden_from_every_role_but_those_named(
    sqlite_settings: Settings,
) -> None:
    load(sqlite_settings, quixleberry_docs())
    with get_engine(sqlite_settings).connect() as conn:
        rv.decide(conn, _dpo(), ERASED_PERSON, "restrict", "stepped down: no further offending")

        def sees(role: str) -> bool:
            lk, audit = lookup(role, purpose="investigation", reason="OP-1")
            return bool(
                read_records(
                    conn,
                    principal(role),
                    "investigation",
                    reason="OP-1",
                    audit=audit,
                    rkeys=[ERASED_PERSON],
                )
            )

        assert not sees("investigator") and not sees("frontline_officer")
        assert sees("force_data_manager") and sees("data_protection_officer")
        # a step-down is a decision, not a deletion
        assert (
            conn.execute(
                select(func.count()).select_from(records).where(records.c.rkey == ERASED_PERSON)
            ).scalar_one()
            == 1
        )
        rv.decide(conn, _dpo(), ERASED_PERSON, "retain", "risk re-assessed")
        assert sees("investigator")


def test_disposal_runs_what_was_decided_and_a_hold_blocks_it(settings: Settings) -> None:
    load(settings, quixleberry_docs())
    engine = get_engine(settings)
    loc, ev = "WYP|RMS-R|location|A-Q", "WYP|RMS-R|event|EV-Q"
    with engine.connect() as conn:
        rv.decide(conn, _dpo(), loc, "dispose", "no longer necessary")
        place_hold(conn, _dpo(), ev, "Op Nettle", "evidence")
        with pytest.raises(Conflict, match="legal hold"):
            rv.decide(conn, _dpo(), ev, "dispose", "no longer necessary")
    out = rv.run(engine, settings, actor="user:dpo")
    assert (
        out["disposed"] == 1
        and out["receipt"]["records"] == [loc]
        and out["receipt"]["kind"] == "disposal"
    )
    before = state_digest(engine)
    rebuild(engine)
    assert state_digest(engine) == before
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(records).where(records.c.rkey == loc)
            ).scalar_one()
            == 0
        )
    assert rv.run(engine, settings, actor="user:dpo")["disposed"] == 0


def test_the_retention_commands_schedule_review_and_run(sqlite_settings: Settings) -> None:
    import subprocess

    import orjson

    from ..conftest import env_for
    from .test_erasure import LEDS

    _old_arrest(sqlite_settings)
    env = env_for(sqlite_settings)

    def leds(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LEDS, *args], env=env, capture_output=True, text=True)

    sched = leds("retention", "schedule", "--json", "--as-of", "2026-01-01")
    assert sched.returncode == 0, sched.stderr
    out = orjson.loads(sched.stdout)
    assert out["due_now"] == 1 and out["by_date"][0] == {
        "date": "2007-01-01",
        "count": 1,
        "by_group": {"3": 1},
    }
    key = "WYP|NICHE-RMS|event|OLD"
    assert leds("retention", "review", key, "--decision", "dispose").returncode == 2  # no reason
    assert (
        leds(
            "retention", "review", key, "--decision", "dispose", "--reason", "no longer needed"
        ).returncode
        == 0
    )
    run = leds("retention", "run", "--json")
    assert run.returncode == 0 and orjson.loads(run.stdout)["disposed"] == 1
    with get_engine(sqlite_settings).connect() as conn:
        assert conn.execute(select(func.count()).select_from(retention_schedule)).scalar_one() == 0


def test_a_person_due_for_review_shows_the_groups_of_the_offences_linked_to_it(
    sqlite_settings: Settings,
) -> None:
    from ..factories import rec_link

    load(
        sqlite_settings,
        [
            ug(i, r)
            for i, r in enumerate(
                [
                    rec(
                        "person",
                        "P-OLD",
                        {
                            "names": [{"given": ["Abel"], "family": "Oldcastle"}],
                            "birth_dates": ["1950-01-01"],
                        },
                    ),
                    rec(
                        "event",
                        "E-G1",
                        {
                            "kind": "conviction",
                            "occurred_at": "2001-01-01T10:00:00Z",
                            "offence": "rape",
                        },
                        "custody",
                    ),
                    rec_link(
                        "K-G1", ("person", "P-OLD"), ("event", "E-G1"), "convicted", "custody"
                    ),
                ],
                1,
            )
        ],
    )
    with get_engine(sqlite_settings).connect() as conn:
        q = rv.queue(conn, _dpo(), as_of="2040-01-01")
    item = next(i for i in q["items"] if i["rkey"] == "WYP|NICHE-RMS|person|P-OLD")
    assert item["review_group"] == "3" and item["linked_groups"] == {"1": 1}
    assert "group 1 (1): review with them" in item["why"]


def test_the_schedule_survives_migration_0022_down_and_up(settings: Settings, tmp_path) -> None:
    """Migration 0022 folds the classifier's five inputs into ``class_key``; its downgrade
    splits them out again and upgrading again gives back every row as it was."""
    from alembic import command
    from sqlalchemy import text

    from leds.db.migrate import alembic_config

    ingest_files(settings, synth_files(tmp_path / "synth", 60, 5))
    load(settings, [ug(0, rec("event", "U-9", {"kind": "crime", "status": "undetected",
                                                "occurred_at": "2019-03-01T10:00:00Z",
                                                "description": "theft of a bicycle"}, "crime"), source="RMS-U")])
    engine = get_engine(settings)
    cols = ("rkey", "class_key", "basis", "review_group", "rule", "rules_version", "review_on")
    with engine.connect() as conn:
        before = sorted(conn.execute(select(*(retention_schedule.c[c] for c in cols))).all())
    command.downgrade(alembic_config(engine), "0021")
    with engine.connect() as conn:
        old = conn.execute(text("SELECT rtype, dataset, kind, rule FROM retention_schedule "
                                "WHERE rkey LIKE '%|U-9'")).one()
    assert tuple(old) == ("event", "crime", "crime", "UNDETECTED-OTHER")
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        after = sorted(conn.execute(select(*(retention_schedule.c[c] for c in cols))).all())
    assert after == before and len(before) > 60
    assert [r.class_key for r in after if r.rkey.endswith("|U-9")] == ["event|crime|crime|other|1"]


@given(kind=st.one_of(st.none(), st.text(max_size=40)), dataset=st.one_of(st.none(), st.sampled_from(
    ["crime", "missing", "intelligence", "custody"])), oc=st.sampled_from([None, "other", "serious",
                                                                         "public_protection"]), und=st.booleans())
def test_a_class_key_gives_back_what_the_classifier_reads(kind, dataset, oc, und) -> None:
    from leds.retention.projector import class_key, inputs_of_class

    i = rules.Inputs("event", dataset, kind or None, oc, "2020-01-01", und)
    back = inputs_of_class(class_key(i), "2020-01-01")
    assert rules.classify(back) == rules.classify(i)
    assert (back.dataset, back.offence_class, back.undetected) == (dataset, oc, und)

"""The access policy: nothing is returned that the policy denies, on any read path.

A store is filled once with a deliberately diverse population: every combination of
force, dataset, handling and sharing, for people, markers and events.  Hypothesis then
generates principals (roles, force, vetting, entitlements) and queries.  Every read
path is checked against an oracle written here from the published rule table,
independently of the SQL in leds.access.policy.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leds.access import rules
from leds.access.policy import (
    AccessDenied,
    Principal,
    PurposeRequired,
    count_records,
    iter_records,
    read_records,
)
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.standard.codes import HANDLING_ORDER

from ..factories import event, marker, ndjson, person, ug

FORCES = ("WYP", "MPS")
DATASETS = ("nominal", "custody", "intelligence", "case")
SECRET_NAME = "Zanzibar-Quixote"  # appears in every person: must never leak into errors


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("policy") / "home"
    settings = Settings(home=home)
    docs, seq = [], 0
    for force, dataset, handling, sharing in itertools.product(FORCES, DATASETS, HANDLING_ORDER,
                                                              ("force", "national", None)):
        tag = f"{dataset}-{handling}-{sharing}"
        for rec in (person(f"P-{tag}", family=SECRET_NAME, ethnicity_officer="IC1", marks=["scar left cheek"]),
                    marker(f"M-{tag}", f"P-{tag}"),
                    event(f"E-{tag}", kind="intelligence")):
            rec.update(dataset=dataset, handling=handling)
            if sharing:
                rec["sharing"] = sharing
            seq += 1
            docs.append(ug(seq, rec, force=force))
    path = home.parent / "population.ndjson"
    home.mkdir(parents=True)
    path.write_bytes(ndjson(docs))
    ingest_paths(Ingestor(settings), [path])
    truth = {}
    for d in docs:
        r = d["record"]
        rkey = f"{d['force']}|{d['source']}|{r['type']}|{r['ref']}"
        sharing = r.get("sharing") or ("force" if r["dataset"] in rules.FORCE_ONLY_DATASETS else "national")
        truth[rkey] = {"force": d["force"], "dataset": r["dataset"], "handling": r["handling"], "sharing": sharing,
                       "rtype": r["type"], "data": r["data"]}
    yield settings, truth
    dispose_all()


def oracle_visible(p: dict[str, Any], rec: dict[str, Any]) -> bool:
    role_datasets = {d for role in p["roles"] for d in rules.ROLES[role]["datasets"]}
    top = HANDLING_ORDER.index(rules.VETTING[p["vetting"]])
    return (rec["dataset"] in role_datasets and rec["dataset"] in p["datasets"]
            and HANDLING_ORDER.index(rec["handling"]) <= top
            and (rec["force"] == p["force"] or rec["sharing"] == "national"))


def oracle_hidden_fields(p: dict[str, Any], rtype: str) -> set[str]:
    seeing = [r for r in p["roles"] if rules.ROLES[r]["datasets"]]
    if not seeing:
        return set()
    return set.intersection(*[set(rules.REDACTIONS.get(r, {}).get(rtype, ())) for r in seeing])


principals = st.fixed_dictionaries({
    "roles": st.sets(st.sampled_from(sorted(rules.ROLES)), min_size=1, max_size=3),
    "force": st.sampled_from(FORCES),
    "vetting": st.sampled_from(sorted(rules.VETTING)),
    "datasets": st.sets(st.sampled_from(DATASETS + ("missing", "vehicle")), max_size=6),
})


def as_principal(p: dict[str, Any]) -> Principal:
    return Principal(id="user:prop", roles=frozenset(p["roles"]), force=p["force"], vetting=p["vetting"],
                     datasets=frozenset(p["datasets"]))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(p=principals, rtype=st.sampled_from([None, "person", "marker", "event"]),
       purpose=st.sampled_from(sorted(rules.PURPOSES) + ["", "curiosity"]))
def test_read_records_returns_exactly_what_the_policy_allows(population, p, rtype, purpose) -> None:  # type: ignore[no-untyped-def]
    store, truth = population
    principal = as_principal(p)
    audited: list[Any] = []
    reason = "case ref 12/3456"
    allowed_action = "view_record" in principal.actions()
    with get_engine(store).connect() as conn:
        try:
            views = read_records(conn, principal, purpose, reason=reason, audit=audited.append, rtype=rtype,
                                 limit=10_000)
        except PurposeRequired as exc:
            assert purpose not in rules.PURPOSES
            assert SECRET_NAME not in str(exc)
            assert audited and audited[0].action == "denied", "a refusal is audited"
            return
        except AccessDenied as exc:
            assert not allowed_action
            assert SECRET_NAME not in str(exc) and audited[0].action == "denied"
            return
    assert allowed_action and purpose in rules.PURPOSES
    expected = {k for k, rec in truth.items() if oracle_visible(p, rec) and (rtype is None or rec["rtype"] == rtype)}
    assert {v.rkey for v in views} == expected
    for v in views:
        hidden = oracle_hidden_fields(p, v.rtype)
        assert v.data is not None and not (hidden & set(v.data)), f"{hidden & set(v.data)} leaked"
        assert set(v.redacted) == hidden & set(truth[v.rkey]["data"])
    (entry,) = audited
    assert entry.action == "consultation" and set(entry.subjects) == expected and entry.purpose == purpose


@PROPERTY
@given(p=principals, wanted=st.lists(st.integers(0, 500), max_size=20))
def test_asking_for_named_records_never_reveals_hidden_ones(population, p, wanted) -> None:  # type: ignore[no-untyped-def]
    store, truth = population
    principal = as_principal(p)
    keys = sorted(truth)
    asked = [keys[i % len(keys)] for i in wanted] + ["WYP|NICHE-RMS|person|does-not-exist"]
    if "view_record" not in principal.actions():
        return
    with get_engine(store).connect() as conn:
        views = read_records(conn, principal, "incident_response", audit=lambda e: 0, rkeys=asked, limit=10_000)
    assert {v.rkey for v in views} == {k for k in asked if k in truth and oracle_visible(p, truth[k])}


@PROPERTY
@given(p=principals, by=st.sampled_from(["dataset", "rtype", "force"]))
def test_counts_and_facets_count_only_what_may_be_seen(population, p, by) -> None:  # type: ignore[no-untyped-def]
    store, truth = population
    principal = as_principal(p)
    if "search" not in principal.actions():
        with pytest.raises(AccessDenied), get_engine(store).connect() as conn:
            count_records(conn, principal, "investigation", reason="op x", audit=lambda e: 0, by=by)
        return
    with get_engine(store).connect() as conn:
        counts = count_records(conn, principal, "investigation", reason="op x", audit=lambda e: 0, by=by)
    expected: dict[str, int] = {}
    for rec in truth.values():
        if oracle_visible(p, rec):
            expected[rec[by]] = expected.get(rec[by], 0) + 1
    assert counts == expected


def test_a_person_cannot_use_the_bulk_read(population) -> None:  # type: ignore[no-untyped-def]
    store, _ = population
    officer = Principal("user:x", frozenset({"investigator"}), "WYP", "DV", frozenset(DATASETS))
    with get_engine(store).connect() as conn, pytest.raises(AccessDenied):
        next(iter_records(conn, officer, "data_matching", rtype="person"))
    with get_engine(store).connect() as conn, pytest.raises(AccessDenied):
        next(iter_records(conn, Principal.system(), "investigation", rtype="person"))


def test_a_purpose_that_needs_an_explanation_is_refused_without_one(population) -> None:  # type: ignore[no-untyped-def]
    store, _ = population
    officer = Principal("user:x", frozenset({"investigator"}), "WYP", "DV", frozenset(DATASETS))
    audited: list[Any] = []
    with get_engine(store).connect() as conn:
        with pytest.raises(PurposeRequired, match="needs a short explanation"):
            read_records(conn, officer, "investigation", reason="   ", audit=audited.append)
        assert [e.action for e in audited] == ["denied"]
        assert read_records(conn, officer, "investigation", reason="crime 44/123", audit=audited.append, limit=1)


def test_a_read_by_a_person_without_an_audit_sink_is_refused(population) -> None:  # type: ignore[no-untyped-def]
    store, _ = population
    officer = Principal("user:x", frozenset({"investigator"}), "WYP", "DV", frozenset(DATASETS))
    with get_engine(store).connect() as conn, pytest.raises(AccessDenied, match="audited"):
        read_records(conn, officer, "incident_response")


def test_new_account_without_entitlements_sees_nothing(population) -> None:  # type: ignore[no-untyped-def]
    store, _ = population
    officer = Principal("user:x", frozenset({"frontline_officer"}), "WYP", "DV", frozenset())
    with get_engine(store).connect() as conn:
        assert read_records(conn, officer, "incident_response", audit=lambda e: 0) == []


def test_published_matrix_in_docs_matches_the_rules() -> None:
    from leds.access.matrix import markdown_matrix

    doc = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text()
    assert markdown_matrix() in doc, "docs/access.md is out of date: run 'leds access matrix --markdown'"


def test_redacted_data_is_a_copy(population) -> None:  # type: ignore[no-untyped-def]
    store, truth = population
    room = Principal("user:cr", frozenset({"control_room"}), "WYP", "DV", frozenset(DATASETS))
    with get_engine(store).connect() as conn:
        (v,) = read_records(conn, room, "incident_response", action="view_person", audit=lambda e: 0,
                            rtype="person", limit=1)
    assert "ethnicity_officer" not in v.data and "marks" not in v.data
    assert orjson.loads(orjson.dumps(truth[v.rkey]["data"]))["ethnicity_officer"] == "IC1"

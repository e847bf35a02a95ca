"""Matching: national person ids, judgements, identity log, real-time vs batch, errors."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from leds.cli import app
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor, ingest_paths
from leds.matching import run_demo_matching, store
from leds.matching.batch import MatchError, run_match
from leds.matching.clusters import (
    UNSUPPORTED_UNDATED,
    ambiguous,
    cluster,
    conflict,
    succeed,
    unsupported_undated,
)
from leds.matching.comparisons import COMPARISONS, TF_MINIMUM_U, TF_WEIGHT, block_keys, lookup_keys
from leds.matching.engine import Backend, arrow_table, predict, term_frequencies
from leds.matching.evaluate import one_to_one
from leds.matching.explain import explain_pair, explain_person
from leds.matching.features import columns_of, load_features, person_features
from leds.matching.judge import judge
from leds.matching.model import (
    FULL_NAME,
    MatchModel,
    ModelError,
    choose_threshold,
    full_name_penalties,
    full_name_people,
    shared_full_names,
)
from leds.matching.tables import identity_log

from ..factories import ingest_files, ndjson, person, synth_files, ug


def _log(settings: Settings, kind: str) -> list[dict]:
    with get_engine(settings).connect() as conn:
        return [dict(r) for r in conn.execute(select(identity_log).where(identity_log.c.kind == kind)).mappings()]


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory):
    """600 synthetic persons, ingested into SQLite and matched once (model trained)."""
    base = tmp_path_factory.mktemp("matched")
    settings = Settings(home=base / "home")
    ingest_files(settings, synth_files(base / "synth", 600, 11))
    res = run_match(settings)
    yield settings, res, base
    dispose_all()


# -- pure functions ---------------------------------------------------------------------------
def test_not_same_propagates_transitively_and_beats_the_model() -> None:
    pairs = [("a", "b", 20.0), ("b", "c", 20.0), ("a", "c", 20.0)]
    merged = cluster("abc", pairs, 10.0, {}, {})
    assert sorted(merged.members.values()) == [["a", "b", "c"]]
    # a != b and b = c (judged) means a != c, even though the model links a-c strongly.
    judged = cluster("abc", pairs, 10.0, {("a", "b"): "not-same", ("b", "c"): "same"}, {})
    assert sorted(judged.members.values()) == [["a"], ["b", "c"]]
    assert any(r.reason == "judged not-same" for r in judged.refused)


def test_two_pnc_ids_never_share_a_cluster_without_a_judgement() -> None:
    pnc = {"a": "2001/1A", "b": None, "c": "2002/2B"}
    res = cluster("abc", [("a", "b", 30.0), ("b", "c", 25.0)], 10.0, {}, pnc)
    assert sorted(res.members.values()) == [["a", "b"], ["c"]]
    forced = cluster("abc", [("a", "b", 30.0), ("b", "c", 25.0)], 10.0, {("a", "c"): "same"}, pnc)
    assert sorted(forced.members.values()) == [["a", "b", "c"]]


def test_ids_pass_to_the_successor_with_the_largest_overlap() -> None:
    old = {"a": "NP-1", "b": "NP-1", "c": "NP-1", "d": "NP-2"}
    assign, events = succeed(old, [["a", "b"], ["c", "d"], ["e"]])
    assert assign["a"] == assign["b"] == "NP-1"
    assert assign["c"] == assign["d"] == "NP-2"
    kinds = {e.kind: e for e in events}
    assert kinds["split"].person_ids[0] == "NP-1" and kinds["split"].rkeys == ["a", "b", "c"]
    assert kinds["merge"].person_ids == ["NP-2", "NP-1"]
    assert kinds["new"].rkeys == ["e"] and assign["e"].startswith("NP-") and len(assign["e"]) == 13


def _person(rkey: str, given: str, family: str, dob: str | None, *, sex: str = "M", pnc: str | None = None,
            addr: str | None = "u1", height: int | None = None) -> dict:
    data: dict = {"names": [{"given": [given], "family": family}], "birth_dates": [dob] if dob else [], "sex": sex,
                  "pnc_id": pnc, "height_cm": height}
    return person_features(rkey, "WYP", "TEST", rkey, data, ("LS11AA", addr))


def test_father_and_son_twins_and_sexes_are_kept_apart_unless_a_pnc_id_is_shared() -> None:
    son = _person("s", "John", "Smith", "1990-03-04")
    son2 = _person("s2", "John", "Smith", None)
    father = _person("f", "John", "Smith", "1962-07-01")
    assert conflict([son], [father]) == "dates of birth more than two years apart"
    # a chain of plausible links (son = undated record = father) is refused at the cluster level
    res = cluster(["s", "s2", "f"], [("s", "s2", 20.0), ("f", "s2", 19.0)], 12.0, {}, {},
                  {"s": son, "s2": son2, "f": father})
    assert sorted(res.members.values()) == [["f"], ["s"], ["s2"]] or sorted(res.members.values()) == [["f"], ["s", "s2"]]
    assert any("ambiguous" in r.reason or "two years" in r.reason for r in res.refused)
    # a day/month transposition, a year a digit-swap away and one year out are not conflicts
    assert conflict([son], [_person("x", "John", "Smith", "1990-04-03")]) is None
    assert conflict([son], [_person("x", "John", "Smith", "1909-03-04")]) is None
    assert conflict([son], [_person("x", "John", "Smith", "1991-03-04")]) is None
    twin_a = _person("a", "Karim", "Ismail", "1998-02-10")
    twin_b = _person("b", "Rizwan", "Ismail", "1998-02-10")
    assert conflict([twin_a], [twin_b]) == "same date of birth and address, different forenames (twins?)"
    assert conflict([_person("a", "Rob", "Ismail", "1998-02-10")], [_person("b", "Robert", "Ismail", "1998-02-10")]) is None
    assert conflict([son], [_person("w", "John", "Smith", "1990-03-04", sex="F")]) == "different sexes"
    # strong evidence (the same PNC ID) overrides
    assert conflict([_person("s", "John", "Smith", "1990-03-04", pnc="90/1A")],
                    [_person("f", "John", "Smith", "1962-07-01", pnc="90/1A")]) is None
    # an undated record that fits both father and son is linked to neither
    assert ambiguous(son2, [son, father])
    assert not ambiguous(son2, [son, _person("s3", "John", "Smith", "1990-03-04")])


def test_one_to_one_linking_and_a_threshold_chosen_on_the_model() -> None:
    links = {("A1", "B1"): 30.0, ("A1", "B2"): 5.0, ("A2", "B2"): 20.0, ("A3", "B1"): 10.0}
    assert one_to_one(links) == {("A1", "B1"), ("A2", "B2")}
    # mean match probability of the pairs kept stays at or above the target
    assert choose_threshold([30.0, 20.0, 10.0, 0.0, -10.0], 0.8) == 0.0
    assert choose_threshold([30.0, 20.0, 10.0, 0.0, -10.0], 0.99) == 10.0
    assert choose_threshold([30.0, 20.0, 10.0], 0.99, floor=12.0) == 12.0


# -- the batch run -----------------------------------------------------------------------------
def test_python_scores_equal_splink_scores(matched) -> None:
    settings, _res, _ = matched
    with get_engine(settings).connect() as conn:
        rows = load_features(conn)
        model = store.model_from_db(conn, store.current_model_version(conn) or 0)
    backend = Backend("duckdb")
    raw = predict(backend, backend.register("t", arrow_table(columns_of(rows))), model.splink, -1000.0,
                  tf=model.term_frequencies)
    by = {r["unique_id"]: r for r in rows}
    # Splink's weights with the full-name penalty, which Splink does not know, applied.
    pairs = model.adjust(raw, by, -1000.0)
    penalised = [(a, b, w) for (a, b, w), (_a, _b, w0) in zip(pairs, raw, strict=True) if w != w0]
    assert model.full_names and penalised
    sample = random.Random(1).sample(pairs, min(2000, len(pairs))) + penalised[:200]
    assert len(sample) > 500
    for a, b, w in sample:
        assert model.score(by[a], by[b]) == pytest.approx(w, abs=1e-6), (a, b)


def test_features_read_in_two_processes_equal_those_read_in_one(matched) -> None:
    settings, _res, _ = matched
    with get_engine(settings).connect() as conn:
        serial = load_features(conn)
        parallel = load_features(conn, parallel=True)
    assert [json.dumps(r) for r in parallel] == [json.dumps(r) for r in serial]
    assert sum(1 for r in serial if r["postcode"]) > len(serial) // 3


def test_a_rerun_over_an_unchanged_store_rewrites_no_row(matched) -> None:
    settings, _res, _ = matched
    run_match(settings)
    again = run_match(settings)
    assert again.written == {"inserted": 0, "updated": 0, "deleted": 0, "keys_inserted": 0, "keys_deleted": 0}
    with get_engine(settings).connect() as conn:
        rows = conn.execute(select(store.match_keys.c.key, store.match_keys.c.rkey)).all()  # type: ignore[attr-defined]
        feats = store.features_of(conn, store.assignments(conn))
    from leds.matching.comparisons import block_keys

    assert sorted(rows) == sorted((k, r) for r, f in feats.items() for k in block_keys(f))


def test_common_names_weigh_less_with_the_same_term_frequencies_in_python_and_splink(matched) -> None:
    settings, _res, _ = matched
    with get_engine(settings).connect() as conn:
        rows = load_features(conn)
        model = store.model_from_db(conn, store.current_model_version(conn) or 0)
    assert model.term_frequencies == term_frequencies(rows)  # saved with the model
    sn = model.term_frequencies["sn"]
    common, rare = max(sn, key=lambda v: (sn[v], v)), min(sn, key=lambda v: (sn[v], v))
    a, b = _person("a", "Zak", "X", "1980-01-01", addr=None), _person("b", "Zak", "X", "1980-01-01", addr=None)
    for r in (a, b):
        r.update(sn=common, sn1=common[0], family_all=[common], sn_groups=None)
    w_common = model.score(a, b)
    for r in (a, b):
        r.update(sn=rare, sn1=rare[0], family_all=[rare], sn_groups=None)
    w_rare = model.score(a, b)
    # A name is believed no rarer than TF_MINIMUM_U (this store's rarest surname is rarer).
    assert sn[rare] < TF_MINIMUM_U < sn[common]
    assert w_rare - w_common == pytest.approx(TF_WEIGHT * math.log2(sn[common] / TF_MINIMUM_U))
    assert w_rare > w_common
    # Splink gives the very same weights (term frequencies registered from the model)
    backend = Backend("duckdb")
    got = predict(backend, backend.register("tf_pair", arrow_table(columns_of([a, b]))), model.splink, -1000.0,
                  tf=model.term_frequencies)
    assert got and got[0][2] == pytest.approx(w_rare, abs=1e-6)


def test_a_model_saved_with_term_frequency_weight_1_scores_as_it_did_in_python_and_splink(matched) -> None:
    settings, _res, _ = matched
    with get_engine(settings).connect() as conn:
        rows = load_features(conn)
        model = store.model_from_db(conn, store.current_model_version(conn) or 0)
    doc = json.loads(json.dumps(model.to_json()))
    del doc["full_names"], doc["shared_full_names"]  # saved before the full-name rules, as well
    for comp in doc["splink"]["comparisons"]:  # as saved before fuzzy levels had an adjustment
        for level in comp["comparison_levels"]:
            if level.get("tf_adjustment_column"):
                del level["tf_minimum_u_value"]  # no least frequency then either
                if level["label_for_charts"] == "exact":
                    level["tf_adjustment_weight"] = 1.0
                else:
                    del level["tf_adjustment_column"], level["tf_adjustment_weight"]
    old = MatchModel.from_json(doc)
    assert old.full_names is None and old.shared_names is None
    sn = old.term_frequencies["sn"]
    common, rare = max(sn, key=lambda v: (sn[v], v)), min(sn, key=lambda v: (sn[v], v))
    def pair(surname: str) -> tuple[dict, dict]:
        a, b = _person("a", "Zak", "X", "1980-01-01", addr=None), _person("b", "Zak", "X", "1980-01-01", addr=None)
        for r in (a, b):
            r.update(sn=surname, sn1=surname[0], family_all=[surname], sn_groups=None)
        return a, b

    assert old.score(*pair(rare)) - old.score(*pair(common)) == pytest.approx(math.log2(sn[common] / sn[rare]))
    backend = Backend("duckdb")
    pairs = predict(backend, backend.register("old_tf", arrow_table(columns_of(rows))), old.splink, -1000.0,
                    tf=old.term_frequencies)
    by = {r["unique_id"]: r for r in rows}
    for x, y, w in random.Random(2).sample(pairs, min(500, len(pairs))):
        assert old.score(by[x], by[y]) == pytest.approx(w, abs=1e-6), (x, y)


def test_swapped_names_sharing_a_middle_name_are_not_taken_for_twins() -> None:
    a = person_features("a", "WYP", "TEST", "a", {"names": [{"given": ["Angus", "Brown"], "family": "Brown"}],
                                                  "birth_dates": ["1990-03-04"]}, ("LS11AA", "u1"))
    b = person_features("b", "WYP", "TEST", "b", {"names": [{"given": ["Brown"], "family": "Angus"}],
                                                  "birth_dates": ["1990-03-04"]}, ("LS11AA", "u1"))
    assert conflict([a], [b]) is None
    twin = person_features("t", "WYP", "TEST", "t", {"names": [{"given": ["Brown"], "family": "Brown"}],
                                                     "birth_dates": ["1990-03-04"]}, ("LS11AA", "u1"))
    assert conflict([a], [twin]) == "same date of birth and address, different forenames (twins?)"


def test_one_name_crossing_is_not_the_same_first_name() -> None:
    """At one address and date of birth, a record whose forename is the other's surname is
    one person only if the names that do not cross are one name too: "Kaur Jasbir" (Jasbir
    Kaur, her names swapped) and "Harpreet Kaur" are twins; "Smith William" is Bill Smith."""
    def rec(key: str, given: str, family: str) -> dict:
        return person_features(key, "WYP", "TEST", key, {"names": [{"given": [given], "family": family}],
                                                         "birth_dates": ["1968-10-30"]}, ("LS11AA", "u1"))
    twins = "same date of birth and address, different forenames (twins?)"
    assert conflict([rec("a", "Kaur", "Jasbir")], [rec("b", "Harpreet", "Kaur")]) == twins
    assert conflict([rec("a", "Thomas", "Thomas")], [rec("b", "Louise", "Thomas")]) == twins
    assert conflict([rec("a", "Smith", "William")], [rec("b", "Bill", "Smith")]) is None  # a nickname
    assert conflict([rec("a", "Smith", "Wiliam")], [rec("b", "William", "Smith")]) is None  # a keying slip
    assert conflict([rec("a", "Kaur", "Jasbir")], [rec("b", "Jasbir", "Kaur")]) is None  # both cross


def test_a_mark_in_common_is_not_taken_for_twins() -> None:
    """Twins do not carry the same tattoo: two records at one address, born the same day,
    whose first names differ beyond the forename levels (two keying slips, a swap with a
    variant) but which list a mark in common are not refused as twins."""
    def rec(key: str, given: str, marks: list[str]) -> dict:
        return person_features(key, "WYP", "TEST", key, {"names": [{"given": [given], "family": "Watson"}],
                                                         "birth_dates": ["2002-11-08"], "marks": marks},
                               ("CF408LE", "u1"))
    a = rec("a", "Cbristopher", ["Tattoo, right wrist: swallow"])
    b = rec("b", "Christophre", ["tattoo right wrist swallow", "scar chin"])
    assert conflict([a], [b]) is None
    # the rule still holds without a mark in common: none listed, or different ones
    twins = "same date of birth and address, different forenames (twins?)"
    assert conflict([rec("a", "Cbristopher", [])], [rec("b", "Christophre", [])]) == twins
    assert conflict([a], [rec("b", "Christophre", ["scar chin"])]) == twins


def _blocked(a: dict, b: dict) -> bool:
    """Would the blocking rules pair a and b (as the real-time matcher looks them up)?"""
    return bool(set(lookup_keys(a)) & set(block_keys(b)) or set(lookup_keys(b)) & set(block_keys(a)))


def _bare(rkey: str, given: str, family: str, dob: str | None) -> dict:
    """A person record with names and a date of birth only (no address, no other evidence)."""
    return person_features(rkey, "WYP", "TEST", rkey, {"names": [{"given": [given], "family": family}],
                                                      "birth_dates": [dob] if dob else []})


def test_blocking_finds_the_variations_that_the_first_rules_missed() -> None:
    base = _bare("a", "Thomas", "Gardiner", "1967-07-15")
    # names swapped (and a short form): the same date of birth and the same two initials
    assert _blocked(base, _bare("b", "Gardiner", "Tom", "1967-07-15"))
    # day and month transposed, with a keying slip in the surname
    assert _blocked(_bare("c", "Sarah", "Brwon", "2008-10-12"),
                    _bare("d", "Sarah", "Brown", "2008-12-10"))
    # year out by one, with a short form of the forename or a spelling of the surname
    assert _blocked(_bare("e", "Abdallah", "Khan", "1996-03-17"),
                    _bare("f", "Abdullah", "Khan", "1997-03-17"))
    assert _blocked(_bare("g", "Mhairi", "Clark", "1989-07-18"),
                    _bare("h", "Mhairi", "Clarke", "1988-07-18"))
    # an undated record with a short form of the forename, or a spelling of the surname
    assert _blocked(_bare("i", "Davy", "Turner", None), _bare("j", "David", "Turner", "1998-10-24"))
    assert _blocked(_bare("k", "Michael", "Davies", None),
                    _bare("m", "Michael", "Davis", "2019-12-07"))
    # and still not every dated John Smith with every other
    assert not _blocked(_bare("n", "John", "Smith", "1990-03-04"),
                        _bare("p", "John", "Smith", "1971-11-30"))


def test_a_shared_mark_and_the_same_height_are_evidence() -> None:
    a = person_features("a", "WYP", "TEST", "a", {"names": [{"given": ["Ann"], "family": "Lee"}],
                                                  "height_cm": 165, "marks": ["Tattoo, LEFT forearm:  rose", "scar chin"]})
    b = person_features("b", "MPS", "TEST", "b", {"names": [{"given": ["Ann"], "family": "Lee"}],
                                                  "height_cm": 165, "marks": ["tattoo left forearm rose"]})
    c = person_features("c", "MPS", "TEST", "c", {"names": [{"given": ["Ann"], "family": "Lee"}],
                                                  "height_cm": 168, "marks": ["mole left cheek"]})
    assert a["marks"] == ["scar chin", "tattoo left forearm rose"]
    marks = next(x for x in COMPARISONS if x.name == "marks")
    height = next(x for x in COMPARISONS if x.name == "height")
    assert marks.levels[marks.level_of(a, b)].label == "a mark in common"
    assert marks.levels[marks.level_of(a, c)].label == "else"
    assert marks.levels[marks.level_of(a, _person("d", "Ann", "Lee", None))].is_null
    assert height.levels[height.level_of(a, b)].label == "same height"
    assert height.levels[height.level_of(a, c)].label == "within 4 cm"


def test_full_names_commoner_than_their_parts_are_penalised_counting_people_by_date_of_birth() -> None:
    rows = [_bare(f"k{i}", "Ali", "Khan", f"19{60 + i}-01-01") for i in range(4)]  # four people
    letters = "abcdefghijklmnopqrst"  # names are folded to letters only
    rows += [_bare(f"a{i}", "Ali", f"Other{letters[i]}", "1970-01-01") for i in range(4)]
    rows += [_bare(f"s{i}", f"Sam{letters[i]}", "Khan", "1971-01-01") for i in range(4)]
    rows += [_bare(f"j{i}", "Jo", "Rare", "1980-05-05") for i in range(5)]  # one person, recorded five times
    rows += [_bare(f"u{i}", "Ali", "Khan", None) for i in range(3)]  # undated: not counted
    rows += [_bare(f"x{i}", f"Name{c}", f"Family{c}", "1990-01-01") for i, c in enumerate(letters)]
    got = full_name_penalties(full_name_people(rows))
    people = 4 + 4 + 4 + 1 + 20
    assert got == {"ali|khan": pytest.approx(math.log2(8 * 8 / people / 4), abs=1e-4)}
    assert got["ali|khan"] < 0
    assert full_name_penalties(full_name_people([])) == {}


def test_the_full_name_penalty_applies_when_both_names_agree_in_score_explanation_and_batch(matched) -> None:
    settings, _, _ = matched
    with get_engine(settings).connect() as conn:
        model = store.model_from_db(conn, store.current_model_version(conn) or 0)
    plain = MatchModel.from_json({**model.to_json(), "full_names": None})
    model = MatchModel.from_json({**model.to_json(), "full_names": {"ali|khan": -3.0, "aly|khan": -1.0}})
    a, b = _person("a", "Ali", "Khan", "1980-01-01"), _person("b", "Ali", "Khan", "1980-01-01")
    assert model.score(a, b) == pytest.approx(plain.score(a, b) - 3.0)
    out = model.explain(a, b)
    assert out["comparisons"][-1]["comparison"] == FULL_NAME and out["comparisons"][-1]["match_weight"] == -3.0
    assert out["match_weight"] == pytest.approx(out["prior_weight"] + sum(c["match_weight"] for c in out["comparisons"]))
    assert FULL_NAME not in {c["comparison"] for c in plain.explain(a, b)["comparisons"]}
    # A keying slip still agrees: the smaller of the two penalties.
    c = _person("c", "Aly", "Khan", "1980-01-01")
    assert model.score(a, c) == pytest.approx(plain.score(a, c) - 1.0)
    # Names that disagree, or a full name with no penalty on one side: none.
    for other in (_person("d", "Zed", "Khan", "1980-01-01"), _person("e", "Ali", "Kahn", "1980-01-01"),
                  _person("f", "Ali", "Smith", "1980-01-01")):
        assert model.score(a, other) == pytest.approx(plain.score(a, other)), other["unique_id"]
    rows = {"a": a, "b": b, "c": c}
    w = plain.score(a, b)
    assert model.adjust([("a", "b", w), ("a", "c", 50.0)], rows, w - 2.0) == [("a", "c", pytest.approx(49.0))]
    # Saved and read back; a damaged table is a clear error.
    again = MatchModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.full_names == {"ali|khan": -3.0, "aly|khan": -1.0}
    assert again.shared_names and again.shared_names == model.shared_names
    with pytest.raises(ModelError, match="full_names"):
        MatchModel.from_json({**model.to_json(), "full_names": {"ali|khan": 2.0}})
    with pytest.raises(ModelError, match="shared_full_names"):
        MatchModel.from_json({**model.to_json(), "shared_full_names": "ali|khan"})


def test_an_undated_record_with_a_name_several_people_carry_links_only_with_something_else_in_common() -> None:
    rows = [_bare("p1", "Holly", "Long", "1991-03-23"), _bare("p1b", "Holly", "Long", "1991-03-23"),
            _bare("p2", "Holly", "Long", "1960-01-02"), _bare("u", "Holly", "Long", None),
            _bare("r", "Rhiannon", "Zabłocka", "1980-01-01"), _bare("ru", "Rhiannon", "Zabłocka", None)]
    shared = shared_full_names(full_name_people(rows))
    assert shared == ["holly|long"]  # two people (two dates of birth); one person recorded twice is one
    by = {r["unique_id"]: r for r in rows}
    assert unsupported_undated(by["u"], by["p1"], shared)
    assert not unsupported_undated(by["p1"], by["p1b"], shared)  # both dated
    assert not unsupported_undated(by["ru"], by["r"], shared)  # a name one person carries
    assert not unsupported_undated(by["u"], by["p1"], None)  # a model saved before the rule
    for col, value in (("addr", "12 high st|LS11AA"), ("pnc", "2001/0000001A"), ("cro", "000001/01A"),
                       ("marks", ["tattooleftarmrose"])):
        x, y = dict(by["u"], **{col: value}), dict(by["p1"], **{col: value})
        assert not unsupported_undated(x, y, shared), col
    # In clustering: refused and sent for review, unless a person judged the pair the same.
    res = cluster(["u", "p1"], [("p1", "u", 30.0)], 9.0, {}, {}, by, shared_names=shared)
    assert sorted(res.members.values()) == [["p1"], ["u"]]
    assert [r.reason for r in res.refused] == [UNSUPPORTED_UNDATED]
    res = cluster(["u", "p1"], [("p1", "u", 30.0)], 9.0, {("p1", "u"): "same"}, {}, by, shared_names=shared)
    assert sorted(res.members.values()) == [["p1", "u"]]
    res = cluster(["u", "p1"], [("p1", "u", 30.0)], 9.0, {}, {}, by)
    assert sorted(res.members.values()) == [["p1", "u"]]


def test_a_level_em_never_saw_carries_no_evidence() -> None:
    from leds.matching.model import fill_unobserved

    doc = {"comparisons": [{"comparison_levels": [
        {"is_null_level": True},
        {"m_probability": "level not observed in training dataset", "u_probability": 0.002},
        {"m_probability": 0.5, "u_probability": 0.9}]}]}
    levels = fill_unobserved(doc)["comparisons"][0]["comparison_levels"]
    assert levels[1]["m_probability"] == levels[1]["u_probability"] == 0.002
    assert levels[2]["m_probability"] == 0.5


def test_features_stored_by_an_earlier_version_read_with_the_newer_columns_empty(matched) -> None:
    settings, _res, _base = matched
    from leds.matching.features import FEATURE_COLUMNS
    from leds.matching.model import latest_model_path
    from leds.matching.tables import person_ids

    engine = get_engine(settings)
    with engine.connect() as conn:
        rkey, doc = conn.execute(select(person_ids.c.rkey, person_ids.c.features).limit(1)).one()
    old = {k: v for k, v in json.loads(doc).items() if k not in ("marks", "dob_unordered", "initials")}
    try:
        with engine.begin() as conn:
            conn.execute(person_ids.update().where(person_ids.c.rkey == rkey).values(features=json.dumps(old)))
        with engine.connect() as conn:
            row = store.features_of(conn, [rkey])[rkey]
        assert set(row) == set(FEATURE_COLUMNS) and row["marks"] is None and row["initials"] is None
        model = MatchModel.load(latest_model_path(settings))  # type: ignore[arg-type]
        assert math.isfinite(model.score(row, row))
    finally:
        with engine.begin() as conn:
            conn.execute(person_ids.update().where(person_ids.c.rkey == rkey).values(features=doc))


def test_twins_and_father_and_son_are_not_merged_on_a_generated_sample(matched) -> None:
    settings, _res, base = matched
    with get_engine(settings).connect() as conn:
        assign = store.assignments(conn)
        feats = store.features_of(conn, list(assign))
    with (base / "synth" / "truth.csv").open() as f:
        truth = {f"{r['force']}|{r['source']}|person|{r['ref']}": r["true_person_id"] for r in csv.DictReader(f)}
    with (base / "synth" / "hard_negatives.csv").open() as f:
        hard = [(r["true_person_id_a"], r["true_person_id_b"]) for r in csv.DictReader(f)
                if r["kind"] in ("twin", "jr_sr")]
    records: dict[str, list[str]] = {}
    for r in assign:
        records.setdefault(truth[r], []).append(r)
    checked = merged = 0
    for a, b in hard:
        for x in records.get(a, []):
            for y in records.get(b, []):
                # dated records (an undated record at the family address fits both: see docs)
                if feats[x]["dob"] and feats[y]["dob"]:
                    checked += 1
                    shared_pnc = feats[x]["pnc"] and feats[x]["pnc"] == feats[y]["pnc"]
                    merged += assign[x] == assign[y] and not shared_pnc
    assert checked > 10 and merged == 0


def test_every_person_record_gets_an_id_and_the_run_is_logged(matched) -> None:
    settings, res, _ = matched
    out = CliRunner().invoke(app, ["clusters", "export", "--format", "csv"], env={"LEDS_HOME": str(settings.home)})
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == res.records and all(r["person_id"].startswith("NP-") for r in rows)
    assert len({r["person_id"] for r in rows}) == res.clusters < res.records
    assert res.model_path and Path(res.model_path).exists()


def members_by_person(settings: Settings) -> dict[str, list[str]]:
    """National person id -> its record keys."""
    with get_engine(settings).connect() as conn:
        assign = store.assignments(conn)
    by_pid: dict[str, list[str]] = {}
    for r, p in assign.items():
        by_pid.setdefault(p, []).append(r)
    return by_pid


def test_explanation_adds_up_to_the_match_weight(matched) -> None:
    settings, _, _ = matched
    by_pid = members_by_person(settings)
    pid, members = next((p, m) for p, m in sorted(by_pid.items()) if len(m) >= 2)
    out = explain_pair(settings, members[0], members[1])
    assert out["match_weight"] == pytest.approx(out["prior_weight"] + sum(c["match_weight"] for c in out["comparisons"]))
    assert out["conflict"] is None  # records of one person never conflict (see clusters.conflict)
    assert {c["comparison"] for c in out["comparisons"]} >= {"forename", "surname", "dob", "pnc", "address"}
    person = explain_person(settings, pid)
    assert {r["rkey"] for r in person["records"]} == set(members)
    assert any(p["linked"] for p in person["pairs"])


def test_ids_are_stable_when_an_unrelated_record_is_added(matched) -> None:
    settings, _, base = matched
    with get_engine(settings).connect() as conn:
        before = store.assignments(conn)
    line = {"updategram": "1", "force": "WYP", "source": "TEST-UNRELATED", "sequence": 1,
            "issued_at": "2025-06-01T00:00:00Z", "op": "upsert",
            "record": {"type": "person", "ref": "X1", "dataset": "nominal", "handling": "OFFICIAL",
                       "data": {"names": [{"given": ["Zebedee"], "family": "Quixotelake"}],
                                "birth_dates": ["1971-02-03"], "sex": "M"}}}
    path = base / "unrelated.ndjson"
    path.write_text(json.dumps(line) + "\n")
    ingest_files(settings, [path])
    res = run_match(settings)
    assert not res.trained
    with get_engine(settings).connect() as conn:
        after = store.assignments(conn)
    assert {r: after[r] for r in before} == before
    new = after["WYP|TEST-UNRELATED|person|X1"]
    assert new not in set(before.values())


def test_not_same_judgement_splits_a_person_and_survives_a_full_rerun(matched) -> None:
    settings, _, _ = matched
    by_pid = members_by_person(settings)
    pid, members = next((p, sorted(m)) for p, m in sorted(by_pid.items()) if len(m) == 2)
    a, b = members
    res = judge(settings, a, b, "not-same", "DC Test", "different custody photographs")
    assert [e.kind for e in res.events] == ["split"]
    with get_engine(settings).connect() as conn:
        now = store.assignments(conn, [a, b])
    assert now[a] != now[b] and pid in now.values()
    splits = [e for e in _log(settings, "split") if e["judgement_id"] == res.judgement_id]
    assert splits and json.loads(splits[0]["person_ids"])[0] == pid
    run_match(settings)  # full re-run: the model would merge them again, the judgement wins
    with get_engine(settings).connect() as conn:
        again = store.assignments(conn, [a, b])
    assert again[a] != again[b]
    assert explain_pair(settings, a, b)["decision"] == "not-same"


def test_same_judgement_merges_two_persons_and_is_logged(matched) -> None:
    settings, _, _ = matched
    with get_engine(settings).connect() as conn:
        assign = store.assignments(conn)
    singles = sorted(r for r, p in assign.items() if list(assign.values()).count(p) == 1)[:2]
    a, b = singles
    res = judge(settings, a, b, "same", "DS Test", "same custody photograph")
    assert [e.kind for e in res.events] == ["merge"]
    with get_engine(settings).connect() as conn:
        now = store.assignments(conn, [a, b])
    assert now[a] == now[b]
    run_match(settings)
    with get_engine(settings).connect() as conn:
        again = store.assignments(conn, [a, b])
    assert again[a] == again[b]


def test_bad_model_file_and_empty_store_give_clear_errors(tmp_path: Path, sqlite_settings: Settings) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match="cannot read model file"):
        run_match(sqlite_settings, model_path=bad)
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ModelError, match="not a leds person model"):
        run_match(sqlite_settings, model_path=bad)
    with pytest.raises(ModelError, match="no model file"):
        MatchModel.load(tmp_path / "missing.json")
    with pytest.raises(MatchError, match="no person records"):
        run_match(sqlite_settings)
    out = CliRunner().invoke(app, ["match"], env={"LEDS_HOME": str(sqlite_settings.home)})
    assert out.exit_code == 2 and "no person records" in out.output


# -- real time ---------------------------------------------------------------------------------
def _hold_out(paths: list[Path], out: Path, share: float, seed: int) -> tuple[list[Path], Path]:
    """Split updategram files: a random share of person records, with their resides_at links
    and those locations, go to one held-out file ingested after the batch run."""
    rnd = random.Random(seed)
    kept_dir = out / "kept"
    kept_dir.mkdir(parents=True)
    held: list[bytes] = []
    kept: list[Path] = []
    for p in paths:
        lines = p.read_bytes().splitlines()
        docs = [json.loads(x) for x in lines]
        chosen = {d["record"]["ref"] for d in docs if d["record"]["type"] == "person" and "data" in d["record"]
                  and rnd.random() < share}
        locs = {d["record"]["data"]["to"]["ref"] for d in docs if d["record"]["type"] == "link" and "data" in d["record"]
                and d["record"]["data"]["role"] == "resides_at" and d["record"]["data"]["from"]["ref"] in chosen}
        keep = []
        for raw, d in zip(lines, docs, strict=True):
            r = d["record"]
            if "data" not in r:  # a deletion: stays with the rest
                keep.append(raw)
                continue
            if r["type"] == "link" and (r["data"]["from"]["ref"] in chosen or r["data"]["to"]["ref"] in chosen):
                if r["data"]["role"] == "resides_at":
                    held.append(raw)
                continue  # other links of held-out persons are dropped: they are not needed here
            if r["type"] == "person" and r["ref"] in chosen or r["type"] == "location" and r["ref"] in locs:
                held.append(raw)
            else:
                keep.append(raw)
        target = kept_dir / p.parent.name / p.name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(b"\n".join(keep) + b"\n")
        kept.append(target)
    held_path = out / "held.ndjson"
    held_path.write_bytes(b"\n".join(held) + b"\n")
    return kept, held_path


def _partners(assign: dict[str, str], of: set[str]) -> dict[str, frozenset[str]]:
    by: dict[str, set[str]] = {}
    for r, p in assign.items():
        by.setdefault(p, set()).add(r)
    return {r: frozenset(by[assign[r]] - {r}) for r in of}


def test_realtime_and_batch_agree_on_a_held_out_sample(settings: Settings, tmp_path: Path) -> None:
    paths = synth_files(tmp_path / "synth", 500, 21)
    kept, held = _hold_out(paths, tmp_path / "split", 0.1, 5)
    ingest_files(settings, kept)
    run_match(settings)
    ingest_files(settings, [held])  # the real-time matcher assigns these in the ingest transaction
    with get_engine(settings).connect() as conn:
        realtime = store.assignments(conn)
        held_keys = {r for r, in conn.execute(select(store.person_ids.c.rkey).where(  # type: ignore[attr-defined]
            store.person_ids.c.assigned_by == "realtime"))}  # type: ignore[attr-defined]
    assert len(held_keys) > 30
    run_match(settings)  # the same model, in batch, over everything
    with get_engine(settings).connect() as conn:
        batch = store.assignments(conn)
    rt, bt = _partners(realtime, held_keys), _partners(batch, held_keys)
    agree = sum(rt[r] == bt[r] for r in held_keys) / len(held_keys)
    assert agree >= 0.95, f"real-time and batch agree on {agree:.1%} of {len(held_keys)} held-out records"
    assert _log(settings, "new")  # new ids from the real-time matcher are logged too


# -- Spark -------------------------------------------------------------------------------------
def test_spark_engine_gives_the_same_pairs_as_duckdb(matched) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'leds[spark]')")
    settings, _, _ = matched
    with get_engine(settings).connect() as conn:
        rows = load_features(conn)[:400]
        model = store.model_from_db(conn, store.current_model_version(conn) or 0)
    duck = Backend("duckdb")
    expected = predict(duck, duck.register("t", arrow_table(columns_of(rows))), model.splink, model.review_low,
                       tf=model.term_frequencies)
    spark = Backend("spark")
    got = predict(spark, spark.register("t_spark", arrow_table(columns_of(rows))), model.splink, model.review_low,
                  tf=model.term_frequencies)
    assert len(expected) > 20
    assert {(a, b): round(w, 6) for a, b, w in got} == {(a, b): round(w, 6) for a, b, w in expected}


def test_merges_and_splits_are_audited_as_combination(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from leds.audit import verify

    settings = Settings(home=tmp_path / "home")
    ingest_paths(Ingestor(settings), synth_files(tmp_path / "syn", 150, 11))
    run_demo_matching(settings)
    engine = get_engine(settings)
    with engine.connect() as c:
        rows = c.execute(text("SELECT actor, purpose, detail FROM audit_entries WHERE action = 'combination'")).all()
    assert rows and all(a == "system" and p == "data_matching" for a, p, _ in rows)
    assert verify(engine, settings).ok


# -- the API -----------------------------------------------------------------------------------
API_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def synth150(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return synth_files(tmp_path_factory.mktemp("synth150"), 150, 11)


def _twin_of(paths: list[Path], handling: str) -> tuple[str, bytes]:
    """A copy of the first person record with a PNC ID, a CRO number and marks, under another
    source and handling: the matcher puts it with the original.  Returns the original's record
    key and the line."""
    for line in (x for p in paths for x in p.read_bytes().splitlines()):
        doc = json.loads(line)
        data = doc["record"].get("data") or {}
        if doc["record"]["type"] == "person" and data.get("pnc_id") and data.get("cro_number") and data.get("marks"):
            original = f"{doc['force']}|{doc['source']}|person|{doc['record']['ref']}"
            doc.update(source="TEST-COPY", sequence=1)
            doc["record"].update(ref="COPY-1", handling=handling)
            return original, json.dumps(doc).encode()
    raise AssertionError("no person record with a PNC ID")


@pytest.fixture
def api(settings: Settings, synth150: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A matched store (150 synthetic persons plus a SECRET copy of one record), three users
    and an API client: an investigator (SC vetting: sees everything), a frontline officer
    (NPPV2: no SECRET records, no review_matches) and a control-room operator (CRO number
    and ethnicity redacted)."""
    from fastapi.testclient import TestClient

    from leds.access import identity
    from leds.app import create_app

    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")
    original, line = _twin_of(synth150, "SECRET")
    copy_path = tmp_path / "copy.ndjson"
    copy_path.write_bytes(line + b"\n")
    ingest_files(settings, [*synth150, copy_path])
    run_match(settings)
    engine = get_engine(settings)
    identity.create_user(engine, "inv", roles=["investigator"], force="WYP", vetting="SC", password=API_PASSWORD)
    identity.create_user(engine, "officer", roles=["frontline_officer"], force="WYP", vetting="NPPV2",
                         password=API_PASSWORD)
    identity.create_user(engine, "control", roles=["control_room"], force="WYP", vetting="SC", password=API_PASSWORD)
    client = TestClient(create_app(settings), raise_server_exceptions=False)

    def auth(user: str, scopes: list[str]) -> dict[str, str]:
        r = client.post("/api/v1/auth/tokens", json={"username": user, "password": API_PASSWORD, "scopes": scopes})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    yield client, auth, original, f"{original.split('|')[0]}|TEST-COPY|person|COPY-1"


def _audit(settings: Settings, action: str) -> list[dict]:
    from sqlalchemy import text

    with get_engine(settings).connect() as c:
        return [dict(r) for r in c.execute(text("SELECT * FROM audit_entries WHERE action = :a ORDER BY id"),
                                           {"a": action}).mappings()]


def test_api_explains_a_pair_with_a_waterfall_read_through_the_access_policy(api, settings: Settings) -> None:
    client, auth, original, copy = api
    h = auth("inv", ["view_person", "review_matches"])
    r = client.get("/api/v1/matching/explain", params={"a": original, "b": copy, "purpose": "safeguarding"}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_says"] == "same" and out["person_id_a"] == out["person_id_b"]
    assert [c["comparison"] for c in out["comparisons"]][:3] == ["forename", "surname", "dob"]
    assert out["prior_weight"] + sum(c["match_weight"] for c in out["comparisons"]) == pytest.approx(out["match_weight"])
    assert out["records"][copy]["handling"] == "SECRET" and out["records"][original]["data"]["names"]
    seen = [e for e in _audit(settings, "consultation") if e["actor"] == "user:inv"]
    assert seen and json.loads(seen[-1]["detail"])["kind"] == "view_person" and seen[-1]["purpose"] == "safeguarding"
    # the cluster: its records and the weights between them
    pid = out["person_id_a"]
    r = client.get(f"/api/v1/persons/{pid}/explanation", params={"purpose": "safeguarding"}, headers=h)
    assert r.status_code == 200, r.text
    assert {original, copy} <= {x["rkey"] for x in r.json()["records"]}
    assert any({p["rkey_a"], p["rkey_b"]} == {original, copy} and p["linked"] for p in r.json()["pairs"])


def test_api_refuses_without_a_reason_and_hides_records_the_caller_may_not_see(api, settings: Settings) -> None:
    client, auth, original, copy = api
    h = auth("officer", ["view_person"])
    r = client.get("/api/v1/matching/explain", params={"a": original, "b": copy}, headers=h)
    assert r.status_code == 400 and "reason is required" in r.json()["detail"]
    r = client.get("/api/v1/matching/explain", params={"a": original, "b": copy, "purpose": "nosiness"}, headers=h)
    assert r.status_code == 400
    # the SECRET copy is above an NPPV2 officer's vetting: the same 404 as a record that does not exist
    hidden = client.get("/api/v1/matching/explain", params={"a": original, "b": copy, "purpose": "safeguarding"},
                        headers=h)
    missing = client.get("/api/v1/matching/explain", params={"a": original, "b": "WYP|X|person|NOPE",
                                                             "purpose": "safeguarding"}, headers=h)
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    # the person's explanation leaves the hidden record out, without saying so
    with get_engine(settings).connect() as conn:
        pid = store.assignments(conn, [original])[original]
    r = client.get(f"/api/v1/persons/{pid}/explanation", params={"purpose": "safeguarding"}, headers=h)
    assert r.status_code == 200 and copy not in r.text and original in r.text
    r = client.get("/api/v1/persons/NP-0000000000/explanation", params={"purpose": "safeguarding"}, headers=h)
    assert r.status_code == 404
    # no review_matches for a frontline officer (role), nor beyond a token's scopes
    assert client.get("/api/v1/review", params={"purpose": "data_quality"}, headers=h).status_code == 403
    h2 = auth("inv", ["view_person"])
    assert client.get("/api/v1/review", params={"purpose": "data_quality"}, headers=h2).status_code == 403
    assert client.get("/api/v1/review", params={"purpose": "data_quality"}).status_code == 401


def test_api_withholds_comparisons_of_fields_redacted_for_the_caller(api) -> None:
    client, auth, original, copy = api
    h = auth("control", ["view_person"])
    r = client.get("/api/v1/matching/explain", params={"a": original, "b": copy, "purpose": "incident_response"},
                   headers=h)
    assert r.status_code == 200, r.text
    by = {c["comparison"]: c for c in r.json()["comparisons"]}
    assert "match_weight" not in by["cro"] and "withheld" in by["cro"]["level"]
    # marks are redacted for the control room too: their level would tell what they hold
    assert "match_weight" not in by["marks"] and "withheld" in by["marks"]["level"]
    assert "match_weight" in by["pnc"]
    assert all("cro_number" not in rec["data"] for rec in r.json()["records"].values())


def test_api_review_queue_and_a_judgement_by_the_caller_split_a_person(api, settings: Settings) -> None:
    client, auth, original, copy = api
    h = auth("inv", ["view_person", "review_matches"])
    r = client.get("/api/v1/review", params={"purpose": "data_quality", "limit": 3}, headers=h)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["pairs"], "the 150-person sample leaves pairs for review"
    first = page["pairs"][0]
    assert set(first["records"]) == {first["rkey_a"], first["rkey_b"]} and first["explanation"]["comparisons"]
    weights = [p["match_weight"] for p in page["pairs"]]
    assert weights == sorted(weights, reverse=True)
    nxt = client.get("/api/v1/review", params={"purpose": "data_quality", "limit": 3,
                                               "offset": page["next_offset"]}, headers=h).json()
    assert not {(p["rkey_a"], p["rkey_b"]) for p in nxt["pairs"]} & {(p["rkey_a"], p["rkey_b"]) for p in page["pairs"]}
    # judge: the copy is someone else.  The judge is the caller; the person is split at once.
    body = {"a": original, "b": copy, "verdict": "not-same", "why": "different custody photographs"}
    assert client.post("/api/v1/review/judgements", json=body, headers=h).status_code == 400  # no reason given
    r = client.post("/api/v1/review/judgements", json=body, params={"purpose": "data_quality"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["by"] == "user:inv" and [e["kind"] for e in r.json()["events"]] == ["split"]
    with get_engine(settings).connect() as conn:
        assert store.latest_verdicts(conn)[store.pair(original, copy)] == "not-same"
        now = store.assignments(conn, [original, copy])
    assert now[original] != now[copy]
    j = explain_pair(settings, original, copy)["judgements"][-1]
    assert j["by"] == "user:inv" and j["why"] == "different custody photographs"
    assert any(json.loads(e["detail"]).get("kind") == "judgement" for e in _audit(settings, "combination"))
    bad = client.post("/api/v1/review/judgements", json={**body, "verdict": "maybe"},
                      params={"purpose": "data_quality"}, headers=h)
    assert bad.status_code == 422
    # a judge with the longest username there may be (its principal id is 69 characters)
    long_name = "j" * 64
    from leds.access import identity

    identity.create_user(get_engine(settings), long_name, roles=["investigator"], force="WYP", vetting="SC",
                         password=API_PASSWORD)
    r = client.post("/api/v1/review/judgements", json={**body, "verdict": "unsure", "why": "second look"},
                    params={"purpose": "data_quality"}, headers=auth(long_name, ["view_person", "review_matches"]))
    assert r.status_code == 200, r.text
    assert explain_pair(settings, original, copy)["judgements"][-1]["by"] == f"user:{long_name}"
    # an officer who may not see the copy cannot judge it (and learns nothing about it)
    hidden = client.post("/api/v1/review/judgements", json=body, params={"purpose": "data_quality"},
                         headers=auth("officer", ["view_person"]))
    assert hidden.status_code == 403


def test_api_before_any_match_run_is_a_clear_answer_not_a_500(sqlite_settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from leds.access import identity
    from leds.app import create_app

    monkeypatch.setenv("LEDS_COOKIE_SECURE", "0")
    path = sqlite_settings.home.parent / "p.ndjson"
    path.write_bytes(ndjson([ug(1, person("P-1")), ug(2, person("P-2"))]))
    ingest_files(sqlite_settings, [path])
    identity.create_user(get_engine(sqlite_settings), "inv", roles=["investigator"], force="WYP", vetting="SC",
                         password=API_PASSWORD)
    client = TestClient(create_app(sqlite_settings), raise_server_exceptions=False)
    t = client.post("/api/v1/auth/tokens", json={"username": "inv", "password": API_PASSWORD,
                                                 "scopes": ["view_person", "review_matches"]}).json()["token"]
    h = {"Authorization": f"Bearer {t}"}
    r = client.get("/api/v1/matching/explain", params={"a": "WYP|NICHE-RMS|person|P-1",
                                                       "b": "WYP|NICHE-RMS|person|P-2", "purpose": "safeguarding"},
                   headers=h)
    assert r.status_code == 409 and "leds match" in r.json()["detail"]
    r = client.get("/api/v1/review", params={"purpose": "data_quality"}, headers=h)
    assert r.status_code == 200 and r.json()["pairs"] == []

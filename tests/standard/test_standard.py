"""The national data standard v1: formats, reason codes, the JSON Schema export and its documentation."""

from __future__ import annotations

import copy
import json
import re
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from leds.ingest.reasons import REASONS, classify
from leds.standard import codes, models, schema, validators
from leds.standard.models import DATA_MODELS, PersonData, Updategram, VehicleData
from leds.standard.validators import (
    format_pnc_id,
    normalise_pnc_id,
    normalise_postcode,
    normalise_vrm,
    pnc_check_char,
)

from ..factories import event, link, location, marker, person, ug, vehicle

DOC = Path(__file__).resolve().parents[2] / "docs" / "standard.md"
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def fixed_clock() -> Iterator[None]:
    """Every test here runs at NOW, so that "in the future" does not depend on the day."""
    original = validators._clock
    validators.set_clock(lambda: NOW)
    yield
    validators.set_clock(original)


def validate(doc: dict[str, Any]) -> Updategram:
    """Validate one updategram as ingest does: from the bytes of an NDJSON line."""
    return Updategram.model_validate_json(orjson.dumps(doc))


def reasons(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        validate(doc)
    return classify(exc.value)[0]


def person_with(**data: Any) -> dict[str, Any]:
    doc = ug(1, person("P-1"))
    doc["record"]["data"].update(data)
    return doc


def vehicle_with(**data: Any) -> dict[str, Any]:
    doc = ug(1, vehicle("V-1"))
    doc["record"]["data"].update(data)
    return doc


def location_with_postcode(postcode: str) -> dict[str, Any]:
    return ug(1, location("A-1", postcode=postcode))


# --- PNC ID ---------------------------------------------------------------------------------
# Computed with the algorithm, by hand: 840123456 mod 23 = 18, and "ZABCDEFGHJKLMNPQRTUVWXY"[18] = "U".
COMPUTED_PNC_IDS = ["1984/0123456U", format_pnc_id(1900, 0), format_pnc_id(2001, 1), format_pnc_id(1999, 9_999_999),
                    format_pnc_id(2025, 4_815_162), format_pnc_id(1965, 42)]
# Test fixtures of the Ministry of Justice's public hmpps-person-record service
# (src/test/kotlin/.../model/identifiers/PNCIdentifierTest.kt), in the long form with the slash.
PUBLIC_PNC_IDS = ["2008/0056560Z", "2001/0171310W", "2011/0275516Q", "2003/0062845E", "1981/0154257C",
                  "2002/0073319Z", "1979/0163001B", "2003/0011985X", "2012/0052494Q", "2023/0583843L",
                  "1981/0000034U", "2000/0000223R", "2003/0000003Y"]
# The same service's "correctly formatted but not valid" examples, and the contract's own example.
WRONG_CHECK_PNC_IDS = ["2003/0011985Z", "2012/0052494O", "2023/0583843N", "2001/0171310S", "1984/0123456X"]


def test_pnc_check_character_follows_the_published_algorithm() -> None:
    assert 840123456 % 23 == 18
    assert validators.PNC_CHECK_LETTERS[18] == "U"
    assert pnc_check_char(1984, 123456) == "U"
    assert pnc_check_char(2084, 123456) == "U"  # only the last two digits of the year count


@pytest.mark.parametrize("pnc_id", COMPUTED_PNC_IDS + PUBLIC_PNC_IDS)
def test_pnc_id_with_right_check_character_is_accepted(pnc_id: str) -> None:
    assert normalise_pnc_id(pnc_id) == pnc_id
    assert validate(person_with(pnc_id=pnc_id)).record.data.pnc_id == pnc_id  # type: ignore[union-attr]


@pytest.mark.parametrize("pnc_id", WRONG_CHECK_PNC_IDS)
def test_pnc_id_with_wrong_check_character_is_rejected(pnc_id: str) -> None:
    doc = person_with(pnc_id=pnc_id)
    assert reasons(doc) == ["INVALID_PNC_ID"]
    with pytest.raises(ValidationError) as exc:
        validate(doc)
    expected = pnc_check_char(int(pnc_id[:4]), int(pnc_id[5:12]))
    assert f"expected {expected}" in classify(exc.value)[1]


@pytest.mark.parametrize("pnc_id", ["84/123456U", "1984/123456U", "19840123456U", "1984/0123456", "1984-0123456U",
                                    "TOTALLYINVALID", "1984/0123456UU", ""])
def test_malformed_pnc_id_is_rejected(pnc_id: str) -> None:
    assert reasons(person_with(pnc_id=pnc_id)) == ["INVALID_PNC_ID"]


def test_pnc_id_is_trimmed_and_upper_cased() -> None:
    assert validate(person_with(pnc_id=" 1984/0123456u ")).record.data.pnc_id == "1984/0123456U"  # type: ignore[union-attr]


@given(year=st.integers(1900, 2099), serial=st.integers(0, 9_999_999), data=st.data())
def test_formatted_pnc_id_round_trips_and_any_other_check_letter_fails(year: int, serial: int,
                                                                      data: st.DataObject) -> None:
    pnc_id = format_pnc_id(year, serial)
    assert re.fullmatch(schema.PNC_ID_PATTERN, pnc_id)
    assert normalise_pnc_id(pnc_id) == pnc_id
    wrong = data.draw(st.sampled_from([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != pnc_id[-1]]))
    with pytest.raises(ValueError, match="check character"):
        normalise_pnc_id(pnc_id[:-1] + wrong)


# --- postcodes ------------------------------------------------------------------------------
VALID_POSTCODES = ["EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "LS1 4AP", "GIR 0AA",
                   "SW1A 2AA", "BT1 5GS", "CF10 1EP", "EH1 1YZ", "NE1 4ST", "BS1 6XN", "L1 8JQ", "HD7 5UZ",
                   "E1W 1AA", "N1C 4QP", "NW1W 9BE", "YO1 7HH"]
INVALID_POSTCODES = ["Q1 1AA", "LS1 4CI", "12345", "", "   ", "LS1", "4AP", "LS1 4AP X", "V1 1AA", "X1 1AA",
                     "LS1 AAP", "LSS1 4AP", "IJ1 1AA", "AA1 1AA1", "W1A 0AV", "SW1A 2A"]


@pytest.mark.parametrize("postcode", VALID_POSTCODES)
def test_valid_uk_postcodes_accepted(postcode: str) -> None:
    assert normalise_postcode(postcode) == postcode
    data = validate(location_with_postcode(postcode)).record.data
    assert data.address.postcode == postcode  # type: ignore[union-attr]


@pytest.mark.parametrize("postcode", INVALID_POSTCODES)
def test_invalid_postcodes_rejected(postcode: str) -> None:
    assert reasons(location_with_postcode(postcode)) == ["INVALID_POSTCODE"]


@pytest.mark.parametrize(("sent", "stored"), [("ls14ap", "LS1 4AP"), ("ls1 4ap", "LS1 4AP"), (" LS1   4AP ", "LS1 4AP"),
                                              ("ec1a1bb", "EC1A 1BB"), ("gir0aa", "GIR 0AA"), ("Dn551pt", "DN55 1PT")])
def test_postcode_normalised_to_single_space_upper_case(sent: str, stored: str) -> None:
    assert normalise_postcode(sent) == stored
    assert validate(location_with_postcode(sent)).record.data.address.postcode == stored  # type: ignore[union-attr]


# --- vehicle registration marks --------------------------------------------------------------
VALID_VRMS = ["AB12CDE", "AB12 CDE", "A123BCD", "A1 BCD", "ABC123D", "ABC 1D", "ABZ1234", "A1", "1234AB", "1 A",
              "LV51 UXB", "ab12-cde"]
INVALID_VRMS = ["AB12 CD 345", "AB123CDEF", "12345678", "AB12CD!", "", "ABCD", "A12345B", "AB1CDE2"]


@pytest.mark.parametrize(("sent", "stored"), [("ab12 cde", "AB12CDE"), ("AB12-CDE", "AB12CDE"), (" a 1 b c d ", "A1BCD")])
def test_vrm_normalised_upper_case_without_spaces(sent: str, stored: str) -> None:
    assert normalise_vrm(sent) == stored
    assert validate(vehicle_with(vrm=sent)).record.data.vrm == stored  # type: ignore[union-attr]


@pytest.mark.parametrize("vrm", VALID_VRMS)
def test_uk_registration_formats_accepted(vrm: str) -> None:
    validate(vehicle_with(vrm=vrm))


@pytest.mark.parametrize("vrm", INVALID_VRMS)
def test_invalid_uk_vrm_rejected(vrm: str) -> None:
    assert reasons(vehicle_with(vrm=vrm)) == ["INVALID_VRM"]


@pytest.mark.parametrize(("country", "vrm", "stored"), [("NL", "12-ABC-3", "12ABC3"), ("FR", "AB-123-CD", "AB123CD"),
                                                         ("IE", "191-D-12345", "191D12345")])
def test_foreign_vrm_allowed_when_country_is_not_gb(country: str, vrm: str, stored: str) -> None:
    assert reasons(vehicle_with(vrm=vrm)) == ["INVALID_VRM"]
    assert validate(vehicle_with(vrm=vrm, country=country)).record.data.vrm == stored  # type: ignore[union-attr]


def test_foreign_vrm_still_limited_to_ten_letters_and_digits() -> None:
    assert reasons(vehicle_with(vrm="ABCDEFGHIJK", country="DE")) == ["INVALID_VRM"]


def test_vin_with_letter_o_rejected() -> None:
    assert reasons(vehicle_with(vin="WF0AXXGCDA12345O7")) == ["INVALID_VIN"]
    assert validate(vehicle_with(vin="wf0axxgcda1234567")).record.data.vin == "WF0AXXGCDA1234567"  # type: ignore[union-attr]


# --- dates, heights ---------------------------------------------------------------------------
def test_future_date_of_birth_rejected_with_future_date() -> None:
    assert reasons(person_with(birth_dates=["2025-06-02"])) == ["FUTURE_DATE"]
    validate(person_with(birth_dates=["2025-06-01"]))  # today is not the future


def test_date_before_1880_rejected_with_invalid_date() -> None:
    assert reasons(person_with(birth_dates=["1879-12-31"])) == ["INVALID_DATE"]
    assert reasons(person_with(birth_dates=["1984-02-30"])) == ["INVALID_DATE"]


def test_issued_at_in_the_future_beyond_clock_skew_rejected() -> None:
    assert reasons(ug(1, person("P-1"), issued_at="2025-06-01T12:06:00Z")) == ["FUTURE_DATE"]
    validate(ug(1, person("P-1"), issued_at="2025-06-01T12:04:00Z"))  # within five minutes' skew


def test_time_without_offset_is_taken_as_utc() -> None:
    parsed = validate(ug(1, person("P-1"), issued_at="2025-03-02T14:05:11")).issued_at
    assert parsed == datetime(2025, 3, 2, 14, 5, 11, tzinfo=UTC)


def test_event_in_the_future_rejected() -> None:
    assert reasons(ug(1, event("E-1", when="2026-01-01T00:00:00Z"))) == ["FUTURE_DATE"]


def test_marker_valid_to_may_be_in_the_future_but_valid_from_may_not() -> None:
    doc = ug(1, marker("M-1", "P-1"))
    doc["record"]["data"]["valid_to"] = "2030-01-01"
    validate(doc)
    doc["record"]["data"]["valid_from"] = "2030-01-01"
    assert reasons(doc) == ["FUTURE_DATE"]


@pytest.mark.parametrize("height", [39, 261, 0, -5, 300, 1800])
def test_height_out_of_range_rejected(height: int) -> None:
    assert reasons(person_with(height_cm=height)) == ["HEIGHT_OUT_OF_RANGE"]


@pytest.mark.parametrize("height", [40, 180, 260])
def test_height_within_human_range_accepted(height: int) -> None:
    assert validate(person_with(height_cm=height)).record.data.height_cm == height  # type: ignore[union-attr]


# --- envelope and record shape -------------------------------------------------------------------
def test_unknown_force_gives_unknown_force() -> None:
    assert reasons(ug(1, person("P-1"), force="XYZ")) == ["UNKNOWN_FORCE"]
    assert reasons(ug(1, person("P-1"), force="wyp")) == ["UNKNOWN_FORCE"]  # codes are case-sensitive


def test_unknown_force_in_a_reference_gives_unknown_force() -> None:
    doc = ug(1, marker("M-1", "P-1"))
    doc["record"]["data"]["subject"]["force"] = "XYZ"
    assert reasons(doc) == ["UNKNOWN_FORCE"]


@pytest.mark.parametrize("force", list(codes.FORCES))
def test_every_listed_force_accepted(force: str) -> None:
    validate(ug(1, person("P-1"), force=force))


def test_unknown_record_type_gives_unknown_record_type() -> None:
    assert reasons(ug(1, {"type": "boat", "ref": "B-1"}, op="delete")) == ["UNKNOWN_RECORD_TYPE"]


@pytest.mark.parametrize("field", ["force", "source", "sequence", "issued_at", "op", "record", "updategram"])
def test_missing_envelope_field_gives_missing_field(field: str) -> None:
    doc = ug(1, person("P-1"))
    del doc[field]
    assert reasons(doc) == ["MISSING_FIELD"]


def test_sequence_sent_as_string_is_invalid_value() -> None:
    assert reasons(ug("1", person("P-1"))) == ["INVALID_VALUE"]  # type: ignore[arg-type]


def test_other_updategram_version_unsupported() -> None:
    doc = ug(1, person("P-1"))
    doc["updategram"] = "2"
    assert reasons(doc) == ["UNSUPPORTED_VERSION"]


@pytest.mark.parametrize("extra", [{"data": {"names": [{"family": "Smith"}]}}, {"dataset": "nominal"},
                                   {"handling": "OFFICIAL"}])
def test_delete_carrying_data_rejected(extra: dict[str, Any]) -> None:
    assert reasons(ug(1, {"type": "person", "ref": "P-1", **extra}, op="delete")) == ["DELETE_WITH_DATA"]


def test_delete_with_only_type_and_ref_accepted() -> None:
    ug_ = validate(ug(1, {"type": "person", "ref": "P-1"}, op="delete"))
    assert ug_.op == "delete" and ug_.record.data is None


@pytest.mark.parametrize("field", ["data", "dataset", "handling"])
def test_upsert_without_data_dataset_or_handling_rejected(field: str) -> None:
    doc = ug(1, person("P-1"))
    del doc["record"][field]
    assert reasons(doc) == ["MISSING_FIELD"]


def test_person_without_any_family_name_rejected() -> None:
    doc = person_with(names=[{"given": ["John"]}, {"given": ["Jonny"], "kind": "alias"}])
    assert reasons(doc) == ["MISSING_FAMILY_NAME"]
    validate(person_with(names=[{"given": ["Jonny"], "kind": "alias"}, {"family": "Smith"}]))


def test_person_needs_at_least_one_name() -> None:
    assert reasons(person_with(names=[])) == ["INVALID_VALUE"]


def test_location_needs_an_address_a_uprn_or_coordinates() -> None:
    doc = ug(1, location("A-1"))
    doc["record"]["data"] = {"lat": 53.8}
    assert reasons(doc) == ["MISSING_LOCATION"]
    doc["record"]["data"] = {"lat": 53.8, "lon": -1.55}
    validate(doc)
    doc["record"]["data"] = {"uprn": 100023336956}
    validate(doc)


def test_unknown_code_gives_invalid_code() -> None:
    assert reasons(ug(1, marker("M-1", "P-1", code="XX"))) == ["INVALID_CODE"]
    assert reasons(person_with(sex="male")) == ["INVALID_CODE"]


@pytest.mark.parametrize("make", [lambda: ug(1, person("P-1")), lambda: ug(1, vehicle("V-1")),
                                  lambda: ug(1, location("A-1")), lambda: ug(1, marker("M-1", "P-1")),
                                  lambda: ug(1, link("L-1", ("person", "P-1"), ("vehicle", "V-1")))])
def test_unknown_field_rejected_on_every_record_type_but_event(make: Any) -> None:
    doc = make()
    doc["record"]["data"]["shoe_size"] = 9
    assert reasons(doc) == ["UNKNOWN_FIELD"]


def test_unknown_field_rejected_on_envelope_and_record() -> None:
    doc = ug(1, person("P-1"))
    doc["priority"] = "high"
    assert reasons(doc) == ["UNKNOWN_FIELD"]
    doc = ug(1, person("P-1"))
    doc["record"]["owner"] = "DS Jones"
    assert reasons(doc) == ["UNKNOWN_FIELD"]


def test_unknown_field_allowed_on_event_and_kept() -> None:
    doc = ug(1, event("E-1", offence="burglary dwelling", custody_ref="WY/2025/004411", items=[{"n": 1}]))
    data = validate(doc).record.data
    assert data is not None
    dumped = data.model_dump(mode="json")
    assert dumped["offence"] == "burglary dwelling"
    assert dumped["custody_ref"] == "WY/2025/004411"
    assert dumped["items"] == [{"n": 1}]


def test_link_uses_from_in_json() -> None:
    data = validate(ug(1, link("L-1", ("person", "P-1"), ("vehicle", "V-1")))).record.data
    assert data is not None
    assert data.model_dump(by_alias=True)["from"]["ref"] == "P-1"


def test_reference_to_another_forces_record_accepted() -> None:
    doc = ug(1, link("L-1", ("person", "P-1"), ("person", "MP-1"), role="associate"))
    doc["record"]["data"]["to"].update(force="MPS", source="CONNECT")
    refs = validate(doc).refs()
    assert [(role, r.force, r.ref) for role, r in refs] == [("from", None, "P-1"), ("to", "MPS", "MP-1")]


# --- the example in the contract -----------------------------------------------------------------
# UPDATEGRAM.md's envelope example with its person example as `data`, as published.
CONTRACT_EXAMPLE: dict[str, Any] = {
    "updategram": "1", "force": "WYP", "source": "NICHE-RMS", "sequence": 104233,
    "issued_at": "2025-03-02T14:05:11Z", "op": "upsert",
    "record": {"type": "person", "ref": "P-0009912", "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
               "data": {"names": [{"given": ["John", "Paul"], "family": "Smith", "kind": "primary"},
                                  {"given": ["Jonny"], "family": "Smith", "kind": "alias"}],
                        "birth_dates": ["1984-03-07"], "sex": "M", "pnc_id": "1984/0123456X",
                        "ethnicity_officer": "IC1", "height_cm": 180, "marks": ["tattoo left forearm rose"]}},
}


def test_contract_example_fails_only_on_its_pnc_check_character() -> None:
    assert reasons(CONTRACT_EXAMPLE) == ["INVALID_PNC_ID"]


def test_contract_example_validates_once_its_pnc_check_character_is_corrected() -> None:
    doc = copy.deepcopy(CONTRACT_EXAMPLE)
    doc["record"]["data"]["pnc_id"] = "1984/0123456U"
    ug_ = validate(doc)
    assert ug_.record.data.pnc_id == "1984/0123456U"  # type: ignore[union-attr]
    assert [n.family for n in ug_.record.data.names] == ["Smith", "Smith"]  # type: ignore[union-attr]


def test_contract_marker_and_link_examples_validate() -> None:
    validate(ug(2, {"type": "marker", "ref": "M-1", "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
                    "data": {"subject": {"type": "person", "ref": "P-0009912"}, "code": "VI",
                             "detail": "assault on police 2019", "valid_from": "2019-06-01"}}))
    validate(ug(3, {"type": "link", "ref": "L-1", "dataset": "vehicle", "handling": "OFFICIAL",
                    "data": {"from": {"type": "person", "ref": "P-0009912"}, "to": {"type": "vehicle", "ref": "V-77"},
                             "role": "keeper", "valid_from": "2024-01-10"}}))


# --- JSON Schema ---------------------------------------------------------------------------------
EXPECTED_FILES = ["updategram.schema.json", *[f"{t}.schema.json" for t in DATA_MODELS], "code-lists.json"]


def test_export_writes_one_json_schema_per_type_plus_envelope_and_code_lists(tmp_path: Path) -> None:
    written = schema.export(tmp_path / "out")
    assert [p.name for p in written] == EXPECTED_FILES
    for path in written:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
        assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert doc["$id"] == f"https://leds.example/standard/v1/{path.name}"
        assert doc["title"] and doc["description"]


def test_export_is_deterministic(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in schema.export(tmp_path / "a")]
    second = [p.read_bytes() for p in schema.export(tmp_path / "b")]
    assert first == second


def _properties(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, obj in [("(root)", doc), *doc.get("$defs", {}).items()]:
        for field, prop in obj.get("properties", {}).items():
            yield name, field, prop


@pytest.mark.parametrize("name", EXPECTED_FILES[:-1])
def test_every_schema_field_has_a_description(name: str) -> None:
    doc = schema.documents()[name]
    missing = [f"{model}.{field}" for model, field, prop in _properties(doc) if not prop.get("description")]
    assert not missing


def _value(prop: dict[str, Any]) -> dict[str, Any]:
    return next((b for b in prop.get("anyOf", []) if b.get("type") != "null"), prop)


def test_code_list_fields_carry_their_enum() -> None:
    defs = schema.documents()["updategram.schema.json"]["$defs"]
    root = schema.documents()["updategram.schema.json"]
    expected = {
        ("(root)", "force"): "forces", ("(root)", "op"): "ops",
        ("PersonRecord", "dataset"): "datasets", ("PersonRecord", "handling"): "handling",
        ("PersonData", "sex"): "sex", ("PersonData", "ethnicity_officer"): "ethnicity_officer",
        ("Name", "kind"): "name_kinds", ("MarkerData", "code"): "markers",
        ("Ref", "type"): "record_types", ("Ref", "force"): "forces",
    }
    for (model, field), list_name in expected.items():
        obj = root if model == "(root)" else defs[model]
        prop = obj["properties"][field]
        assert _value(prop)["enum"] == list(codes.CODE_LISTS[list_name]), (model, field)
        assert list_name in prop["description"]
    # Open vocabularies (UPDATEGRAM.md) only illustrate: examples, never an enum a sender's validator would enforce.
    for model, field, list_name in [("EventData", "kind", "event_kinds"), ("LinkData", "role", "link_roles")]:
        prop = defs[model]["properties"][field]
        assert "enum" not in _value(prop), (model, field)
        assert _value(prop)["examples"] == list(codes.CODE_LISTS[list_name])
        assert "open vocabulary" in prop["description"]


def test_unrecognised_link_role_and_event_kind_are_accepted_verbatim() -> None:
    doc = ug(1, link("L-1", ("person", "P-1"), ("vehicle", "V-1"), role="Co-Habitee"))
    assert validate(doc).record.data.role == "Co-Habitee"  # type: ignore[union-attr]
    doc = ug(2, event("E-1", kind="ASB_REPORT"))
    assert validate(doc).record.data.kind == "ASB_REPORT"  # type: ignore[union-attr]
    doc["record"]["data"]["kind"] = ""
    assert reasons(doc) == ["INVALID_VALUE"]


def test_format_fields_carry_their_pattern() -> None:
    defs = schema.documents()["updategram.schema.json"]["$defs"]
    assert _value(defs["PersonData"]["properties"]["pnc_id"])["pattern"] == r"^[0-9]{4}/[0-9]{7}[A-Z]$"
    assert "check character" in defs["PersonData"]["properties"]["pnc_id"]["description"]
    assert _value(defs["Address"]["properties"]["postcode"])["pattern"] == schema.POSTCODE_PATTERN
    height = _value(defs["PersonData"]["properties"]["height_cm"])
    assert (height["minimum"], height["maximum"]) == validators.HEIGHT_RANGE_CM
    assert "FUTURE_DATE" in defs["PersonData"]["properties"]["birth_dates"]["description"]


@pytest.mark.parametrize("postcode", VALID_POSTCODES + INVALID_POSTCODES + ["LS14AP", "EC1A1BB"])
def test_schema_postcode_pattern_agrees_with_the_validator(postcode: str) -> None:
    try:
        canonical: str | None = normalise_postcode(postcode)
    except ValueError:
        canonical = None
    matches = re.fullmatch(schema.POSTCODE_PATTERN, postcode) is not None
    assert matches == (canonical is not None and postcode in (canonical, canonical.replace(" ", "")))


@pytest.mark.parametrize("vrm", VALID_VRMS + INVALID_VRMS)
def test_schema_vrm_pattern_never_accepts_what_the_validator_rejects(vrm: str) -> None:
    if re.fullmatch(schema.GB_VRM_PATTERN, vrm):
        normalise_vrm(vrm)
    try:
        compact = normalise_vrm(vrm)
    except ValueError:
        return
    assert re.fullmatch(schema.GB_VRM_PATTERN, compact)


def test_code_lists_document_has_every_code_with_its_meaning() -> None:
    doc = schema.documents()["code-lists.json"]
    assert set(doc["$defs"]) == set(codes.CODE_LISTS)
    for name, entries in codes.CODE_LISTS.items():
        assert {c["const"]: c["description"] for c in doc["$defs"][name]["oneOf"]} == entries


def _valid_examples() -> list[dict[str, Any]]:
    corrected = copy.deepcopy(CONTRACT_EXAMPLE)
    corrected["record"]["data"]["pnc_id"] = "1984/0123456U"
    ev = event("E-1", offence="burglary dwelling")
    return [corrected, ug(2, person("P-1", pnc_id="2008/0056560Z")), ug(3, vehicle("V-1")),
            ug(4, vehicle("V-2", vrm="AB12CDE")), ug(5, location("A-1", postcode="LS1 4AP")), ug(6, ev),
            ug(7, marker("M-1", "P-1")), ug(8, link("L-1", ("person", "P-1"), ("vehicle", "V-1"))),
            ug(9, {"type": "marker", "ref": "M-1"}, op="delete"), *doc_valid_lines()]


def test_examples_used_against_the_schemas_are_valid_for_leds() -> None:
    for doc in _valid_examples():
        validate(doc)


def _validator(document: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not a dependency of leds; "
                                     "install it to check the exported schemas")
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document, format_checker=jsonschema.FormatChecker())


def test_exported_schemas_are_valid_draft_2020_12(tmp_path: Path) -> None:
    for path in schema.export(tmp_path):
        _validator(json.loads(path.read_text()))


def test_updategram_schema_accepts_the_example_lines() -> None:
    v = _validator(schema.documents()["updategram.schema.json"])
    for doc in _valid_examples():
        assert not [e.message for e in v.iter_errors(doc)], doc


def test_record_data_schemas_accept_the_example_data() -> None:
    validators_by_type = {t: _validator(schema.documents()[f"{t}.schema.json"]) for t in DATA_MODELS}
    for doc in _valid_examples():
        if doc["op"] == "upsert":
            v = validators_by_type[doc["record"]["type"]]
            assert not [e.message for e in v.iter_errors(doc["record"]["data"])], doc


def _schema_invalid_examples() -> list[tuple[str, dict[str, Any]]]:
    def edit(doc: dict[str, Any], fn: Any) -> dict[str, Any]:
        doc = copy.deepcopy(doc)
        fn(doc)
        return doc

    base = ug(1, person("P-1"))
    return [
        ("unknown force", ug(1, person("P-1"), force="XYZ")),
        ("pnc id shape", person_with(pnc_id="84/123456U")),
        ("unknown sex", person_with(sex="male")),
        ("height", person_with(height_cm=300)),
        ("no family name", person_with(names=[{"given": ["John"]}])),
        ("unknown field", person_with(shoe_size=9)),
        ("unknown record type", ug(1, {"type": "boat", "ref": "B-1"}, op="delete")),
        ("upsert without data", edit(base, lambda d: d["record"].pop("data"))),
        ("delete with data", edit(base, lambda d: d.update(op="delete"))),
        ("missing sequence", edit(base, lambda d: d.pop("sequence"))),
        ("sequence as string", ug("1", person("P-1"))),  # type: ignore[arg-type]
        ("bad postcode", location_with_postcode("LS1 4CI")),
        ("bad vrm", vehicle_with(vrm="AB12 CD 345")),
        ("bad vin", vehicle_with(vin="WF0AXXGCDA12345O7")),
        ("no location", edit(ug(1, location("A-1")), lambda d: d["record"].update(data={"lat": 1.0}))),
        ("marker code", ug(1, marker("M-1", "P-1", code="XX"))),
        ("version", edit(base, lambda d: d.update(updategram="2"))),
    ]


@pytest.mark.parametrize(("what", "doc"), _schema_invalid_examples(), ids=[w for w, _ in _schema_invalid_examples()])
def test_updategram_schema_rejects_what_leds_rejects(what: str, doc: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate(doc)
    v = _validator(schema.documents()["updategram.schema.json"])
    assert list(v.iter_errors(doc)), what


# --- the command line -----------------------------------------------------------------------------
runner = CliRunner()


def _app() -> Any:
    from leds.cli import app

    return app


def test_cli_export_creates_the_folder_and_prints_each_file(tmp_path: Path) -> None:
    out = tmp_path / "new" / "schemas"
    result = runner.invoke(_app(), ["standard", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [str(out / name) for name in EXPECTED_FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPECTED_FILES)


def test_cli_export_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    result = runner.invoke(_app(), ["standard", "export", str(target)])
    assert result.exit_code == 2
    assert "is not a folder" in result.output


def test_cli_codes_lists_the_code_lists() -> None:
    result = runner.invoke(_app(), ["standard", "codes"])
    assert result.exit_code == 0, result.output
    for name in codes.CODE_LISTS:
        assert name in result.output


def test_cli_codes_prints_one_list() -> None:
    result = runner.invoke(_app(), ["standard", "codes", "markers"])
    assert result.exit_code == 0, result.output
    for code, meaning in codes.MARKERS.items():
        assert re.search(rf"\b{code}\b.*{meaning}", result.output)


def test_cli_codes_unknown_list_names_the_valid_ones() -> None:
    result = runner.invoke(_app(), ["standard", "codes", "colours"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "colours" in text and "forces" in text and "link_roles" in text


# --- docs/standard.md cannot drift from the code ----------------------------------------------------
def _doc() -> str:
    assert DOC.exists(), "docs/standard.md is missing"
    return DOC.read_text(encoding="utf-8")


def _section(marker: str) -> str:
    """The text from the heading that contains ``marker`` up to the next heading."""
    text = _doc()
    m = re.search(rf"^#+ [^\n]*{re.escape(marker)}[^\n]*$", text, re.MULTILINE)
    assert m, f"docs/standard.md has no heading with {marker}"
    end = re.search(r"^#+ ", text[m.end():], re.MULTILINE)
    return text[m.end(): m.end() + end.start()] if end else text[m.end():]


def _table_fields(section: str) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))


DOCUMENTED_MODELS: dict[str, type[BaseModel]] = {
    "`Updategram`": Updategram, "`record`": models.PersonRecord, "`PersonData`": PersonData,
    "`Name`": models.Name, "`VehicleData`": VehicleData, "`LocationData`": models.LocationData,
    "`Address`": models.Address, "`EventData`": models.EventData, "`MarkerData`": models.MarkerData,
    "`LinkData`": models.LinkData, "`Ref`": models.Ref, "`MissingEpisodeData`": models.MissingEpisodeData,
    "`LastSeen`": models.LastSeen, "`Found`": models.Found, "`ReturnInterview`": models.ReturnInterview,
}


def _models_within(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """``model`` and every model its fields use, however deeply nested in lists and unions."""
    if model in seen:
        return seen
    seen.add(model)
    pending = [f.annotation for f in model.model_fields.values()]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            _models_within(annotation, seen)
        pending.extend(typing.get_args(annotation))
    return seen


def test_every_model_of_the_standard_has_a_documented_section() -> None:
    records = {models.PersonRecord, models.VehicleRecord, models.LocationRecord, models.EventRecord,
               models.MarkerRecord, models.LinkRecord, models.MissingEpisodeRecord}
    used = _models_within(Updategram, set())
    assert set(DATA_MODELS.values()) <= used
    assert used - records <= set(DOCUMENTED_MODELS.values())


@pytest.mark.parametrize("marker", list(DOCUMENTED_MODELS))
def test_doc_documents_every_field_of_every_model(marker: str) -> None:
    model = DOCUMENTED_MODELS[marker]
    fields = {f.alias or name for name, f in model.model_fields.items()}
    documented = _table_fields(_section(marker))
    assert fields <= documented, f"{marker}: not documented: {sorted(fields - documented)}"
    assert documented <= fields, f"{marker}: documented but not in the model: {sorted(documented - fields)}"


def test_doc_documents_the_record_fields_of_every_record_type() -> None:
    documented = _table_fields(_section("`record`"))
    for model in (models.PersonRecord, models.VehicleRecord, models.LocationRecord, models.EventRecord,
                  models.MarkerRecord, models.LinkRecord, models.MissingEpisodeRecord):
        assert set(model.model_fields) == documented


@pytest.mark.parametrize("list_name", list(codes.CODE_LISTS))
def test_doc_lists_every_code_with_its_meaning(list_name: str) -> None:
    section = _section(f"`{list_name}`")
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+?) \|$", section, re.MULTILINE))
    assert rows == codes.CODE_LISTS[list_name]


def test_doc_lists_every_quarantine_reason_code() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", _section("Quarantine reason codes"), re.MULTILINE))
    assert rows == REASONS


def test_doc_states_the_contract_pnc_example_is_wrong() -> None:
    errata = _section("Errata")
    assert "1984/0123456X" in errata and "1984/0123456U" in errata


def doc_valid_lines() -> list[dict[str, Any]]:
    block = re.search(r"```ndjson\n(.*?)\n```", _section("Valid lines"), re.DOTALL)
    assert block, "docs/standard.md: no ndjson block under Valid lines"
    return [json.loads(line) for line in block.group(1).splitlines()]


def doc_invalid_lines() -> list[tuple[str, dict[str, Any]]]:
    found = re.findall(r"^\*\*`([A-Z_]+)`\*\*[^\n]*\n\n```json\n(.*?)\n```", _section("Invalid lines"),
                       re.MULTILINE | re.DOTALL)
    return [(code, json.loads(line)) for code, line in found]


def test_doc_valid_example_lines_validate_and_cover_every_record_type() -> None:
    lines = doc_valid_lines()
    for doc in lines:
        validate(doc)
    assert {d["record"]["type"] for d in lines} == set(DATA_MODELS)
    assert {d["op"] for d in lines} == set(codes.OPS)


def test_doc_invalid_example_lines_get_their_stated_reason() -> None:
    examples = doc_invalid_lines()
    assert len(examples) >= 10
    for code, doc in examples:
        assert code in REASONS
        assert reasons(doc) == [code], doc


# --- tightened after review: values that used to slip through ---------------------------------
def test_an_empty_address_is_not_a_location() -> None:
    doc = ug(1, {"type": "location", "ref": "A-1", "dataset": "nominal", "handling": "OFFICIAL",
                 "data": {"address": {}}})
    assert reasons(doc) == ["MISSING_LOCATION"]


@pytest.mark.parametrize("value", [0, 1700000000])
def test_numbers_are_not_read_as_dates(value: int) -> None:
    assert "INVALID_DATE" in reasons(person_with(birth_dates=[value]))
    doc = ug(1, person("P-1"))
    doc["issued_at"] = value
    assert "INVALID_DATE" in reasons(doc)


def test_booleans_are_not_read_as_numbers() -> None:
    assert reasons(person_with(height_cm=True)) == ["INVALID_VALUE"]
    loc = ug(1, {"type": "location", "ref": "A-1", "dataset": "nominal", "handling": "OFFICIAL",
                 "data": {"uprn": True}})
    assert "INVALID_VALUE" in reasons(loc)


def test_validity_period_must_not_end_before_it_starts() -> None:
    doc = ug(1, marker("M-1", "P-1"))
    doc["record"]["data"].update(valid_from="2020-01-01", valid_to="2019-01-01")
    assert reasons(doc) == ["INVALID_PERIOD"]


def test_link_accepts_only_the_wire_name_from() -> None:
    doc = ug(1, link("L-1", ("person", "P-1"), ("vehicle", "V-1")))
    doc["record"]["data"]["from_"] = doc["record"]["data"].pop("from")
    assert set(reasons(doc)) == {"MISSING_FIELD", "UNKNOWN_FIELD"}


def test_a_uk_date_of_today_is_not_in_the_future_just_after_midnight_bst() -> None:
    # 00:30 on 2 June in London is still 1 June in UTC.
    validators.set_clock(lambda: datetime(2025, 6, 1, 23, 30, tzinfo=UTC))
    try:
        validate(person_with(birth_dates=["2025-06-02"]))
        assert reasons(person_with(birth_dates=["2025-06-03"])) == ["FUTURE_DATE"]
    finally:
        validators.set_clock(lambda: NOW)

"""Publish the national data standard v1 as JSON Schema (draft 2020-12).

The Pydantic models in :mod:`leds.standard.models` are the standard.  Pydantic
derives most of a JSON Schema from them, but some checks live in Python
validators that JSON Schema cannot see: code lists, postcode, VRM, VIN, PNC ID
and CRO number formats, "not in the future" dates, the human height range and
the rules that span fields (a person needs a family name, a location needs an
address, a UPRN or coordinates, an upsert needs data).  This module
post-processes the generated schemas so that each such field carries an
``enum``, a ``pattern`` or bounds where JSON Schema can express the check, and a
``description`` that says what leds checks beyond it.

The schemas describe the *canonical* spelling of each value (upper case, one
space in a postcode).  leds itself is a little more lenient on input: it
upper-cases and re-spaces postcodes, VRMs, VINs, PNC IDs and CRO numbers before
checking them.  So a line that the schemas accept passes those format checks in
leds; the converse does not always hold.  Checks against the clock (future
dates) cannot be expressed in JSON Schema at all and are described only.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from . import codes, models, validators

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://leds.example/standard/v1/"
STANDARD_VERSION = "1"

UPDATEGRAM_FILE = "updategram.schema.json"
CODE_LISTS_FILE = "code-lists.json"


def data_file(record_type: str) -> str:
    return f"{record_type}.schema.json"


# --- patterns for the format checks ------------------------------------------------------
def _postcode_pattern() -> str:
    """``validators.POSTCODE_RE`` with an optional space between outward and inward code."""
    source = validators.POSTCODE_RE.pattern
    # The regex has exactly two junctions between an outward and an inward group:
    # "(outward)(inward)" and "(GIR)(0AA)".
    if source.count(")(") != 2:  # pragma: no cover - guards a change to POSTCODE_RE
        raise RuntimeError("validators.POSTCODE_RE changed shape; update schema._postcode_pattern")
    return source.replace(")(", ") ?(")


POSTCODE_PATTERN = _postcode_pattern()
PNC_ID_PATTERN = r"^[0-9]{4}/[0-9]{7}[A-Z]$"
CRO_PATTERN = models.CRO_RE.pattern
VIN_PATTERN = models._VIN_RE.pattern
# UK marks, upper case, with an optional space where it is usually written
# (validators._VRM_PATTERNS, which check the mark with all spaces removed).
GB_VRM_PATTERN = (
    r"^(?:[A-Z]{2}[0-9]{2} ?[A-Z]{3}"  # current, since 2001: AB12 CDE
    r"|[A-Z][0-9]{1,3} ?[A-Z]{3}"  # prefix, 1983-2001: A123 BCD
    r"|[A-Z]{3} ?[0-9]{1,3}[A-Z]"  # suffix, 1963-1983: ABC 123D
    r"|[A-Z]{1,3} ?[0-9]{1,4}"  # dateless, and Northern Ireland: ABZ 1234
    r"|[0-9]{1,4} ?[A-Z]{1,3})$"  # dateless, reversed: 1234 AB
)
# Foreign marks: 1-10 letters and digits, optionally separated by single spaces or hyphens.
FOREIGN_VRM_PATTERN = r"^(?:[A-Z0-9][ -]?){0,9}[A-Z0-9]$"

_PAST_DATE = (
    "An ISO 8601 date (YYYY-MM-DD). leds rejects a date after today (UTC) with FUTURE_DATE "
    f"and a date before {validators.EARLIEST_DATE.isoformat()} with INVALID_DATE."
)
_PAST_DATETIME = (
    "An ISO 8601 date and time; a time without a UTC offset is taken as UTC. leds rejects a "
    f"time more than {int(validators.CLOCK_SKEW.total_seconds() // 60)} minutes after its own "
    f"clock with FUTURE_DATE and one before {validators.EARLIEST_DATE.isoformat()} with INVALID_DATE."
)


def _code_list(name: str) -> str:
    return f"code list `{name}` (see {CODE_LISTS_FILE}); any other value is quarantined as " + (
        "UNKNOWN_FORCE" if name == "forces" else "INVALID_CODE"
    )


# --- descriptions and extra constraints, per model and field ------------------------------
# Each entry: field (by alias) -> (description, extra keywords for the field's value).  The
# extra keywords go on the non-null branch of an optional field.
_Patch = tuple[str, dict[str, Any]]


def _enum(name: str) -> dict[str, Any]:
    return {"enum": list(codes.CODE_LISTS[name])}


def _open_list(name: str) -> str:
    return (f"open vocabulary `{name}` (see {CODE_LISTS_FILE}); any other value is accepted and kept "
            "verbatim, and data quality counts it as non-standard (rule code.standard)")


def _examples(name: str) -> dict[str, Any]:
    return {"examples": list(codes.CODE_LISTS[name])}


_RECORD_FIELDS: dict[str, _Patch] = {
    "type": ("The record type; selects the shape of `data`. Unknown types are quarantined as "
             "UNKNOWN_RECORD_TYPE.", {}),
    "ref": ("The sender's own id for the record, unique within (force, source, type); 1-64 "
            "characters after trimming surrounding spaces.", {}),
    "dataset": ("The dataset the record belongs to: " + _code_list("datasets")
                + ". Required for an upsert, absent for a delete.", _enum("datasets")),
    "handling": ("Government Security Classification marking: " + _code_list("handling")
                 + ". Required for an upsert, absent for a delete.", _enum("handling")),
    "sharing": ("Optional, upsert only: 'national' (visible to every force, within the access "
                "policy) or 'force' (the recording force only). When absent the dataset decides: "
                "intelligence stays with its force, every other dataset is shared nationally.",
                {"enum": ["force", "national"]}),
    "data": ("The record's content. Required for an upsert; a delete must not carry it "
             "(DELETE_WITH_DATA).", {}),
}

FIELD_NOTES: dict[str, dict[str, _Patch]] = {
    "Updategram": {
        "updategram": ("The interface version; always \"1\". Any other value is quarantined as "
                       "UNSUPPORTED_VERSION.", {}),
        "force": ("The sending organisation: " + _code_list("forces") + ".", _enum("forces")),
        "source": ("The sending system, free text, stable per system (e.g. NICHE-RMS); 1-64 "
                   "characters.", {}),
        "sequence": ("Integer (not a string), increasing per (force, source); 0 to 2^63-1. With "
                     "force and source it identifies the updategram.", {}),
        "issued_at": ("When the sending system issued the updategram. " + _PAST_DATETIME, {}),
        "op": ("`upsert` (create or replace the record's state) or `delete` (withdraw it): "
               + _code_list("ops") + ".", _enum("ops")),
        "record": ("The record: `type` and `ref` always; `dataset`, `handling` and `data` for an "
                   "upsert only.", {}),
    },
    **{f"{t.capitalize()}Record": _RECORD_FIELDS for t in models.DATA_MODELS},
    "MissingEpisodeRecord": _RECORD_FIELDS,
    "Ref": {
        "type": ("The target's record type: " + _code_list("record_types") + ".",
                 _enum("record_types")),
        "ref": ("The target's `record.ref` as its sender sent it; 1-64 characters.", {}),
        "force": ("The target's force, when it is not the sender's own: " + _code_list("forces") + ".",
                  _enum("forces")),
        "source": ("The target's sending system, when it is not the sender's own; 1-64 characters.",
                   {}),
    },
    "Name": {
        "given": ("Given names in order, at most 10, each 1-200 characters.", {}),
        "family": ("Family name, 1-200 characters. At least one name of a person must have one "
                   "(MISSING_FAMILY_NAME).", {}),
        "kind": ("What kind of name this is: " + _code_list("name_kinds") + ". Default `primary`.",
                 _enum("name_kinds")),
    },
    "PersonData": {
        "names": ("One to 50 names; at least one must have a `family` name, otherwise the line is "
                  "quarantined as MISSING_FAMILY_NAME.",
                  {"contains": {"type": "object", "required": ["family"],
                                "properties": {"family": {"type": "string"}}}}),
        "birth_dates": ("Dates of birth the person is known to use, at most 20. " + _PAST_DATE, {}),
        "sex": ("Sex: " + _code_list("sex") + ".", _enum("sex")),
        "pnc_id": ("Police National Computer ID, YYYY/NNNNNNNL. leds also checks the check "
                   "character L: the letter at position (last two digits of YYYY followed by the "
                   "7-digit serial, as a number) mod 23 in ZABCDEFGHJKLMNPQRTUVWXY; a wrong one is "
                   "quarantined as INVALID_PNC_ID. Lower case is accepted and upper-cased.",
                   {"pattern": PNC_ID_PATTERN}),
        "cro_number": ("Criminal Records Office number, NNNNNN/YYL or SFYY/NNNNNNL; otherwise "
                       "INVALID_CRO_NUMBER. Lower case is accepted and upper-cased.",
                       {"pattern": CRO_PATTERN}),
        "ethnicity_officer": ("Officer-defined ethnicity (IC code): " + _code_list("ethnicity_officer") + ".",
                              _enum("ethnicity_officer")),
        "height_cm": (f"Height in whole centimetres, {validators.HEIGHT_RANGE_CM[0]}-"
                      f"{validators.HEIGHT_RANGE_CM[1]}; otherwise HEIGHT_OUT_OF_RANGE.",
                      {"minimum": validators.HEIGHT_RANGE_CM[0], "maximum": validators.HEIGHT_RANGE_CM[1]}),
        "marks": ("Scars, marks and tattoos, free text, at most 50, each 1-500 characters.", {}),
        "place_of_birth": ("Place of birth, free text, 1-200 characters.", {}),
        "nationality": ("Nationality, free text, 1-200 characters.", {}),
    },
    "VehicleData": {
        "vrm": ("Vehicle registration mark. leds upper-cases it and drops spaces and hyphens, then "
                "checks it against the UK formats (current AB12CDE, prefix A123BCD, suffix ABC123D, "
                "dateless and Northern Irish ABZ1234 or 1234AB) when `country` is GB, or 1-10 "
                "letters and digits otherwise; a failure is INVALID_VRM.", {}),
        "make": ("Manufacturer, free text, 1-200 characters.", {}),
        "model": ("Model, free text, 1-200 characters.", {}),
        "colour": ("Colour, free text, 1-200 characters.", {}),
        "vin": ("Vehicle identification number: 11-17 letters and digits without I, O or Q; "
                "otherwise INVALID_VIN. Lower case is accepted and upper-cased.",
                {"pattern": VIN_PATTERN}),
        "country": ("ISO 3166-1 alpha-2 code of the registering country, upper case; default GB. "
                    "A country other than GB relaxes the VRM check.", {}),
    },
    "Address": {
        "lines": ("Address lines before the town, at most 6, each 1-200 characters.", {}),
        "town": ("Post town, 1-200 characters.", {}),
        "postcode": ("UK postcode to Royal Mail format rules (or GIR 0AA). leds upper-cases it and "
                     "stores it with one space before the inward code (ls14ap -> LS1 4AP); a "
                     "failure is INVALID_POSTCODE.", {"pattern": POSTCODE_PATTERN}),
    },
    "LocationData": {
        "address": ("A postal address.", {}),
        "uprn": ("Unique Property Reference Number, 1 to 999999999999.", {}),
        "lat": ("WGS84 latitude in degrees, -90 to 90; give `lon` with it.", {}),
        "lon": ("WGS84 longitude in degrees, -180 to 180; give `lat` with it.", {}),
    },
    "EventData": {
        "kind": ("What happened: " + _open_list("event_kinds") + ".", _examples("event_kinds")),
        "occurred_at": ("When it happened. " + _PAST_DATETIME, {}),
        "description": ("Free text, 1-20000 characters.", {}),
    },
    "MarkerData": {
        "subject": ("The record the marker warns about, usually a person.", {}),
        "code": ("The warning marker: " + _code_list("markers") + ".", _enum("markers")),
        "detail": ("Free text detail, at most 2000 characters.", {}),
        "valid_from": ("When the marker starts to apply. " + _PAST_DATE, {}),
        "valid_to": ("When the marker stops applying; an ISO date, which may be in the future.", {}),
    },
    "LinkData": {
        "from": ("The record the relationship starts from (e.g. the person).", {}),
        "to": ("The record the relationship points to (e.g. the vehicle).", {}),
        "role": ("The relationship: " + _open_list("link_roles") + ".", _examples("link_roles")),
        "valid_from": ("When the relationship started. " + _PAST_DATE, {}),
        "valid_to": ("When the relationship ended or ends; an ISO date, which may be in the future.",
                     {}),
    },
    "MissingEpisodeData": {
        "subject": ("The missing person's record (type person; it may name another force or source).", {}),
        "reported_at": ("When the person was reported missing; not before `last_seen.at` "
                        "(LAST_SEEN_AFTER_REPORTED). " + _PAST_DATETIME, {}),
        "last_seen": ("When, where and how the person was last seen.", {}),
        "risk": ("Risk grade (College of Policing APP): " + _code_list("missing_risk") + ".",
                 _enum("missing_risk")),
        "vulnerabilities": ("Open vocabulary, e.g. child, looked_after, dementia, mental_health; at most 20, "
                            "each 1-200 characters. Sensitive: shown only to roles that need it.", {}),
        "circumstances": ("Free text, 1-20000 characters. Sensitive: shown only to roles that need it.", {}),
        "status": ("Status: " + _code_list("missing_status") + ". `found` needs `found.at` "
                   "(FOUND_WITHOUT_TIME).", _enum("missing_status")),
        "found": ("Where, when and by whom the person was found; `found.at` not before `reported_at` "
                  "(FOUND_BEFORE_REPORTED).", {}),
        "return_interview": ("When the return home interview was held (due within 72 hours of a "
                             "child's return).", {}),
        "contact": ("Whom to contact about this episode, free text, 1-200 characters.", {}),
        "recorded_by": ("Who made this version (re-grading, status change), 1-200 characters.", {}),
        "rationale": ("Why this version was made (the re-grading's reasons), 1-20000 characters.", {}),
    },
    "LastSeen": {
        "at": ("When the person was last seen. " + _PAST_DATETIME, {}),
        "place": ("Where, free text, 1-200 characters.", {}),
        "postcode": ("UK postcode (INVALID_POSTCODE otherwise), normalised like an address's.",
                     {"pattern": POSTCODE_PATTERN}),
        "description": ("Clothing and appearance, free text, 1-20000 characters.", {}),
    },
    "Found": {
        "at": ("When the person was found; required when `status` is `found`. " + _PAST_DATETIME, {}),
        "place": ("Where, free text, 1-200 characters.", {}),
        "force": ("The force that found the person: " + _code_list("forces") + ".", _enum("forces")),
        "circumstances": ("How the person was found, free text, 1-20000 characters.", {}),
    },
    "ReturnInterview": {
        "at": ("When the return home interview was held. " + _PAST_DATETIME, {}),
        "by": ("Who held it, free text, 1-200 characters.", {}),
    },
}

MODEL_NOTES: dict[str, str] = {
    "Updategram": "One line of an updategram file: an envelope around one record.",
    "Ref": ("A reference to another record. `force` and `source` default to the sender's own. "
            "A reference to a record leds has not received yet is accepted and parked until the "
            "target arrives."),
    "Name": "One name of a person.",
    "Address": "A postal address.",
    "PersonData": "A person (nominal). Only `names` is required. Unknown fields: UNKNOWN_FIELD.",
    "VehicleData": "A vehicle. Only `vrm` is required. Unknown fields: UNKNOWN_FIELD.",
    "LocationData": ("A location: an address, a UPRN, or both latitude and longitude, at least one "
                     "of them (MISSING_LOCATION). Unknown fields: UNKNOWN_FIELD."),
    "EventData": ("Something that happened. Beyond `kind`, `occurred_at` and `description` an "
                  "event may carry kind-specific fields of any JSON type; they are kept as sent."),
    "MarkerData": "A warning marker on a subject. Unknown fields: UNKNOWN_FIELD.",
    "LinkData": "A relationship between two records. Unknown fields: UNKNOWN_FIELD.",
    "MissingEpisodeData": ("One missing-person episode. Its later states (re-graded, found, closed) are new "
                           "versions of the same record. Unknown fields: UNKNOWN_FIELD."),
    "LastSeen": "When and where a missing person was last seen.",
    "Found": "When and where a missing person was found.",
    "ReturnInterview": "The return home interview after a missing episode.",
    **{f"{t.capitalize()}Record": f"A {t} record: `type` \"{t}\", `ref`, and for an upsert "
       "`dataset`, `handling` and `data`." for t in models.DATA_MODELS},
    "MissingEpisodeRecord": ("A missing_episode record: `type` \"missing_episode\", `ref`, and for an upsert "
                             "`dataset` (missing), `handling` and `data`."),
}

# Rules that span fields, added to a model's object schema.
MODEL_EXTRAS: dict[str, dict[str, Any]] = {
    "VehicleData": {
        "if": {"required": ["country"], "properties": {"country": {"not": {"const": "GB"}}}},
        "then": {"properties": {"vrm": {"pattern": FOREIGN_VRM_PATTERN}}},
        "else": {"properties": {"vrm": {"pattern": GB_VRM_PATTERN}}},
    },
    "LocationData": {
        "anyOf": [
            {"required": ["address"], "properties": {"address": {"type": "object"}}},
            {"required": ["uprn"], "properties": {"uprn": {"type": "integer"}}},
            {"required": ["lat", "lon"],
             "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
        ],
    },
    "Updategram": {
        "if": {"required": ["op"], "properties": {"op": {"const": "upsert"}}},
        "then": {"properties": {"record": {
            "required": ["dataset", "handling", "data"],
            "properties": {"dataset": {"type": "string"}, "handling": {"type": "string"},
                           "data": {"type": "object"}},
        }}},
        "else": {"properties": {"record": {
            "properties": {"dataset": {"type": "null"}, "handling": {"type": "null"},
                           "sharing": {"type": "null"}, "data": {"type": "null"}},
        }}},
    },
}

CODE_LIST_NOTES: dict[str, str] = {
    "forces": "Sending organisations: `force` in the envelope and in references.",
    "markers": "Warning markers: `code` of a marker.",
    "handling": "Government Security Classification markings: `record.handling`.",
    "sex": "Sex of a person: `sex`.",
    "ethnicity_officer": "Officer-defined ethnicity (the IC codes used on the PNC): `ethnicity_officer`.",
    "name_kinds": "Kinds of name: `kind` of a person's name.",
    "datasets": "Datasets a record belongs to: `record.dataset`.",
    "event_kinds": "Kinds of event: `kind` of an event.",
    "link_roles": "Relationships between records: `role` of a link.",
    "record_types": "Record types: `record.type` and `type` in references.",
    "ops": "Operations: `op` in the envelope.",
    "missing_risk": "Risk grades of a missing person: `risk` of a missing episode.",
    "missing_status": "Status of a missing episode: `status`.",
}


# --- post-processing ------------------------------------------------------------------------
def _value(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property."""
    branches = prop.get("anyOf")
    if branches:
        non_null = [b for b in branches if b.get("type") != "null"]
        if len(non_null) == 1:
            return non_null[0]
    return prop


def _patch_model(name: str, schema: dict[str, Any]) -> None:
    if name in MODEL_NOTES:
        schema["description"] = MODEL_NOTES[name]
    for field, (description, extra) in FIELD_NOTES.get(name, {}).items():
        prop = schema["properties"][field]
        _value(prop).update(copy.deepcopy(extra))
        prop["description"] = description
    for key, value in MODEL_EXTRAS.get(name, {}).items():
        schema[key] = copy.deepcopy(value)


def _drop_discriminator(node: Any) -> None:
    """Remove OpenAPI's ``discriminator`` keyword: ``oneOf`` with a ``const`` type says it."""
    if isinstance(node, dict):
        node.pop("discriminator", None)
        for v in node.values():
            _drop_discriminator(v)
    elif isinstance(node, list):
        for v in node:
            _drop_discriminator(v)


def model_schema(model: type[BaseModel], *, file: str, title: str) -> dict[str, Any]:
    """The JSON Schema of ``model``, with the checks Pydantic cannot express added."""
    schema = model.model_json_schema(by_alias=True)
    _patch_model(model.__name__, schema)
    for name, sub in schema.get("$defs", {}).items():
        _patch_model(name, sub)
    _drop_discriminator(schema)
    description = schema.get("description", "")
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + file,
        **schema,
        "title": title,
        "description": (f"{description} National data standard v{STANDARD_VERSION}, published "
                        "by leds (`leds standard export`).").strip(),
    }


def updategram_schema() -> dict[str, Any]:
    return model_schema(models.Updategram, file=UPDATEGRAM_FILE,
                        title=f"leds updategram, national data standard v{STANDARD_VERSION}")


def data_schema(record_type: str) -> dict[str, Any]:
    """The schema of ``record.data`` for one record type."""
    return model_schema(models.DATA_MODELS[record_type], file=data_file(record_type),
                        title=f"leds {record_type} record data, national data standard v{STANDARD_VERSION}")


def code_lists_document() -> dict[str, Any]:
    """Every code list, as a schema whose ``$defs`` can be referenced one list at a time
    (``code-lists.json#/$defs/forces``); each code carries its meaning."""
    return {
        "$schema": DIALECT,
        "$id": BASE_URI + CODE_LISTS_FILE,
        "title": f"leds code lists, national data standard v{STANDARD_VERSION}",
        "description": ("Every code list of the national data standard. Each entry of $defs is one "
                        "list: the codes are the `const` values, each with its meaning as "
                        "`description`."),
        "$defs": {
            name: {
                "title": name,
                "description": CODE_LIST_NOTES.get(name, name),
                "type": "string",
                "oneOf": [{"const": code, "description": meaning} for code, meaning in entries.items()],
            }
            for name, entries in codes.CODE_LISTS.items()
        },
    }


def documents() -> dict[str, dict[str, Any]]:
    """Every published document by file name, in publishing order."""
    docs = {UPDATEGRAM_FILE: updategram_schema()}
    for record_type in models.DATA_MODELS:
        docs[data_file(record_type)] = data_schema(record_type)
    docs[CODE_LISTS_FILE] = code_lists_document()
    return docs


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def export(dir: Path) -> list[Path]:
    """Write every schema and the code lists into ``dir`` (created if needed); return the paths."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, document in documents().items():
        path = dir / name
        path.write_text(dumps(document), encoding="utf-8")
        written.append(path)
    return written

"""A data sharing agreement as a JSON document, and its published JSON Schema.

The schema follows what the ICO's data sharing code (2021) says an agreement should record:
the parties, the purpose, the lawful basis (for law enforcement, Part 3 of the DPA 2018), the
data items (the minimum needed: datasets, record types and the fields allowed), the forces and
period covered, handling (special-category and criminal-offence data), individuals' rights,
retention by the recipient, security, the disclosure control each export must pass, the review
date, expiry and the signatories.  ``leds sharing schema`` prints it; the web wizard is built
from it.

:func:`validate` reports *every* error at once, each with the JSON path of the field
(``$.lawful_basis``, ``$.record_types.event.fields[2]``), and refuses an agreement without a
lawful basis, a retention period or a review date.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from leds.errors import BadRequest
from leds.standard.codes import DATASETS, FORCES, HANDLING_ORDER, RECORD_TYPES

ID_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,39}$"
MAX_DOCUMENT = 256 * 1024
_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # no control characters (tab and newlines allowed)
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": _PRINTABLE}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": _PRINTABLE}
_FIELD = {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,63}$"}
GENERALISE = ("year", "month", "day")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://leds.example/schemas/sharing-agreement-v1.json",
    "title": "Data sharing agreement (leds, v1)",
    "description": "A data sharing agreement under the ICO data sharing code (2021). leds enforces it: "
                   "an export contains only what it allows.",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "parties", "purpose", "lawful_basis", "datasets", "record_types", "forces",
                 "period", "handling", "retention", "security", "disclosure_control", "review_date", "expires",
                 "signatories"],
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN, "description": "The agreement's reference, e.g. DSA-2026-001."},
        "title": _NAME,
        "version": {"type": "integer", "minimum": 1, "maximum": 999},
        "parties": {
            "type": "array", "minItems": 2, "maxItems": 20,
            "description": "Who discloses and who receives (controllers, joint controllers, processors).",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "role"],
                "properties": {
                    "name": _NAME,
                    "role": {"enum": ["discloser", "recipient", "processor"]},
                    "force": {"enum": sorted(FORCES)},
                    "ico_registration": {"type": "string", "pattern": r"^[A-Z]{1,2}[0-9]{6,8}$"},
                    "contact": {"type": "string", "format": "email", "maxLength": 200},
                },
            },
        },
        "purpose": {
            "type": "object", "additionalProperties": False, "required": ["description"],
            "properties": {"description": _TEXT,
                           "benefits": {"type": "array", "maxItems": 20, "items": _TEXT}},
        },
        "lawful_basis": {
            "type": "object", "additionalProperties": False, "required": ["regime", "basis"],
            "description": "For law enforcement processing, Part 3 of the DPA 2018 (s35 and a Schedule 8 "
                           "condition for sensitive processing).",
            "properties": {
                "regime": {"enum": ["DPA 2018 Part 3", "UK GDPR", "DPA 2018 Part 4"]},
                "basis": _TEXT,
                "statutory_gateway": _TEXT,
                "sensitive_processing_condition": _TEXT,
                "criminal_offence_data": _TEXT,
            },
        },
        "datasets": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": sorted(DATASETS)}},
        "record_types": {
            "type": "object", "minProperties": 1, "additionalProperties": False,
            "description": "The record types shared and, for each, the only fields an export may contain.",
            "properties": {t: {
                "type": "object", "additionalProperties": False, "required": ["fields"],
                "properties": {
                    "fields": {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True, "items": _FIELD},
                    "kinds": {"type": "array", "maxItems": 50, "items": _FIELD,
                              "description": "For events: only these kinds (crime, stop_search, ...)."},
                    "generalise": {"type": "object", "additionalProperties": {"enum": list(GENERALISE)},
                                   "propertyNames": _FIELD,
                                   "description": "Dates cut to year, month or day before export."},
                }} for t in sorted(RECORD_TYPES)},
        },
        "forces": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": sorted(FORCES)}},
        "period": {
            "type": "object", "additionalProperties": False, "required": ["from", "to"],
            "description": "Records whose event time (or, for other records, the time sent) falls in this period.",
            "properties": {"from": _DATE, "to": _DATE},
        },
        "handling": {
            "type": "object", "additionalProperties": False, "required": ["max_classification"],
            "properties": {
                "max_classification": {"enum": list(HANDLING_ORDER)},
                "special_category_data": {"type": "boolean"},
                "criminal_offence_data": {"type": "boolean"},
                "onward_sharing": {"type": "boolean"},
                "individuals_rights": _TEXT,
            },
        },
        "retention": {
            "type": "object", "additionalProperties": False, "required": ["period_days", "disposal"],
            "description": "How long the recipient keeps the data, and how it is destroyed.",
            "properties": {"period_days": {"type": "integer", "minimum": 1, "maximum": 36500},
                           "disposal": _TEXT},
        },
        "security": {
            "type": "object", "additionalProperties": False, "required": ["transfer", "storage"],
            "properties": {"transfer": _TEXT, "storage": _TEXT, "access_controls": _TEXT, "breach_contact": _TEXT},
        },
        "disclosure_control": {
            "type": "object", "additionalProperties": False, "required": ["level"],
            "description": "The check every export passes before anything leaves: k-anonymity on the "
                           "quasi-identifiers for record-level extracts, a minimum cell size for aggregates.",
            "properties": {
                "level": {"enum": ["record", "aggregate"]},
                "k": {"type": "integer", "minimum": 2, "maximum": 1000},
                "quasi_identifiers": {"type": "array", "maxItems": 20, "uniqueItems": True, "items": _FIELD},
                "min_cell": {"type": "integer", "minimum": 2, "maximum": 1000},
                "group_by": {"type": "array", "minItems": 1, "maxItems": 10, "uniqueItems": True, "items": _FIELD},
                "suppress": {"type": "boolean",
                             "description": "Drop the rows of small classes (true) or refuse the export (false)."},
            },
        },
        "review_date": _DATE,
        "expires": _DATE,
        "signatories": {
            "type": "array", "minItems": 1, "maxItems": 20,
            "items": {"type": "object", "additionalProperties": False, "required": ["name", "role", "organisation"],
                      "properties": {"name": _NAME, "role": _NAME, "organisation": _NAME, "signed_on": _DATE}},
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
# What a refusal for a missing part says: the three the issue names first.
_REQUIRED_WHY = {
    "lawful_basis": "an agreement needs a lawful basis (for law enforcement: DPA 2018 Part 3)",
    "retention": "an agreement needs the recipient's retention period and how the data is disposed of",
    "review_date": "an agreement needs a review date",
}


class AgreementInvalid(BadRequest):
    """The agreement fails its schema; ``errors`` lists every failure with the field's path."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__(f"the agreement has {len(errors)} error(s): "
                         + "; ".join(f"{e['path']}: {e['message']}" for e in errors[:50]))


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def validate(doc: Any) -> list[dict[str, str]]:
    """Every error in ``doc``, as ``{"path", "message"}``, sorted by path: its schema errors,
    then (when it meets the schema) its :func:`problems`; empty when it is valid."""
    errors = schema_errors(doc)
    return errors or problems(doc)


def schema_errors(doc: Any) -> list[dict[str, str]]:
    """Every way ``doc`` fails the published schema, with the field's path, sorted by path."""
    errors: list[dict[str, str]] = []
    for e in _VALIDATOR.iter_errors(doc):
        path = list(e.absolute_path)
        if e.validator == "required":
            missing = [m for m in e.validator_value if isinstance(e.instance, dict) and m not in e.instance]
            for m in missing:
                errors.append({"path": _path([*path, m]),
                               "message": _REQUIRED_WHY.get(m, f"'{m}' is required") if not path
                               else f"'{m}' is required"})
            continue
        if e.validator == "additionalProperties":
            errors.append({"path": _path(path), "message": e.message.replace("Additional properties", "unknown fields")})
            continue
        msg = f"{e.instance!r} is not one of the allowed values" if e.validator == "enum" else e.message
        if e.validator == "pattern" and e.validator_value == _PRINTABLE:
            msg = "contains a control character, which is not allowed"
        msg = msg if len(msg) <= 300 else msg[:297] + "..."
        errors.append({"path": _path(path), "message": msg})
    unique = {(e["path"], e["message"]): e for e in errors}  # one "required" error names every missing field
    return sorted(unique.values(), key=lambda x: x["path"])


def problems(doc: dict[str, Any]) -> list[dict[str, str]]:
    """What JSON Schema cannot say, for a document that meets the schema: dates in order, a
    discloser and a recipient, the disclosure control naming only fields the agreement allows.
    An agreement with problems may be kept as a draft (so the published schema is exactly what
    the register accepts) but cannot be approved."""
    return sorted(_semantic(doc), key=lambda x: x["path"])


def _semantic(doc: dict[str, Any]) -> list[dict[str, str]]:
    errs = []
    period = doc["period"]
    try:
        frm, to = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
        review, expires = date.fromisoformat(doc["review_date"]), date.fromisoformat(doc["expires"])
    except ValueError as exc:
        return [{"path": "$.period", "message": f"not a date: {exc}"}]
    if to < frm:
        errs.append({"path": "$.period.to", "message": f"the period ends ({to}) before it starts ({frm})"})
    if review > expires:
        errs.append({"path": "$.review_date", "message": f"the review date ({review}) is after expiry ({expires})"})
    roles = [p["role"] for p in doc["parties"]]
    if "discloser" not in roles:
        errs.append({"path": "$.parties", "message": "no party discloses (role 'discloser')"})
    if "recipient" not in roles:
        errs.append({"path": "$.parties", "message": "no party receives (role 'recipient')"})
    allowed = {f for spec in doc["record_types"].values() for f in spec["fields"]}
    dc = doc["disclosure_control"]
    if dc["level"] == "record":
        if "k" not in dc:
            errs.append({"path": "$.disclosure_control.k", "message": "a record-level extract needs k (k-anonymity)"})
        if not dc.get("quasi_identifiers"):
            errs.append({"path": "$.disclosure_control.quasi_identifiers",
                         "message": "a record-level extract names its quasi-identifiers"})
    else:
        if "min_cell" not in dc:
            errs.append({"path": "$.disclosure_control.min_cell", "message": "an aggregate needs a minimum cell size"})
        if not dc.get("group_by"):
            errs.append({"path": "$.disclosure_control.group_by", "message": "an aggregate names what it counts by"})
    for key in ("quasi_identifiers", "group_by"):
        for i, f in enumerate(dc.get(key, ())):
            if f not in allowed and f not in ("force", "dataset"):
                errs.append({"path": f"$.disclosure_control.{key}[{i}]",
                             "message": f"'{f}' is not among the fields the agreement allows"})
    for t, spec in doc["record_types"].items():
        for f in spec.get("generalise", {}):
            if f not in spec["fields"]:
                errs.append({"path": f"$.record_types.{t}.generalise.{f}",
                             "message": f"'{f}' is generalised but not an allowed field"})
    return errs


def parse_document(doc: Any) -> dict[str, Any]:
    """``doc`` (already parsed JSON) checked against the schema; raises :class:`AgreementInvalid`."""
    errors = schema_errors(doc)
    if errors:
        raise AgreementInvalid(errors)
    return doc  # type: ignore[no-any-return]


def parse(raw: bytes | str) -> dict[str, Any]:
    """The agreement in ``raw`` (JSON), checked against the schema; raises
    :class:`AgreementInvalid` with every error (its :func:`problems` are left to approval)."""
    if len(raw) > MAX_DOCUMENT:
        raise BadRequest(f"an agreement is at most {MAX_DOCUMENT // 1024} KiB")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AgreementInvalid([{"path": "$", "message": f"not JSON: {exc}"}]) from exc
    return parse_document(doc)


def canonical(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(doc)).hexdigest()


def recipient(doc: dict[str, Any]) -> str:
    return next((p["name"] for p in doc["parties"] if p["role"] == "recipient"), "(no recipient named)")


def discloser_force(doc: dict[str, Any]) -> str | None:
    return next((p.get("force") for p in doc["parties"] if p["role"] == "discloser" and p.get("force")), None)


def example() -> dict[str, Any]:
    """A complete agreement: the wizard's starting point and the tests' base."""
    return {
        "id": "DSA-2026-001",
        "title": "Retail crime partnership: shop theft in West Yorkshire",
        "version": 1,
        "parties": [
            {"name": "West Yorkshire Police", "role": "discloser", "force": "WYP", "contact": "dpo@wyp.example"},
            {"name": "Leeds Retail Crime Partnership", "role": "recipient", "ico_registration": "ZA123456",
             "contact": "data@lrcp.example"},
        ],
        "purpose": {"description": "Prevent and detect shop theft in Leeds city centre by sharing patterns of "
                                   "reported offences (no personal data).",
                    "benefits": ["fewer repeat offences at member stores"]},
        "lawful_basis": {"regime": "DPA 2018 Part 3", "basis": "s35(2)(b): necessary for a law enforcement "
                         "purpose, performed by a competent authority",
                         "statutory_gateway": "Crime and Disorder Act 1998 s115"},
        "datasets": ["crime"],
        "record_types": {"event": {"fields": ["kind", "occurred_at", "category", "outcome"], "kinds": ["crime"],
                                   "generalise": {"occurred_at": "month"}}},
        "forces": ["WYP"],
        "period": {"from": "2024-01-01", "to": "2024-12-31"},
        "handling": {"max_classification": "OFFICIAL-SENSITIVE", "special_category_data": False,
                     "criminal_offence_data": True, "onward_sharing": False,
                     "individuals_rights": "Requests are passed to West Yorkshire Police's DPO within 5 days."},
        "retention": {"period_days": 365, "disposal": "secure deletion; certificate to the discloser"},
        "security": {"transfer": "leds signed export over an encrypted channel",
                     "storage": "encrypted at rest, UK only", "access_controls": "named analysts only"},
        "disclosure_control": {"level": "record", "k": 3, "quasi_identifiers": ["category", "occurred_at"],
                               "suppress": True},
        "review_date": "2027-06-30",
        "expires": "2028-12-31",
        "signatories": [{"name": "A. Officer", "role": "Data Protection Officer",
                         "organisation": "West Yorkshire Police", "signed_on": "2026-01-10"}],
    }

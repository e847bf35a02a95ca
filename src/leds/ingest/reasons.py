"""Machine-readable reason codes for quarantined lines, and readable messages.

Validators raise errors whose type is the reason code in lower case; this
module turns Pydantic's errors into ``(codes, message)`` and publishes the list
(``leds quarantine reasons``).
"""

from __future__ import annotations

from pydantic import ValidationError

REASONS: dict[str, str] = {
    "MALFORMED_JSON": "the line is not a JSON object",
    "ENCODING": "the line is not valid UTF-8",
    "LINE_TOO_LONG": "the line exceeds the maximum updategram size",
    "UNSUPPORTED_VERSION": "the updategram version is not one this service accepts",
    "UNKNOWN_RECORD_TYPE": "record.type is not a known record type",
    "MISSING_FIELD": "a required field is absent",
    "UNKNOWN_FIELD": "a field that the standard does not define",
    "UNKNOWN_FORCE": "the force code is not in the forces code list",
    "INVALID_CODE": "a value is not in its code list",
    "INVALID_POSTCODE": "not a valid UK postcode",
    "INVALID_VRM": "not a valid UK vehicle registration mark",
    "INVALID_VIN": "not a valid vehicle identification number",
    "INVALID_PNC_ID": "not a PNC ID, or its check character is wrong",
    "INVALID_CRO_NUMBER": "not a CRO number",
    "INVALID_DATE": "not a valid date, or implausibly early",
    "FUTURE_DATE": "a date or time in the future",
    "HEIGHT_OUT_OF_RANGE": "a height outside the human range",
    "MISSING_FAMILY_NAME": "no name carries a family name",
    "MISSING_LOCATION": "a location with no address, UPRN or coordinates",
    "DELETE_WITH_DATA": "a delete that carries record data",
    "INVALID_PERIOD": "valid_to is before valid_from",
    "INVALID_VALUE": "a value of the wrong type or out of range",
    "CONFLICT": "the same force, source and sequence was received before with different content",
    "RECORD_ERASED": "the record's personal data was lawfully erased; it cannot be updated",
    "NOT_AUTHORISED": "the sender may not submit for this force",
    "FOUND_WITHOUT_TIME": "a missing-person episode with status found and no found.at",
    "LAST_SEEN_AFTER_REPORTED": "a missing person last seen after they were reported missing",
    "FOUND_BEFORE_REPORTED": "a missing person found before they were reported missing",
}

_BUILTIN = {
    "json_invalid": "MALFORMED_JSON",
    "json_type": "MALFORMED_JSON",
    "model_type": "MALFORMED_JSON",
    "missing": "MISSING_FIELD",
    "union_tag_not_found": "MISSING_FIELD",
    "union_tag_invalid": "UNKNOWN_RECORD_TYPE",
    "extra_forbidden": "UNKNOWN_FIELD",
    "date_from_datetime_parsing": "INVALID_DATE",
    "date_from_datetime_inexact": "INVALID_DATE",
    "date_parsing": "INVALID_DATE",
    "date_type": "INVALID_DATE",
    "datetime_parsing": "INVALID_DATE",
    "datetime_from_date_parsing": "INVALID_DATE",
    "datetime_type": "INVALID_DATE",
    "date_from_datetime_inexact_strict": "INVALID_DATE",
    "invalid_code": "INVALID_CODE",
}


def _where(loc: tuple[int | str, ...]) -> str:
    # Pydantic puts the union tag in the path ("record.person.data"); drop it.
    parts = [str(p) for p in loc if p not in ("person", "vehicle", "location", "event", "marker", "link",
                                                 "missing_episode")]
    return ".".join(parts) or "(line)"


def classify(exc: ValidationError) -> tuple[list[str], str]:
    codes: list[str] = []
    messages: list[str] = []
    for err in exc.errors(include_url=False, include_input=False):
        etype = err["type"]
        loc = tuple(err.get("loc", ()))
        if etype == "literal_error" and loc == ("updategram",):
            code = "UNSUPPORTED_VERSION"
        else:
            code = _BUILTIN.get(etype) or (etype.upper() if etype.upper() in REASONS else "INVALID_VALUE")
        if code not in codes:
            codes.append(code)
        messages.append(f"{_where(loc)}: {err['msg']}")
    return codes, "; ".join(messages)

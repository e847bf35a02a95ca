"""Validators for the formats police data actually has.

Each failing check raises ``PydanticCustomError`` whose *type* is the
machine-readable reason code that quarantine records (``invalid_postcode``
becomes ``INVALID_POSTCODE``), and whose message says what was wrong.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic_core import PydanticCustomError

# --- clock -----------------------------------------------------------------
# Validation of "not in the future" needs a clock; tests replace it.
_clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731

# A sender's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_DATE = date(1880, 1, 1)


def set_clock(clock: Callable[[], datetime]) -> None:
    global _clock, _cached
    _clock = clock
    _cached = (0.0, datetime.min)


_cached: tuple[float, datetime] = (0.0, datetime.min)


def now() -> datetime:
    """The clock, read at most every 100 ms: validation asks for it per field."""
    global _cached
    t = time.monotonic()
    if t - _cached[0] > 0.1:
        _cached = (t, _clock())
    return _cached[1]


_LONDON = ZoneInfo("Europe/London")


def today() -> date:
    """Today in the UK: a date recorded just after midnight BST is not in the future."""
    return now().astimezone(_LONDON).date()


# --- postcodes -------------------------------------------------------------
# Royal Mail format rules: outward code letters by position, inward code
# letters exclude C I K M O V.  GIR 0AA is the one historic exception.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
POSTCODE_RE = re.compile(rf"^(?:({_OUTWARD})({_INWARD})|(GIR)(0AA))$")


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    m = POSTCODE_RE.match(compact)
    if not m:
        raise PydanticCustomError(
            "invalid_postcode",
            "'{value}' is not a valid UK postcode (expected e.g. LS1 4AP)",
            {"value": value[:40]},
        )
    outward = m.group(1) or m.group(3)
    inward = m.group(2) or m.group(4)
    return f"{outward} {inward}"


def postcode_area(postcode: str) -> str:
    """The letters that start a postcode: 'LS' for 'LS1 4AP'."""
    m = re.match(r"[A-Z]+", postcode)
    return m.group(0) if m else ""


def postcode_district(postcode: str) -> str:
    """The outward code: 'LS1' for 'LS1 4AP'."""
    return postcode.split(" ", 1)[0]


# --- vehicle registration marks -------------------------------------------
_VRM_PATTERNS = [
    re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z]{3}$"),  # current, since 2001: AB12 CDE
    re.compile(r"^[A-Z][0-9]{1,3}[A-Z]{3}$"),  # prefix, 1983-2001: A123 BCD
    re.compile(r"^[A-Z]{3}[0-9]{1,3}[A-Z]$"),  # suffix, 1963-1983: ABC 123D
    re.compile(r"^[A-Z]{1,3}[0-9]{1,4}$"),  # dateless, and Northern Ireland
    re.compile(r"^[0-9]{1,4}[A-Z]{1,3}$"),  # dateless, reversed
]
_FOREIGN_VRM = re.compile(r"^[A-Z0-9]{1,10}$")


def compact_vrm(value: str) -> str:
    """VRM normalisation: upper-case, spaces and hyphens dropped."""
    return re.sub(r"[\s\-]+", "", value).upper()


def normalise_vrm(value: str, *, foreign: bool = False) -> str:
    vrm = compact_vrm(value)
    patterns = [_FOREIGN_VRM] if foreign else _VRM_PATTERNS
    if not any(p.match(vrm) for p in patterns):
        raise PydanticCustomError(
            "invalid_vrm",
            "'{value}' is not a valid UK registration mark",
            {"value": value[:20]},
        )
    return vrm


# --- PNC ID -----------------------------------------------------------------
# Format YYYY/NNNNNNNL.  The check character indexes this alphabet with
# (last two digits of the year followed by the 7-digit serial) mod 23, as
# implemented in the Ministry of Justice's public hmpps-person-record service.
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
PNC_RE = re.compile(r"^([0-9]{4})/([0-9]{7})([A-Z])$")


def pnc_check_char(year: int, serial: int) -> str:
    return PNC_CHECK_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def format_pnc_id(year: int, serial: int) -> str:
    return f"{year:04d}/{serial:07d}{pnc_check_char(year, serial)}"


def normalise_pnc_id(value: str) -> str:
    pnc = value.strip().upper()
    m = PNC_RE.match(pnc)
    if not m:
        raise PydanticCustomError(
            "invalid_pnc_id",
            "'{value}' is not a PNC ID of the form YYYY/NNNNNNNL",
            {"value": value[:20]},
        )
    year, serial, check = int(m.group(1)), int(m.group(2)), m.group(3)
    expected = pnc_check_char(year, serial)
    if check != expected:
        raise PydanticCustomError(
            "invalid_pnc_id",
            "PNC ID '{value}' has check character {check}, expected {expected}",
            {"value": pnc, "check": check, "expected": expected},
        )
    return pnc


# --- dates and measures -----------------------------------------------------
def date_text(value: object) -> object:
    """For a date sent in an API body: text (YYYY-MM-DD) as the schema says, never a number
    (pydantic would read one as seconds since 1970: the contract test sent ``-2.3e-104``)."""
    if not isinstance(value, (str, date)):
        raise ValueError("enter a date as YYYY-MM-DD")
    return value


def past_date(value: date) -> date:
    if value > today():
        raise PydanticCustomError(
            "future_date", "date {value} is in the future", {"value": value.isoformat()}
        )
    if value < EARLIEST_DATE:
        raise PydanticCustomError(
            "invalid_date",
            "date {value} is before {earliest}",
            {"value": value.isoformat(), "earliest": EARLIEST_DATE.isoformat()},
        )
    return value


def past_datetime(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value > now() + CLOCK_SKEW:
        raise PydanticCustomError(
            "future_date", "time {value} is in the future", {"value": value.isoformat()}
        )
    if value.date() < EARLIEST_DATE:
        raise PydanticCustomError(
            "invalid_date", "time {value} is implausibly early", {"value": value.isoformat()}
        )
    return value


HEIGHT_RANGE_CM = (40, 260)


def human_height(value: int) -> int:
    lo, hi = HEIGHT_RANGE_CM
    if not lo <= value <= hi:
        raise PydanticCustomError(
            "height_out_of_range",
            "height {value} cm is outside the human range {lo}-{hi} cm",
            {"value": value, "lo": lo, "hi": hi},
        )
    return value


def code_in(list_name: str, codes: dict[str, str], reason: str = "invalid_code") -> Callable[[str], str]:
    """A validator that accepts only codes from a published code list."""

    def check(value: str) -> str:
        if value not in codes:
            raise PydanticCustomError(
                reason,
                "'{value}' is not in the {list} code list",
                {"value": str(value)[:40], "list": list_name},
            )
        return value

    return check

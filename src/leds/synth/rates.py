"""How often each kind of variation is applied to a copy of a person's record.

A *copy* is one person record in one (force, source) system.  Every rate is the chance
that the variation is applied to a copy that is *eligible* for it: ``mc_mac`` can only
touch a name that starts Mc, Mac or O', ``maiden_name`` only a woman who changed her
name on marriage.  The manifest reports, per variation, the configured rate, how many
copies were eligible, how many had it applied, and the realised rate (applied/eligible).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class VariationRates:
    # names
    typo: float = 0.08  # one typing error in the family or first given name
    nickname: float = 0.12  # first given name as a nickname, short form or spelling variant
    surname_variant: float = 0.10  # family name in another spelling (Thomson/Thompson, Chen/Chan)
    mc_mac: float = 0.30  # Mc/Mac and O'/O written another way
    surname_part: float = 0.35  # hyphenated or double-barrelled family name recorded in part
    maiden_name: float = 0.35  # a married woman recorded under her maiden name
    diacritics: float = 0.60  # accents dropped (Michał -> Michal)
    name_swap: float = 0.02  # given and family names swapped
    alias: float = 0.06  # an alias name (and sometimes a second date of birth) added
    # dates of birth
    dob_swap: float = 0.02  # day and month transposed
    dob_year: float = 0.02  # year of birth off by one
    missing_dob: float = 0.04  # no date of birth recorded
    # other fields
    missing_fields: float = 0.25  # some of sex, ethnicity, height, marks, middle names left out
    duplicate: float = 0.03  # the person recorded twice in the same system
    # identifiers present on a copy (not variations: they make matching easier)
    pnc_id: float = 0.60  # a copy of someone who has a PNC ID carries it (PNC-NOMINAL always does)
    cro_number: float = 0.40  # a copy of someone who has a CRO number carries it

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"rate {f.name}={value!r} must be between 0 and 1")

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    def with_overrides(self, overrides: dict[str, float]) -> VariationRates:
        unknown = sorted(set(overrides) - set(RATE_NAMES))
        if unknown:
            raise ValueError(
                f"unknown rate name(s) {', '.join(unknown)}; valid names: {', '.join(RATE_NAMES)}"
            )
        updated = replace(self, **overrides)
        updated.validate()
        return updated


RATE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(VariationRates))
# The rates that are variations (written to variations.csv); the rest are identifier presence.
VARIATION_NAMES: tuple[str, ...] = tuple(n for n in RATE_NAMES if n not in ("pnc_id", "cro_number"))
IDENTIFIER_NAMES: tuple[str, ...] = ("pnc_id", "cro_number")


def parse_rate_options(options: list[str] | tuple[str, ...] | None) -> dict[str, float]:
    """``["typo=0.1", "alias=0"]`` -> ``{"typo": 0.1, "alias": 0.0}``, with messages a
    user can act on."""
    result: dict[str, float] = {}
    for option in options or ():
        name, sep, raw = option.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"expected name=value, got {option!r}")
        if name not in RATE_NAMES:
            raise ValueError(f"unknown rate name {name!r}; valid names: {', '.join(RATE_NAMES)}")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{name}: {raw.strip()!r} is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}={value} is outside 0..1")
        result[name] = value
    return result


def rates_from(value: VariationRates | dict[str, Any] | None) -> VariationRates:
    if value is None:
        return VariationRates()
    if isinstance(value, VariationRates):
        value.validate()
        return value
    return VariationRates().with_overrides({k: float(v) for k, v in value.items()})

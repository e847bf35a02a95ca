"""The copy of a true person that one police system holds: their names and date of birth
as that system wrote them, varied at the configured rates (a typing slip, Mc for Mac, part
of a double surname, a nickname, a maiden name, a day and month swapped, ...)."""

from __future__ import annotations

import re
from datetime import date
from random import Random
from typing import Any

from .names import strip_diacritics
from .population import REF_DATE, TruePerson, V, World, below, between, pick_one
from .variants import FAMILY_ALTERNATIVES, GIVEN_ALTERNATIVES

# QWERTY neighbours, for typing errors.
_KEYS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
_NEAR: dict[str, str] = {}
for _r, _row in enumerate(_KEYS):
    for _c, _ch in enumerate(_row):
        near = []
        for dr in (-1, 0, 1):
            rr = _r + dr
            if 0 <= rr < len(_KEYS):
                for dc in (-1, 0, 1):
                    cc = _c + dc
                    if (dr or dc) and 0 <= cc < len(_KEYS[rr]):
                        near.append(_KEYS[rr][cc])
        _NEAR[_ch] = "".join(near)

_MAC_RE = re.compile(r"^(Mc|Mac|O')([A-Z])(.*)$")
_MAC_LOWER = re.compile(r"^(Mac)(donald|kenzie|kay|leod|lean|millan|intosh|pherson|gregor|farlane|kinnon|innes)$")
_PREFIX_RE = re.compile(r"^(Al|El)-(.+)$")


def typo(rng: Random, text: str) -> str:
    """One keyboard slip: a neighbouring key, two letters swapped, one dropped or doubled."""
    n = len(text)
    for _ in range(6):
        op = rng.random()
        i = below(rng, n)
        ch = text[i]
        if op < 0.35:
            low = ch.lower()
            near = _NEAR.get(low)
            if not near or i == 0:
                continue
            out = text[:i] + near[below(rng, len(near))] + text[i + 1:]
        elif op < 0.6:
            if i >= n - 1 or i == 0 or text[i] == text[i + 1] or not text[i + 1].isalpha():
                continue
            out = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        elif op < 0.8:
            if n < 4 or i == 0:
                continue
            out = text[:i] + text[i + 1:]
        else:
            if i == 0 or not ch.isalpha():
                continue
            out = text[:i] + ch.lower() + text[i:]
        if out != text:
            return out
    return text[:-1] + text[-1] + text[-1].lower()  # double the last letter


def mc_mac(rng: Random, family: str) -> str | None:
    m = _MAC_RE.match(family)
    if m:
        prefix, first, rest = m.groups()
        if prefix == "O'":
            return pick_one(rng, [f"O{first}{rest}", f"O {first}{rest}", f"O{first.lower()}{rest}", f"O'{first.lower()}{rest}"])
        other = "Mac" if prefix == "Mc" else "Mc"
        return pick_one(rng, [f"{other}{first}{rest}", f"{prefix}{first.lower()}{rest}",
                           f"{other}{first.lower()}{rest}", f"{prefix} {first}{rest}"])
    m = _MAC_LOWER.match(family)
    if m:
        rest = m.group(2)
        return pick_one(rng, [f"Mc{rest.capitalize()}", f"Mac{rest.capitalize()}", f"Mc{rest}"])
    return None


def is_mac(family: str) -> bool:
    return bool(_MAC_RE.match(family) or _MAC_LOWER.match(family))


def surname_part(rng: Random, family: str) -> str:
    m = _PREFIX_RE.match(family)
    if m:
        prefix, rest = m.groups()
        return pick_one(rng, [rest, f"{prefix} {rest}", f"{prefix}{rest.lower()}"])
    sep = "-" if "-" in family else " "
    first, _, second = family.partition(sep)
    u = rng.random()
    if u < 0.4:
        return first
    if u < 0.8:
        return second
    return f"{first} {second}" if sep == "-" else f"{first}-{second}"


def shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def copy_person(world: World, rng: Random, tp: TruePerson, *, on_pnc: bool, eligible: list[int],
                applied_counts: list[int], ident: list[int]) -> tuple[dict[str, Any], list[str], str]:
    """The person data one system holds for ``tp``, the variations applied, and the
    name as written (for free text)."""
    rates = world.rates
    applied: list[str] = []
    rnd = rng.random

    def roll(name: str, rate: float) -> bool:
        i = V[name]
        eligible[i] += 1
        if rnd() < rate:
            applied_counts[i] += 1
            applied.append(name)
            return True
        return False

    given = list(tp.given)
    family = tp.family
    extra: list[dict[str, Any]] = []
    comm = world.comms[tp.community]

    if tp.maiden and roll("maiden_name", rates.maiden_name):
        family = tp.maiden
    elif tp.maiden and rnd() < 0.3:
        extra.append({"family": tp.maiden, "kind": "maiden"})
    if ("-" in family or " " in family) and roll("surname_part", rates.surname_part):
        family = surname_part(rng, family)
    if is_mac(family) and roll("mc_mac", rates.mc_mac):
        family = mc_mac(rng, family) or family
    alts = FAMILY_ALTERNATIVES.get(family)
    if alts and roll("surname_variant", rates.surname_variant):
        family = alts[below(rng, len(alts))]
    alts = GIVEN_ALTERNATIVES.get(given[0])
    if alts and roll("nickname", rates.nickname):
        nick = alts[below(rng, len(alts))]
        if rnd() < 0.25:
            extra.append({"given": [nick], "family": family, "kind": "nickname"})
        else:
            given[0] = nick
    if (not family.isascii() or not all(g.isascii() for g in given)) and roll("diacritics", rates.diacritics):
        given = [strip_diacritics(g) for g in given]
        family = strip_diacritics(family)
    if roll("typo", rates.typo):
        if rnd() < 0.6 and len(family) >= 3:
            family = typo(rng, family)
        else:
            given[0] = typo(rng, given[0]) if len(given[0]) >= 3 else given[0] + given[0][-1]
    missing = roll("missing_fields", rates.missing_fields)
    droppable = ["sex", "ethnicity", "height"]
    if tp.marks:
        droppable.append("marks")
    if len(given) > 1:
        droppable.append("middle")
    drop: set[str] = set()
    if missing:
        for f in droppable:
            if rnd() < 0.4:
                drop.add(f)
        if not drop:
            drop.add(droppable[below(rng, len(droppable))])
        if "middle" in drop:
            given = given[:1]
    written = f"{given[0]} {family}"
    if roll("name_swap", rates.name_swap):
        primary: dict[str, Any] = {"given": [family], "family": given[0], "kind": "primary"}
    else:
        primary = {"given": given, "family": family, "kind": "primary"}
    names = [primary, *extra]
    dob = tp.dob
    birth_dates: list[str] = []
    if not roll("missing_dob", rates.missing_dob):
        if dob.day <= 12 and dob.day != dob.month and roll("dob_swap", rates.dob_swap):
            dob = date(dob.year, dob.day, dob.month)
        if roll("dob_year", rates.dob_year):
            step = 1 if rnd() < 0.5 else -1
            moved = shift_year(dob, step)
            dob = moved if moved < REF_DATE else shift_year(dob, -1)
        birth_dates.append(dob.isoformat())
    if roll("alias", rates.alias):
        if rnd() < 0.5:
            alias = {"given": [world.given_names(rng, comm, tp.sex, tp.given[0])[0]], "family": family, "kind": "alias"}
        else:
            alias = {"given": [given[0]], "family": world.family_name(rng, comm, tp.sex), "kind": "alias"}
        names.append(alias)
        if birth_dates and rnd() < 0.3:
            other = date.fromordinal(dob.toordinal() + pick_one(rng, (-3, -2, -1, 1, 2, 3)))
            if other < REF_DATE:
                birth_dates.append(other.isoformat())
    data: dict[str, Any] = {"names": names}
    if birth_dates:
        data["birth_dates"] = birth_dates
    if "sex" not in drop:
        data["sex"] = tp.sex
    if tp.pnc_id:
        if on_pnc:
            data["pnc_id"] = tp.pnc_id
        else:
            ident[0] += 1
            if rnd() < rates.pnc_id:
                ident[1] += 1
                data["pnc_id"] = tp.pnc_id
    if tp.cro:
        if on_pnc:
            data["cro_number"] = tp.cro
        else:
            ident[2] += 1
            if rnd() < rates.cro_number:
                ident[3] += 1
                data["cro_number"] = tp.cro
    if "ethnicity" not in drop:
        data["ethnicity_officer"] = tp.ic
    if "height" not in drop:
        data["height_cm"] = tp.height if rnd() < 0.7 else max(45, min(215, tp.height + between(rng, -4, 4)))
    if tp.marks and "marks" not in drop:
        data["marks"] = tp.marks
    return data, applied, written

"""Name normalisation and the nickname / spelling-variant table.

The groups themselves are the curated tables in :mod:`leds.synth.variants` (imported as
data: William|Bill|Billy|Will|Liam, Thomson|Thompson ...).  Matching never reads the
synthetic population's truth files; it only shares this table of how names are
written, which is knowledge any police data team would curate.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish

from leds.synth.variants import FAMILY_NAME_GROUPS, GIVEN_NAME_GROUPS

# Letters that NFKD does not decompose into a base letter and an accent.
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "ss",
                       "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i"})
_NOT_LETTER = re.compile(r"[^a-z]+")


@lru_cache(maxsize=200_000)
def fold(name: str) -> str:
    """Lower case, accents dropped, letters only: "Wójcik" -> "wojcik", "O'Brien" -> "obrien"."""
    s = unicodedata.normalize("NFKD", name.translate(_FOLD))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return _NOT_LETTER.sub("", s)


@lru_cache(maxsize=100_000)
def phonetic(folded: str) -> str:
    """A phonetic code (Metaphone, via jellyfish) of a folded name; "" for no name."""
    return jellyfish.metaphone(folded).upper() if folded else ""


@lru_cache(maxsize=200_000)
def fold_surname(name: str) -> str:
    """A family name folded, with Mac/Mc written one way (MacDonald = McDonald = Mc Donald)."""
    s = fold(name)
    return "mc" + s[3:] if s.startswith("mac") and len(s) > 4 else s


def surname_parts(name: str) -> list[str]:
    """Parts of a hyphenated or double-barrelled name, and the name without an Al-/El- prefix."""
    parts = [fold_surname(p) for p in re.split(r"[-\s]+", name) if p]
    out = [p for p in parts if len(p) > 1]
    if len(out) >= 2 and out[0] in ("al", "el"):
        out = out[1:]
    return out


def _group_index(groups: tuple[tuple[str, ...], ...], folder: object) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        for name in group:
            key = folder(name)  # type: ignore[operator]
            bucket = index.setdefault(key, [])
            if i not in bucket:
                bucket.append(i)
    return {k: tuple(sorted(v)) for k, v in index.items()}


GIVEN_GROUPS: dict[str, tuple[int, ...]] = _group_index(GIVEN_NAME_GROUPS, fold)
FAMILY_GROUPS: dict[str, tuple[int, ...]] = _group_index(FAMILY_NAME_GROUPS, fold_surname)


def given_groups(folded: str) -> list[int]:
    return list(GIVEN_GROUPS.get(folded, ()))


def family_groups(folded: str) -> list[int]:
    return list(FAMILY_GROUPS.get(folded, ()))

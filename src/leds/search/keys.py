"""How names, VRMs, postcodes and free text become index keys.

The same functions build the keys at ingest and the look-up keys from a query, so the
two can never normalise differently.
"""

from __future__ import annotations

import re

from leds.matching.names import fold, fold_surname, phonetic

# Characters that ANPR cameras and people confuse, folded to one of each pair.
CONFUSABLE = str.maketrans({"O": "0", "I": "1", "S": "5", "B": "8", "Z": "2"})
_VRM_JUNK = re.compile(r"[^A-Z0-9]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def name_rows(names: list[dict]) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    """(family, given, family_ph, given_ph) for each distinct name of a person record."""
    out: list[tuple[str, str, str, str]] = []
    for n in names:
        family = fold_surname(n.get("family") or "")
        given = [g for g in (fold(x) for x in n.get("given") or []) if g]
        row = (family, " ".join(given), phonetic(family), phonetic(given[0]) if given else "")
        if family and row not in out:
            out.append(row)
    return out


def normalise_vrm(vrm: str) -> str:
    return _VRM_JUNK.sub("", vrm.upper())


def vrm_key(vrm: str) -> str:
    """The confusable key: two VRMs that differ only by 0/O, 1/I, 5/S, 8/B or 2/Z share it."""
    return normalise_vrm(vrm).translate(CONFUSABLE)


def normalise_postcode(pc: str) -> str:
    return re.sub(r"\s+", "", pc).upper()


def district_of(postcode: str) -> str:
    """The outward code of a full postcode without its space ("LS16BH" -> "LS1")."""
    pc = normalise_postcode(postcode)
    return pc[:-3] if len(pc) > 4 else pc


def words(text: str, limit: int = 12) -> list[str]:
    """The words of a free-text query, lower-cased; punctuation and operators dropped."""
    return [w.lower() for w in _WORD.findall(text)][:limit]


def fts5_query(text: str) -> str | None:
    """A safe FTS5 query: every word quoted (so nothing the user types is an operator),
    all words required, the last one as a prefix.  None when there is no word."""
    ws = words(text)
    if not ws:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in ws]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def pattern(term: str) -> tuple[str, bool]:
    """A name term folded for matching, and whether it is a prefix/wildcard pattern.

    ``*`` and ``?`` are wildcards (any run / one letter); a trailing ``*`` is a prefix.
    Returns a SQL LIKE pattern when wildcarded, else the folded term."""
    t = term.strip()
    if "*" in t or "?" in t:
        parts = re.split(r"([*?])", t)
        out = "".join("%" if p == "*" else "_" if p == "?" else fold(p) for p in parts)
        return out, True
    return fold(t), False

"""The comparisons of the police nominal model, each level written twice: as SQL for
Splink (DuckDB or Spark) and as a Python predicate for the real-time matcher and for
explanations.  Both forms live on the same line, so they are reviewed together, and
``tests/matching/test_matching.py`` checks that batch and real-time agree on a held-out sample.

Levels are tried in order; the first that holds is the pair's level.  A null level
carries no evidence (Bayes factor 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

Row = dict[str, Any]
Pred = Callable[[Row, Row], bool]


@dataclass(frozen=True)
class Level:
    label: str
    sql: Callable[[str], str]  # dialect -> SQL condition over l. and r.
    test: Pred
    is_null: bool = False
    # Domain knowledge EM cannot learn from blocked pairs that are full of look-alikes:
    # how often a true match disagrees outright (kept fixed during training).
    fixed_m: float | None = None
    # Term-frequency adjustment: agreeing on a common value (Smith, John) is weaker
    # evidence than agreeing on a rare one, by TF_WEIGHT * log2(u_exact / tf(value)) bits
    # (on a fuzzy level, tf is the commoner of the two values).
    tf: str | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    def level_of(self, a: Row, b: Row) -> int:
        for i, level in enumerate(self.levels):
            if level.test(a, b):
                return i
        raise AssertionError(f"{self.name}: no level matched (the last level must be 'else')")


def _overlap(col: str) -> Callable[[str], str]:
    def sql(dialect: str) -> str:
        if dialect == "spark":
            return f"size(array_intersect(l.{col}, r.{col})) > 0"
        return f"len(list_intersect(l.{col}, r.{col})) > 0"
    return sql


def _overlaps(col: str) -> Pred:
    return lambda a, b: bool(a[col] and b[col] and not set(a[col]).isdisjoint(b[col]))


def _const(text: str) -> Callable[[str], str]:
    return lambda _dialect: text


def _null(*cols: str) -> Level:
    sql = " OR ".join(f"l.{c} IS NULL OR r.{c} IS NULL" for c in cols)
    return Level("null", _const(sql), lambda a, b: any(a[c] is None or b[c] is None for c in cols), is_null=True)


def _exact(col: str, label: str = "exact", tf: bool = False) -> Level:
    # SQL's NULL = NULL is not true: neither is it here (an address with a postcode but no key)
    return Level(label, _const(f"l.{col} = r.{col}"), lambda a, b: a[col] is not None and a[col] == b[col],
                 tf=col if tf else None)


ELSE = Level("else", _const("ELSE"), lambda a, b: True)

# The term-frequency adjustment of the name levels, scaled: names are not independent of
# who a person is (families, communities and fashions share them), so a shared common name
# is even weaker evidence than its frequency alone says, and a shared rare one stronger.
# Chosen by measurement (docs/matching.md): with it, fewer strangers with a common name and
# the same date of birth reach the threshold, which could come down from 12 to 8 bits.
TF_WEIGHT = 2.5
# ... but not without bound: a name is taken to be no rarer than one in TF_MINIMUM_U of the
# records (Splink's tf_minimum_u_value).  Scaled by TF_WEIGHT, a name seen once in a million
# records was worth over 30 bits on its own, enough to link strangers who share a rare
# name on nothing else; at national scale most of the wrong links left were such pairs.
# Chosen by measurement (docs/matching.md, "At national scale").
TF_MINIMUM_U = 1e-3


def _else(fixed_m: float) -> Level:
    return Level("else", _const("ELSE"), lambda a, b: True, fixed_m=fixed_m)


def _typo_sql(col: str) -> Callable[[str], str]:
    d = f"levenshtein(l.{col}, r.{col})"
    return _const(f"{d} <= 1 OR ({d} <= 2 AND length(l.{col}) >= 5 AND length(r.{col}) >= 5)")


def _typo(col: str) -> Pred:
    def test(a: Row, b: Row) -> bool:
        d = Levenshtein.distance(a[col], b[col], score_cutoff=3)
        return d <= 1 or (d <= 2 and len(a[col]) >= 5 and len(b[col]) >= 5)
    return test


def _or(*preds: Pred) -> Pred:
    return lambda a, b: any(p(a, b) for p in preds)


def _swapped(x: str, y: str) -> Level:
    return Level("swapped with the other name", _const(f"l.{x} = r.{y} OR l.{y} = r.{x}"),
                 lambda a, b: a[x] is not None and a[x] == b[y] or a[y] is not None and a[y] == b[x])


def _id_typo(col: str) -> Level:
    return Level("one character apart", _const(f"levenshtein(l.{col}, r.{col}) <= 1"),
                 lambda a, b: Levenshtein.distance(a[col], b[col], score_cutoff=2) <= 1)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("forename", "First given name, with nicknames and short forms", (
        _null("fn"),
        _exact("fn", tf=True),
        Level("nickname or short form", _overlap("fn_groups"), _overlaps("fn_groups"), tf="fn"),
        Level("keying slip", _typo_sql("fn"), _typo("fn"), tf="fn"),
        Level("another recorded given name", _overlap("given_all"), _overlaps("given_all")),
        _swapped("fn", "sn"),
        ELSE,
    )),
    Comparison("surname", "Family name, with spellings, Mc/Mac, parts, maiden names and aliases", (
        _null("sn"),
        _exact("sn", tf=True),
        Level("spelling variant or another recorded family name",
              lambda d: f"({_overlap('sn_groups')(d)}) OR ({_overlap('family_all')(d)})",
              _or(_overlaps("sn_groups"), _overlaps("family_all")), tf="sn"),
        Level("keying slip", _typo_sql("sn"), _typo("sn"), tf="sn"),
        _swapped("sn", "fn"),
        ELSE,
    )),
    Comparison("dob", "Date of birth, with transposed day/month and year off by one", (
        _null("dob"),
        _exact("dob"),
        Level("another recorded date of birth", _overlap("dobs"), _overlaps("dobs")),
        Level("day and month transposed",
              _const("l.dob_y = r.dob_y AND l.dob_m = r.dob_d AND l.dob_d = r.dob_m"),
              lambda a, b: a["dob_y"] == b["dob_y"] and a["dob_m"] == b["dob_d"] and a["dob_d"] == b["dob_m"]),
        Level("year off by one",
              _const("l.dob_m = r.dob_m AND l.dob_d = r.dob_d AND abs(l.dob_y - r.dob_y) = 1"),
              lambda a, b: a["dob_m"] == b["dob_m"] and a["dob_d"] == b["dob_d"] and abs(a["dob_y"] - b["dob_y"]) == 1),
        Level("same year and month", _const("l.dob_y = r.dob_y AND l.dob_m = r.dob_m"),
              lambda a, b: a["dob_y"] == b["dob_y"] and a["dob_m"] == b["dob_m"]),
        _else(0.002),
    )),
    Comparison("sex", "Sex", (_null("sex"), _exact("sex"), ELSE)),
    Comparison("pnc", "PNC ID", (_null("pnc"), _exact("pnc"), _id_typo("pnc"), _else(1e-4))),
    Comparison("cro", "CRO number", (_null("cro"), _exact("cro"), _id_typo("cro"), _else(1e-3))),
    Comparison("address", "Home address and postcode (through resides_at links)", (
        _null("postcode"),
        _exact("addr", "same address"),
        _exact("postcode", "same postcode"),
        _exact("district", "same postcode district"),
        Level("different address, same force", _const("l.force = r.force"),
              lambda a, b: a["force"] is not None and a["force"] == b["force"]),
        ELSE,
    )),
    Comparison("height", "Height in cm (measurements wobble a few cm)", (
        _null("height"),
        _exact("height", "same height"),
        Level("within 4 cm", _const("abs(l.height - r.height) <= 4"), lambda a, b: abs(a["height"] - b["height"]) <= 4),
        Level("within 8 cm", _const("abs(l.height - r.height) <= 8"), lambda a, b: abs(a["height"] - b["height"]) <= 8),
        _else(0.001),
    )),
    Comparison("ethnicity", "Officer-defined ethnicity", (_null("eth"), _exact("eth"), ELSE)),
    Comparison("marks", "Scars, marks and tattoos (free text, folded)", (
        _null("marks"),
        Level("a mark in common", _overlap("marks"), _overlaps("marks")),
        # Marks are gained over the years and described in different words by different
        # officers: records of one person often disagree.
        _else(0.3),
    )),
)

# The plain model the benchmarks compare against: names and date of birth, Splink's
# own library comparisons, default training.
PLAIN_COMPARISON_NAMES = ("first_name", "surname", "dob")


# Levels are written with l.col / r.col; Splink's comparison SQL names them col_l / col_r.
_SIDE = re.compile(r"\b([lr])\.(\w+)")


TF_COLUMNS = tuple(dict.fromkeys(lv.tf for c in COMPARISONS for lv in c.levels if lv.tf))


def splink_comparisons(dialect: str, comparisons: tuple[Comparison, ...] = COMPARISONS, *,
                       tf: bool = True, fixed_m: bool = True) -> list[dict[str, Any]]:
    """Splink comparison dicts.  ``fixed_m=False`` lets EM learn the "else" levels whose m
    is otherwise fixed from police domain knowledge (for data where, say, the national id
    column is not a PNC ID)."""
    out = []
    for c in comparisons:
        levels = []
        for lv in c.levels:
            sql = _SIDE.sub(lambda m: f"{m.group(2)}_{m.group(1)}", lv.sql(dialect))
            level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": lv.label}
            if lv.is_null:
                level["is_null_level"] = True
            if tf and lv.tf:
                level["tf_adjustment_column"] = lv.tf
                level["tf_adjustment_weight"] = TF_WEIGHT
                level["tf_minimum_u_value"] = TF_MINIMUM_U
            if fixed_m and lv.fixed_m is not None:
                level["m_probability"] = lv.fixed_m
                level["fix_m_probability"] = True
            levels.append(level)
        out.append({"output_column_name": c.name, "comparison_description": c.description,
                    "comparison_levels": levels})
    return out


@dataclass(frozen=True)
class BlockingRule:
    """Pairs records equal on ``columns`` (none of them missing); with ``missing``, only
    pairs where that column is missing on at least one side (an undated record against
    every record with its name, without pairing every dated John Smith with every other)."""

    columns: tuple[str, ...]
    missing: str | None = None

    @property
    def sql(self) -> str:
        eq = " AND ".join(f"l.{c} = r.{c}" for c in self.columns)
        return eq if self.missing is None else f"{eq} AND (l.{self.missing} IS NULL OR r.{self.missing} IS NULL)"


# Blocking rules for prediction, chosen by measurement (docs/matching.md): together they
# find nearly every true pair while keeping comparisons near-linear in N (no rule pairs
# every record of a common name with every other: at 2M records "same forename and
# surname" alone is 98M pairs).
BLOCKING: tuple[BlockingRule, ...] = (
    BlockingRule(("pnc",)),
    BlockingRule(("cro",)),
    BlockingRule(("dob", "sn1")),
    BlockingRule(("dob", "fn1")),
    BlockingRule(("dob_unordered", "initials")),
    BlockingRule(("fn_canon", "sn_canon"), missing="dob"),
    BlockingRule(("fn", "sn", "district")),
    BlockingRule(("fn_canon", "sn_canon", "dob_m", "dob_d")),
    BlockingRule(("postcode", "fn1")),
    BlockingRule(("name_pair", "dob_y")),
    BlockingRule(("dob", "district")),
)
BLOCKING_RULES: tuple[str, ...] = tuple(rule.sql for rule in BLOCKING)


def _key(prefix: str, row: Row, cols: tuple[str, ...]) -> str | None:
    values = [row.get(c) for c in cols]
    return prefix + "|".join(str(v) for v in values) if all(v is not None for v in values) else None


def block_keys(row: Row) -> list[str]:
    """The blocking rules as lookup keys stored for each record, for the real-time matcher:
    a new record's :func:`lookup_keys` meet a stored record's keys exactly when some
    blocking rule would pair the two."""
    keys = []
    for i, rule in enumerate(BLOCKING):
        side = "" if rule.missing is None else ("-" if row.get(rule.missing) is None else "+")
        if (k := _key(f"{i}{side}:", row, rule.columns)) is not None:
            keys.append(k)
    return keys


def lookup_keys(row: Row) -> list[str]:
    """The keys to look up for a new record: its own, except that a rule with ``missing``
    pairs a record that has the column only with records that lack it, and a record that
    lacks it with all."""
    keys: list[str] = []
    for i, rule in enumerate(BLOCKING):
        if rule.missing is None:
            sides = [""]
        else:
            sides = ["-", "+"] if row.get(rule.missing) is None else ["-"]
        keys.extend(k for side in sides if (k := _key(f"{i}{side}:", row, rule.columns)) is not None)
    return keys


def blocking_fingerprint() -> str:
    """Changes when the rules change: stored keys made under other rules must be rebuilt."""
    import hashlib

    return hashlib.sha256("\n".join(BLOCKING_RULES).encode()).hexdigest()[:16]

"""A trained model: Splink's settings JSON (comparisons with their m and u
probabilities) plus leds' thresholds, saved under ``LEDS_HOME/models/``, versioned.

:class:`MatchModel` also scores a pair of feature rows in plain Python, from the same
m/u probabilities (a Bayes factor per comparison level), so the real-time matcher
needs no DuckDB per record and every score can be explained.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leds.config import Settings
from leds.errors import Conflict

from .comparisons import COMPARISONS, Comparison, Row

FORMAT = "leds-person-model/1"
NOT_OBSERVED = 1e-6  # what Splink uses for a level never seen in training
# A pair at or above THRESHOLD (match weight, bits) is the same person.  Pairs
# between REVIEW_LOW and THRESHOLD go to the review queue.  Saved in each model file;
# chosen by measurement on synthetic data (docs/matching.md, "Threshold trade-off").
THRESHOLD = 7.5
REVIEW_LOW = 4.0
# A full name is a "combination" (see :func:`full_name_penalties`) when at least this many
# people, counted as distinct dates of birth, carry it.
FULL_NAME_MIN_PEOPLE = 2
FULL_NAME = "full name"  # the explanation's row for the penalty


class ModelError(Conflict):
    """A model file is missing, unreadable, or does not fit the comparisons."""


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def _prob(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(float(value), NOT_OBSERVED)
    return NOT_OBSERVED  # None or Splink's "level not observed in training data"


def _observed(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fill_unobserved(splink_settings: dict[str, Any]) -> dict[str, Any]:
    """Write numbers for untrained levels into the JSON, so Splink and the Python scorer
    read the very same ones.  A level EM never saw (no blocked training pair had it: a
    same postcode in data whose postcodes each hold one address) gets m = u, no evidence
    either way, not Splink's fallback m of 1e-6, which would make it a 9-bit penalty the
    moment it does occur."""
    for comparison in splink_settings.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                u = _prob(level.get("u_probability"))
                m = level.get("m_probability")
                level["m_probability"] = _prob(m) if _observed(m) else u
                level["u_probability"] = u
    return splink_settings


@dataclass
class LevelWeight:
    label: str
    m: float | None
    u: float | None
    # Computed once: every check scores each of its candidates on every level.
    bayes_factor: float = field(init=False)
    weight: float = field(init=False)

    def __post_init__(self) -> None:
        self.bayes_factor = 1.0 if self.m is None or self.u is None else self.m / self.u
        self.weight = math.log2(self.bayes_factor)


def full_name_key(row: Mapping[str, Any]) -> str | None:
    fn, sn = row.get("fn"), row.get("sn")
    return f"{fn}|{sn}" if fn and sn else None


FullNamePeople = tuple[Counter[tuple[str, str]], int]  # people per (forename, surname); people in all


def full_name_people(rows: Iterable[Mapping[str, Any]]) -> FullNamePeople:
    """How many people carry each full name, and how many people there are, counting a
    person as a distinct (forename, surname, date of birth): the records of one person
    mostly share a date of birth, so a person recorded five times counts once.  Records
    without a date of birth are left out."""
    people = {(r["fn"], r["sn"], r["dob"]) for r in rows if r.get("fn") and r.get("sn") and r.get("dob")}
    return Counter((fn, sn) for fn, sn, _dob in people), len(people)


def shared_full_names(people: FullNamePeople, min_people: int = FULL_NAME_MIN_PEOPLE) -> list[str]:
    """The full names ("forename|surname") carried by at least ``min_people`` people
    (``people`` from :func:`full_name_people`)."""
    together, _total = people
    return sorted(f"{fn}|{sn}" for (fn, sn), n in together.items() if n >= min_people)


def full_name_penalties(people: FullNamePeople, min_people: int = FULL_NAME_MIN_PEOPLE) -> dict[str, float]:
    """Full names whose parts go together more often than their separate frequencies say.

    The name comparisons weigh a forename and a surname as if they were independent: the
    chance that two strangers share "Ali Khan" is taken as share(Ali) x share(Khan).  But
    names run in families and communities, so some combinations are much commoner than
    that, and at national scale strangers who share them are common.  For each full name
    carried by at least ``min_people`` people (``people`` from :func:`full_name_people`), this gives
    log2(expected / seen) where it is negative (the combination is commoner than
    independence says): the bits to take off the name evidence of a pair whose names
    agree.  A rare name carried by one person, however often recorded, gets none.
    """
    together, total = people
    if not total:
        return {}
    forenames: Counter[str] = Counter()
    surnames: Counter[str] = Counter()
    for (fn, sn), n in together.items():
        forenames[fn] += n
        surnames[sn] += n
    out = {}
    for (fn, sn), seen in together.items():
        if seen >= min_people:
            bits = math.log2(forenames[fn] * surnames[sn] / total / seen)
            if bits < 0:
                out[f"{fn}|{sn}"] = round(bits, 4)
    return dict(sorted(out.items()))


@dataclass
class MatchModel:
    version: int
    created_at: str
    splink: dict[str, Any]
    threshold: float = THRESHOLD
    review_low: float = REVIEW_LOW
    training: dict[str, Any] = field(default_factory=dict)
    # column -> value -> share of records (None: a model saved without term frequencies)
    term_frequencies: dict[str, dict[str, float]] | None = None
    # "forename|surname" -> bits (negative): see full_name_penalties (None: a model saved
    # before them, which scores without).
    full_names: dict[str, float] | None = None
    # Full names carried by several people (shared_full_names): an undated record with one
    # of these links only with something else in common (clusters.unsupported_undated).
    # None: a model saved before, which applies no such rule.
    shared_names: frozenset[str] | None = None
    comparisons: tuple[Comparison, ...] = COMPARISONS

    def __post_init__(self) -> None:
        # The full-name penalty reads the first two comparisons' levels.
        assert [c.name for c in self.comparisons[:2]] == ["forename", "surname"]
        prior = self.splink.get("probability_two_random_records_match")
        if not isinstance(prior, int | float) or not 0 < prior < 1:
            raise ModelError("model has no valid probability_two_random_records_match")
        self.prior_weight = math.log2(prior / (1 - prior))
        by_name = {c.get("output_column_name"): c for c in self.splink.get("comparisons", [])}
        self.weights: list[list[LevelWeight]] = []
        for comp in self.comparisons:
            saved = by_name.get(comp.name)
            if saved is None:
                raise ModelError(f"model has no comparison {comp.name!r}; retrain with `leds match --retrain`")
            levels = saved.get("comparison_levels", [])
            if [lv.get("label_for_charts") for lv in levels] != [lv.label for lv in comp.levels]:
                raise ModelError(f"model's levels for {comp.name!r} differ from this version of leds; "
                                 "retrain with `leds match --retrain`")
            self.weights.append([
                LevelWeight(lv.label, None, None) if lv.is_null
                else LevelWeight(lv.label, _prob(s.get("m_probability")), _prob(s.get("u_probability")))
                for lv, s in zip(comp.levels, levels, strict=True)
            ])
        # Per level with a term-frequency adjustment in the saved model: (column, log2 of the
        # u of the comparison's exact level on that column, weight, the least frequency
        # believed), as Splink computes it.
        self.tf_levels: list[list[tuple[str, float, float, float] | None]] = []
        for comp, ws in zip(self.comparisons, self.weights, strict=True):
            specs: list[tuple[str, float, float, float] | None] = []
            for s in by_name[comp.name]["comparison_levels"]:
                col = s.get("tf_adjustment_column")
                u_exact = next((w.u for lv, w in zip(comp.levels, ws, strict=True)
                                if lv.sql("duckdb") == f"l.{col} = r.{col}"), None)
                if col and self.term_frequencies is not None and u_exact:
                    specs.append((col, math.log2(u_exact), float(s.get("tf_adjustment_weight", 1.0)),
                                  float(s.get("tf_minimum_u_value") or 0.0)))
                else:
                    specs.append(None)
            self.tf_levels.append(specs)

    # -- scoring -------------------------------------------------------------------
    def levels(self, a: Row, b: Row) -> list[int]:
        return [c.level_of(a, b) for c in self.comparisons]

    def names_agree(self, forename_level: int, surname_level: int) -> bool:
        """Both names agree at some level (not missing, not "else")."""
        return 0 < forename_level < len(self.weights[0]) - 1 and 0 < surname_level < len(self.weights[1]) - 1

    def full_name_penalty(self, a: Row, b: Row, forename_level: int, surname_level: int) -> float:
        """Bits taken off a pair whose names agree when its full names are common
        combinations: the smaller of the two records' penalties (0 if either has none)."""
        if not self.full_names or not self.names_agree(forename_level, surname_level):
            return 0.0
        ka, kb = full_name_key(a), full_name_key(b)
        pa = self.full_names.get(ka) if ka else None
        pb = self.full_names.get(kb) if kb else None
        if pa is None or pb is None:
            return 0.0
        return max(pa, pb)

    def adjust(self, pairs: Iterable[tuple[str, str, float]], rows: Mapping[str, Row], min_weight: float
               ) -> list[tuple[str, str, float]]:
        """Splink's scored pairs with the full-name penalty applied (Splink does not know
        it), keeping those still at or above ``min_weight``.  Names are compared only for
        pairs where both records carry a penalised full name."""
        if not self.full_names:
            return [p for p in pairs if p[2] >= min_weight]
        names = self.full_names
        pen: dict[str, float] = {}
        for rkey, r in rows.items():
            k = full_name_key(r)
            if k is not None and k in names:
                pen[rkey] = names[k]
        fn, sn = self.comparisons[0], self.comparisons[1]
        out = []
        for a, b, w in pairs:
            pa, pb = pen.get(a), pen.get(b)
            if pa is not None and pb is not None:
                ra, rb = rows[a], rows[b]
                # Both names the same (the commonest case) agree without testing the levels.
                if (ra["fn"] == rb["fn"] and ra["sn"] == rb["sn"]
                        or self.names_agree(fn.level_of(ra, rb), sn.level_of(ra, rb))):
                    w += max(pa, pb)
            if w >= min_weight:
                out.append((a, b, w))
        return out

    def tf_adjustment(self, comparison: int, level: int, a: Row, b: Row) -> float:
        """Splink's term-frequency adjustment: weight * (log2(u_exact) - log2(max(tf(a), tf(b),
        minimum))), 0 when neither value is in the model's table."""
        spec = self.tf_levels[comparison][level]
        if spec is None or self.term_frequencies is None:
            return 0.0
        col, log2_u, weight, minimum = spec
        table = self.term_frequencies.get(col, {})
        fa, fb = table.get(a[col]), table.get(b[col])
        if fa is None and fb is None:
            return 0.0
        return weight * (log2_u - math.log2(max(max(f for f in (fa, fb) if f is not None), minimum)))

    def score(self, a: Row, b: Row) -> float:
        return self.score_levels(a, b)[0]

    def score_levels(self, a: Row, b: Row) -> tuple[float, list[int]]:
        """The pair's match weight and each comparison's level (for :meth:`explain`)."""
        total = self.prior_weight
        levels = []
        for i, (comp, weights) in enumerate(zip(self.comparisons, self.weights, strict=True)):
            level = comp.level_of(a, b)
            levels.append(level)
            total += weights[level].weight + self.tf_adjustment(i, level, a, b)
        return total + self.full_name_penalty(a, b, levels[0], levels[1]), levels

    def explain(self, a: Row, b: Row, levels: list[int] | None = None) -> dict[str, Any]:
        """Each comparison's level and weight; ``levels``: the pair's levels if already
        computed (:meth:`score_levels`)."""
        rows = []
        total = self.prior_weight
        for i, (comp, weights, level) in enumerate(zip(self.comparisons, self.weights,
                                                       levels if levels is not None else self.levels(a, b),
                                                       strict=True)):
            w = weights[level]
            tf = self.tf_adjustment(i, level, a, b)
            total += w.weight + tf
            rows.append({"comparison": comp.name, "level": w.label, "gamma": level,
                         "m": w.m, "u": w.u, "bayes_factor": w.bayes_factor * 2.0 ** tf,
                         "match_weight": w.weight + tf, "term_frequency_adjustment": tf,
                         "cumulative": total})
        penalty = self.full_name_penalty(a, b, rows[0]["gamma"], rows[1]["gamma"])
        if penalty:
            total += penalty
            rows.append({"comparison": FULL_NAME, "level": "a common combination of names",
                         "gamma": None, "m": None, "u": None, "bayes_factor": 2.0 ** penalty,
                         "match_weight": penalty, "term_frequency_adjustment": 0.0, "cumulative": total})
        return {"prior_weight": self.prior_weight, "comparisons": rows, "match_weight": total,
                "match_probability": probability(total), "model_version": self.version}

    # -- persistence ---------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": self.version, "created_at": self.created_at,
                "threshold": self.threshold, "review_low": self.review_low, "training": self.training,
                "term_frequencies": self.term_frequencies, "full_names": self.full_names,
                "shared_full_names": sorted(self.shared_names) if self.shared_names is not None else None,
                "splink": self.splink}

    @classmethod
    def from_json(cls, doc: Any, origin: str = "model") -> MatchModel:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ModelError(f"{origin} is not a leds person model (expected \"format\": \"{FORMAT}\")")
        try:
            return cls(version=int(doc["version"]), created_at=str(doc["created_at"]), splink=doc["splink"],
                       threshold=float(doc["threshold"]), review_low=float(doc["review_low"]),
                       training=doc.get("training") or {}, term_frequencies=doc.get("term_frequencies"),
                       full_names=_full_names(doc.get("full_names"), origin),
                       shared_names=_shared_names(doc.get("shared_full_names"), origin))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"{origin} is damaged: {exc!r}") from exc

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ModelError(f"no model file at {path}") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read model file {path}: {exc}") from exc
        return cls.from_json(doc, str(path))

    def save(self, settings: Settings) -> Path:
        d = models_dir(settings)
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"person-v{self.version:04d}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))
        tmp.replace(path)
        return path


def _full_names(value: Any, origin: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, int | float)
                                              and not isinstance(v, bool) and v <= 0 for k, v in value.items()):
        raise ModelError(f"{origin} is damaged: full_names must map \"forename|surname\" to a penalty in bits (<= 0)")
    return {k: float(v) for k, v in value.items()}


def _shared_names(value: Any, origin: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ModelError(f"{origin} is damaged: shared_full_names must be a list of \"forename|surname\"")
    return frozenset(value)


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    odds = 2.0 ** weight
    return odds / (1 + odds)


def choose_threshold(weights: list[float], target_precision: float, floor: float = float("-inf")) -> float:
    """The lowest match weight at which the model's own estimate of precision (the mean
    match probability of the pairs at or above it) is still ``target_precision``: a
    threshold chosen on the trained model and its predictions, with no truth.  Never
    below ``floor``."""
    missed = 0.0
    best = float("inf")
    for n, w in enumerate(sorted(weights, reverse=True), 1):
        missed += 1 - probability(w)
        if 1 - missed / n >= target_precision:
            best = w
    return max(best, floor)


def latest_model_path(settings: Settings) -> Path | None:
    paths = sorted(models_dir(settings).glob("person-v*.json"))
    return paths[-1] if paths else None


def next_version(settings: Settings) -> int:
    latest = latest_model_path(settings)
    return int(latest.stem.split("-v")[1]) + 1 if latest else 1


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

"""The courier model: fitted from a few labels, saved as readable JSON, every score explained.

Choice, by measurement (``leds anpr train`` prints both): a logistic regression over
transformed features (log counts, shares, hours) against scikit-learn's gradient boosting
(100 trees of depth 3), each scored by out-of-fold average precision on the labelled vehicles.  With tens
of labels the linear model is as good or better (bench/bench_anpr.py: see docs/anpr.md), it
is calibrated by construction, and its score is a sum: each feature's share of the log-odds
is exact, which is what an analyst's reasons are made from.  The boosted model is measured
and reported, not used.  LightGBM was not added: it would be a third-party native library
for the same measured answer.

Few labels, many unlabelled: known couriers are positives, checked-and-cleared vehicles
negatives, and the unlabelled vehicles on the routes are background negatives at a tenth
of the weight (most of them are innocent; the couriers among them pull the score only a
little).  Calibration is reported on the labelled vehicles from out-of-fold scores (Brier
score, reliability by bins).  The operating threshold is 0.9, or 0.05 above the highest
out-of-fold score of a cleared vehicle if that is higher (the unlabelled background cannot
set it: the unknown couriers in it are the vehicles the tool is for).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .features import FEATURES

# How each feature enters the model (its transform), and how it reads to an analyst.
_LOG = {"trips", "out_trips", "days", "swaps", "cotravel", "dwell_h", "turnaround_h"}


def transform(rows: Any) -> np.ndarray:
    """The model's inputs from a DataFrame of features (log1p for counts and durations)."""
    cols = []
    for f in FEATURES:
        x = rows[f].astype(float).to_numpy()
        cols.append(np.log1p(np.clip(x, 0, None)) if f in _LOG else x)
    return np.column_stack(cols)


def _n(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def phrase(f: str, row: Any, high: bool) -> str:
    """What the value of feature ``f`` means, as an analyst would say it."""
    v, trips = float(row[f]), int(row["trips"])
    route = row["route"]
    if f in ("trips", "out_trips"):
        times = "once" if trips == 1 else f"{trips} times"
        return (f"ran {route} {times} in the period" if high else
                f"ran {route} only {times} in the period (not a regular user of the route)")
    if f == "days":
        return "on one day only" if int(v) == 1 else f"on {int(v)} different days"
    if f == "night_share":
        return (f"{round(v * trips)} of {trips} trips left at night (22:00-05:00)" if high else
                "travels in the daytime")
    if f == "weekend_share":
        return f"{round(v * trips)} of {trips} trips at the weekend" if high else "travels on weekdays"
    if f == "hour_spread":
        return (f"no fixed timetable: outbound departures vary by about {_n(v)} hours" if high else
                f"a fixed timetable: leaves at the same time each day (within {round(v * 60)} minutes)")
    if f == "dwell_h":
        return (f"stays about {_n(v)} hours at the destination" if high else
                f"a short stop at the destination (seen there for about {round(v * 60)} minutes)" if v >= 0.1 else
                "a short stop at the destination (seen there once on arrival)")
    if f == "turnaround_h":
        return (f"comes back to the origin about {_n(v)} hours after arriving" if v < 24 and high else
                f"back at the origin {_n(v)} hours after arriving (a quick turnaround)" if v < 24 else
                "does not come back to the origin the same day")
    if f == "return_share":
        return (f"returned to the origin within 24 hours after {v:.0%} of outbound trips" if high else
                "rarely returns to the origin the same day")
    if f == "beyond_share":
        return (f"carries on beyond the destination on {v:.0%} of trips (through traffic)" if high else
                "goes to the destination and no further")
    if f == "corridor_share":
        return (f"uses the known corridor on {v:.0%} of trips" if high else
                f"avoids the corridor cameras on {1 - v:.0%} of trips")
    if f == "elsewhere_share":
        return (f"{v:.0%} of its reads are elsewhere (other places, other work)" if high else
                "seen almost only on this route" if v < 0.05 else f"only {v:.0%} of its reads are off this route")
    if f == "swaps":
        return (f"another car left for the origin within 15 minutes of this one arriving, {int(v)} times "
                "with the same partner (a possible swap or hand-over)" if high else "no hand-over seen")
    if f == "cotravel":
        return (f"travelled with the same vehicle past 3 or more corridor cameras on {int(v)} trips "
                "(a possible escort: see leds anpr convoys)" if high else "travels alone")
    return f"{f} = {v}"


@dataclass
class Model:
    version: int
    coef: list[float]
    intercept: float
    mean: list[float]
    scale: list[float]
    threshold: float
    metrics: dict[str, Any]

    def log_odds(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """(log-odds, per-feature contributions) for each row."""
        z = (transform(rows) - np.array(self.mean)) / np.array(self.scale)
        contrib = z * np.array(self.coef)
        return contrib.sum(axis=1) + self.intercept, contrib

    def bounds(self, rows: Any, ranges: dict[str, tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest log-odds of each row over every value of the features in
        ``ranges`` (feature -> the columns of its lower and upper bounds; a lower bound column
        that is not there is 0): the contribution is monotone in each feature, so the
        extremes are at the ends."""
        rows = rows.copy()
        for f in ranges:
            rows[f] = 0
        base, _ = self.log_odds(rows)
        lo, hi = base.copy(), base.copy()
        for f, cols in ranges.items():
            j = FEATURES.index(f)
            ends = []
            for col in cols:
                x = rows[col].astype(float).clip(lower=0).to_numpy() if col in rows else np.zeros(len(rows))
                ends.append((np.log1p(x) if f in _LOG else x) * self.coef[j] / self.scale[j])
            lo += np.minimum(*ends)
            hi += np.maximum(*ends)
        return lo, hi

    def score(self, rows: Any, reasons: int = 4) -> list[tuple[float, list[str]]]:
        """Each row's probability and the features that drove it (most first), in words."""
        if len(rows) == 0:
            return []
        lo, contrib = self.log_odds(rows)
        out = []
        for i, (_, row) in enumerate(rows.iterrows()):
            p = 1.0 / (1.0 + math.exp(-float(lo[i])))
            order = np.argsort(-contrib[i])
            words = []
            for j in order[:reasons]:
                if contrib[i, j] <= 0.15:
                    break
                said = phrase(FEATURES[j], row, high=self.coef[j] > 0)
                if said not in words:
                    words.append(said)
            out.append((round(p, 4), words))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"kind": "leds.anpr courier model", "version": self.version, "algorithm": "logistic_regression",
                "features": list(FEATURES), "coef": self.coef, "intercept": self.intercept, "mean": self.mean,
                "scale": self.scale, "threshold": self.threshold, "metrics": self.metrics}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Model:
        if d.get("features") != list(FEATURES):
            raise ValueError("the saved model was trained on other features: train it again")
        return cls(d["version"], d["coef"], d["intercept"], d["mean"], d["scale"], d["threshold"], d["metrics"])


def _oof(make: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray, labelled: np.ndarray, seed: int) -> np.ndarray:
    """Out-of-fold scores for the labelled rows (the background stays in every fold's training set)."""
    from sklearn.model_selection import StratifiedKFold

    idx = np.flatnonzero(labelled)
    k = int(max(2, min(5, y[idx].sum(), (1 - y[idx]).sum())))
    out = np.zeros(len(idx))
    for _tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(idx, y[idx]):
        keep = np.ones(len(y), bool)
        keep[idx[te]] = False
        m = make()
        m.fit(x[keep], y[keep], sample_weight=w[keep])
        out[te] = m.predict_proba(x[idx[te]])[:, 1]
    return out


def _calibration(p: np.ndarray, y: np.ndarray, bins: int = 5) -> list[dict[str, Any]]:
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if m.any():
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_score": round(float(p[m].mean()), 3),
                         "observed": round(float(y[m].mean()), 3)})
    return rows


def fit(feats: Any, labels: dict[str, int], version: int, seed: int = 7) -> Model:
    """Fit the model on the feature rows (one per vehicle and route); ``labels`` by confusable key."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, brier_score_loss

    y_lab = feats["vkey"].map(labels)
    labelled = y_lab.notna().to_numpy()
    y = y_lab.fillna(0).astype(int).to_numpy()
    if y[labelled].sum() < 2 or (1 - y[labelled]).sum() < 2:
        raise ValueError(f"need at least 2 known couriers and 2 cleared vehicles on the routes; found "
                         f"{int(y[labelled].sum())} and {int((1 - y[labelled]).sum())}")
    w = np.where(labelled, 1.0, 0.1)
    raw = transform(feats)
    mean, scale = raw.mean(axis=0), raw.std(axis=0)
    scale[scale == 0] = 1.0
    x = (raw - mean) / scale

    def lr() -> Any:
        return LogisticRegression(C=0.5, max_iter=2000, class_weight="balanced")

    def gb() -> Any:  # the classic trees: no OpenMP pool (the histogram variant took 25 s here on a busy machine)
        return GradientBoostingClassifier(n_estimators=100, max_depth=3, subsample=0.8, random_state=seed)

    yl = y[labelled]
    oof_lr = _oof(lr, x, y, w, labelled, seed)
    oof_gb = _oof(gb, x, y, w, labelled, seed)
    m = lr().fit(x, y, sample_weight=w)
    coef, intercept = m.coef_[0], float(m.intercept_[0])
    threshold = round(min(0.99, max(0.9, float(oof_lr[yl == 0].max()) + 0.05)), 4)
    metrics = {
        "labelled": {"couriers": int(yl.sum()), "cleared": int((1 - yl).sum()), "background": int((~labelled).sum())},
        "choice": {"logistic_regression_ap": round(float(average_precision_score(yl, oof_lr)), 4),
                   "gradient_boosting_ap": round(float(average_precision_score(yl, oof_gb)), 4),
                   "used": "logistic_regression"},
        "calibration": {"brier": round(float(brier_score_loss(yl, oof_lr)), 4), "bins": _calibration(oof_lr, yl)},
        "threshold_rule": "0.9, or 0.05 above the highest out-of-fold score of a cleared vehicle if that is higher",
    }
    return Model(version, [round(float(c), 6) for c in coef], round(intercept, 6),
                 [float(v) for v in mean], [float(v) for v in scale], threshold, metrics)


def save(model: Model, folder: Path) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model-v{model.version}.json"
    body = json.dumps(model.to_json(), indent=1, sort_keys=True).encode()
    path.write_bytes(body)
    return path, hashlib.sha256(body).hexdigest()


def load(path: Path) -> Model:
    return Model.from_json(json.loads(path.read_text()))


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

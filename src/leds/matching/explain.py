"""Why two records are (or are not) the same person: the match weight each comparison
contributes, like Splink's waterfall chart, and any judgement on the pair."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from leds.config import Settings
from leds.db.engine import get_engine

from . import store
from .clusters import UNSUPPORTED_UNDATED, conflict, unsupported_undated
from .model import MatchModel, ModelError
from .tables import judgements

SHOWN = ("fn", "sn", "dob", "sex", "pnc", "cro", "postcode", "height", "eth", "force", "source")


class ExplainError(LookupError):
    """Nothing to explain: unknown record or person id, or no model yet."""


def _model(conn: Connection) -> MatchModel:
    model = store.current_model(conn)
    if model is None:
        raise ModelError("no model yet: run `leds match` first")
    return model


def _judgements(conn: Connection, a: str, b: str) -> list[dict[str, Any]]:
    lo, hi = store.pair(a, b)
    q = select(judgements).where(judgements.c.rkey_a == lo, judgements.c.rkey_b == hi).order_by(judgements.c.id)
    return [dict(r) for r in conn.execute(q).mappings()]


def explain_pair_conn(conn: Connection, a: str, b: str) -> dict[str, Any]:
    model = _model(conn)
    feats = store.features_of(conn, [a, b])
    for r in (a, b):
        if r not in feats:
            raise ExplainError(f"{r} is not a matched person record (check the key, or run `leds match`)")
    out = model.explain(feats[a], feats[b])
    assign = store.assignments(conn, [a, b])
    js = _judgements(conn, a, b)
    out.update(
        rkey_a=a, rkey_b=b, threshold=model.threshold, review_low=model.review_low,
        model_says="same" if out["match_weight"] >= model.threshold else
        ("review" if out["match_weight"] >= model.review_low else "not-same"),
        judgements=js, decision=js[-1]["verdict"] if js and js[-1]["verdict"] != "unsure" else None,
        # why the two cannot be one person whatever the weight (clusters.conflict), if they cannot
        conflict=conflict([feats[a]], [feats[b]])
        or (UNSUPPORTED_UNDATED if unsupported_undated(feats[a], feats[b], model.shared_names) else None),
        person_id_a=assign.get(a), person_id_b=assign.get(b),
        values={r: {k: feats[r].get(k) for k in SHOWN} for r in (a, b)},
    )
    return out


def explain_pair(settings: Settings, a: str, b: str) -> dict[str, Any]:
    """The waterfall for one pair, as a dict (for the API and the CLI)."""
    with get_engine(settings).connect() as conn:
        return explain_pair_conn(conn, a, b)


def explain_person(settings: Settings, person_id: str) -> dict[str, Any]:
    """A person's records and the pairwise weights that hold them together."""
    with get_engine(settings).connect() as conn:
        return explain_person_conn(conn, person_id)


def explain_person_conn(conn: Connection, person_id: str, only: Collection[str] | None = None) -> dict[str, Any]:
    """As :func:`explain_person`; with ``only``, just those of the person's records (the ones
    a caller may see) and the pairs between them."""
    model = _model(conn)
    members = store.members_of(conn, person_id)
    if only is not None:
        members = [r for r in members if r in only]
    if not members:
        raise ExplainError(f"no person id {person_id}")
    feats = store.features_of(conn, members)
    pairs = []
    for i, x in enumerate(members):
        for y in members[i + 1:]:
            e = model.explain(feats[x], feats[y])
            pairs.append({"rkey_a": x, "rkey_b": y, "match_weight": e["match_weight"],
                          "linked": e["match_weight"] >= model.threshold,
                          "by_comparison": {c["comparison"]: round(c["match_weight"], 2) for c in e["comparisons"]}})
    return {"person_id": person_id, "model_version": model.version, "threshold": model.threshold,
            "records": [{"rkey": r, **{k: feats[r].get(k) for k in SHOWN}} for r in members], "pairs": pairs}

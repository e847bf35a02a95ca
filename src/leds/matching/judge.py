"""Judgements: record a human decision and apply it to the person ids at once.

``not-same`` on two records of one person splits that person: the cluster's records
are re-clustered with every judgement, from the pairwise scores of the model, and
the part with most records keeps the id.  ``same`` on records of two persons merges
them.  Both are logged in the identity log with the judgement's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from leds.config import Settings
from leds.db.engine import get_engine, write_transaction

from . import store
from .clusters import IdentityEvent, cluster, succeed
from .models import Verdict
from .tables import match_review


@dataclass
class JudgementResult:
    judgement_id: int
    events: list[IdentityEvent]


def judge(settings: Settings, a: str, b: str, verdict: str, by: str, why: str) -> JudgementResult:
    with get_engine(settings).connect() as conn, write_transaction(conn):
        return apply_judgement(conn, a, b, verdict, by, why)


def apply_judgement(conn: Connection, a: str, b: str, verdict: str, by: str, why: str) -> JudgementResult:
    """Record the judgement and apply it, inside the caller's write transaction."""
    jid = store.add_judgement(conn, a, b, verdict, by, why)
    conn.execute(match_review.delete().where(
        match_review.c.rkey_a == min(a, b), match_review.c.rkey_b == max(a, b)))
    model = store.current_model(conn)
    assign = store.assignments(conn, [a, b])
    if model is None or a not in assign or b not in assign or verdict == Verdict.UNSURE:
        return JudgementResult(jid, [])
    pa, pb = assign[a], assign[b]
    if verdict == Verdict.NOT_SAME and pa != pb or verdict == Verdict.SAME and pa == pb:
        return JudgementResult(jid, [])
    members = sorted(set(store.members_of(conn, pa)) | set(store.members_of(conn, pb)))
    feats = store.features_of(conn, members)
    pairs = [(x, y, model.score(feats[x], feats[y])) for i, x in enumerate(members) for y in members[i + 1:]]
    result = cluster(members, pairs, model.threshold, store.latest_verdicts(conn),
                     {r: f["pnc"] for r, f in feats.items()}, feats)
    old = {r: assign_ for r, assign_ in store.assignments(conn, members).items()}
    new, events = succeed(old, result.members.values())
    changed = {r: p for r, p in new.items() if old.get(r) != p}
    store.set_person_ids(conn, changed, "judgement")
    store.log_events(conn, events, f"judgement {jid} ({verdict}) by {by}: {why}",
                     model_version=model.version, judgement_id=jid)
    return JudgementResult(jid, events)

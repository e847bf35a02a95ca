"""The real-time matcher: a projector, so a person updategram that arrives after a batch
run gets its national person id in the same ingest transaction.

Cheap when there is no model: batches without person records cost nothing, and the
others one indexed look-up of the current model version.  With a model, each new
person record is scored in plain Python (m/u Bayes factors, see ``model.py``) against
the records that share a blocking key with it, and joins the cluster of its best match
at or above the threshold, under the same constraints as the batch clustering
(judged not-same, different PNC IDs, ``clusters.conflict``); otherwise it gets a new id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, delete, select

from leds.access.policy import Principal, read_records
from leds.ingest import projectors
from leds.ingest.accepted import Accepted

from . import store
from .clusters import IdentityEvent, ambiguous, conflict, new_person_id, unsupported_undated
from .comparisons import block_keys, lookup_keys
from .features import PURPOSE, Address, address_of, link_end, person_features, set_address
from .model import MatchModel, now
from .models import Verdict
from .tables import match_keys, person_ids


def _addresses(conn: Connection, items: list[Accepted]) -> dict[str, Address]:
    """person rkey -> address, from resides_at links in this batch (the location read from
    the batch, or through the access policy when it arrived earlier)."""
    homes: dict[str, str] = {}
    locations: dict[str, dict[str, Any] | None] = {}
    for a in items:
        if a.rtype == "link" and a.data_json is not None:
            d = a.data
            assert d is not None
            if d.get("role") == "resides_at" and d["from"].get("type") == "person":
                homes[link_end(a, d["from"])] = link_end(a, d["to"])
        elif a.rtype == "location":
            locations[a.rkey] = a.data
    missing = sorted(set(homes.values()) - set(locations))
    if missing:
        for v in read_records(conn, Principal.system(), PURPOSE, rkeys=missing, rtype="location",
                              limit=len(missing)):
            locations[v.rkey] = v.data
    return {p: address_of(locations.get(loc)) for p, loc in homes.items()}


class RealtimeMatcher:
    name = "matching"
    # Not a pure projection of the log (ids also depend on the model and on judgements),
    # so rebuild does not empty these tables and the digest does not cover them.
    tables: Sequence[Table] = ()

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        persons = [a for a in items if a.rtype == "person"]
        links = any(a.rtype == "link" for a in items)
        if not persons and not links:
            return
        model = store.current_model(conn)
        if model is None:
            return
        addresses = _addresses(conn, items) if links else {}
        newest: dict[str, Accepted] = {}
        for a in persons:
            if a.rkey not in newest or a.sequence > newest[a.rkey].sequence:
                newest[a.rkey] = a
        known = store.features_of(conn, set(newest) | set(addresses))
        for rkey, a in newest.items():
            if a.op == "delete":
                self._remove(conn, rkey, known.get(rkey), model)
            elif rkey in known:
                self._refresh(conn, a, known[rkey], addresses.get(rkey))
            else:
                self._attach(conn, model, person_features(rkey, a.force, a.source, a.ref, a.data or {},
                                                         addresses.get(rkey, (None, None))))
        # An address that arrived after its person: refresh the features, keep the id.
        for rkey, addr in addresses.items():
            if rkey not in newest and rkey in known:
                old = known[rkey]
                new = dict(old)
                set_address(new, addr)
                self._rewrite(conn, old, new)

    # -- helpers ------------------------------------------------------------------------
    def _rewrite(self, conn: Connection, old: dict[str, Any], new: dict[str, Any]) -> None:
        rkey = new["unique_id"]
        for k in set(block_keys(old)) - set(block_keys(new)):
            conn.execute(delete(match_keys).where(match_keys.c.key == k, match_keys.c.rkey == rkey))
        for k in set(block_keys(new)) - set(block_keys(old)):
            conn.execute(match_keys.insert().values(key=k, rkey=rkey))
        conn.execute(person_ids.update().where(person_ids.c.rkey == rkey)
                     .values(features=orjson.dumps(new).decode()))

    def _refresh(self, conn: Connection, a: Accepted, old: dict[str, Any], addr: Address | None) -> None:
        keep: Address = addr if addr is not None else (old.get("postcode"), old.get("addr"))
        self._rewrite(conn, old, person_features(a.rkey, a.force, a.source, a.ref, a.data or {}, keep))

    def _remove(self, conn: Connection, rkey: str, old: dict[str, Any] | None, model: MatchModel) -> None:
        if old is None:
            return
        pid = store.assignments(conn, [rkey]).get(rkey)
        conn.execute(delete(match_keys).where(match_keys.c.rkey == rkey))
        conn.execute(delete(person_ids).where(person_ids.c.rkey == rkey))
        if pid and not store.members_of(conn, pid):
            store.log_events(conn, [IdentityEvent("retire", [pid], [rkey])], "its last record was deleted",
                             model_version=model.version)

    def _attach(self, conn: Connection, model: MatchModel, row: dict[str, Any]) -> None:
        pid = best_cluster(conn, model, row)
        if pid is None:
            pid = new_person_id()
            store.log_events(conn, [IdentityEvent("new", [pid], [row["unique_id"]])],
                             f"real-time match with model v{model.version}: no match at or above "
                             f"{model.threshold} bits", model_version=model.version)
        conn.execute(person_ids.insert().values(rkey=row["unique_id"], person_id=pid,
                                                features=orjson.dumps(row).decode(), assigned_by="realtime",
                                                assigned_at=now(), model_version=model.version))
        keys = block_keys(row)
        if keys:
            conn.execute(match_keys.insert(), [{"key": k, "rkey": row["unique_id"]} for k in keys])


def candidates(conn: Connection, row: dict[str, Any]) -> list[str]:
    keys = lookup_keys(row)
    if not keys:
        return []
    found = conn.execute(select(match_keys.c.rkey).where(match_keys.c.key.in_(keys)).distinct()).scalars()
    return sorted(set(found) - {row["unique_id"]})


def best_cluster(conn: Connection, model: MatchModel, row: dict[str, Any]) -> str | None:
    """The person id of the best-scoring candidate at or above the threshold whose cluster
    the record may join (no not-same judgement, no different PNC ID, no conflict)."""
    rkey = row["unique_id"]
    cands = candidates(conn, row)
    if not cands:
        return None
    feats = store.features_of(conn, cands)
    scored = sorted(((model.score(row, f), r) for r, f in feats.items()), key=lambda x: (-x[0], x[1]))
    scored = [(w, r) for w, r in scored if w >= model.threshold]
    if not scored or len(scored) > 1 and ambiguous(row, [feats[r] for _, r in scored]):
        return None  # no match, or it fits two records that cannot be one person (as in batch)
    scored = [(w, r) for w, r in scored if not unsupported_undated(row, feats[r], model.shared_names)]
    assign = store.assignments(conn, [r for _, r in scored])
    verdicts = store.latest_verdicts(conn) if row["pnc"] is None else None
    tried: set[str] = set()
    for _w, r in scored:
        pid = assign.get(r)
        if pid is None or pid in tried:
            continue
        tried.add(pid)
        members = store.members_of(conn, pid)
        mf = store.features_of(conn, members)
        if row["pnc"] and any(f["pnc"] and f["pnc"] != row["pnc"] for f in mf.values()):
            continue
        if conflict([row], list(mf.values())):
            continue
        if verdicts is None:
            verdicts = store.latest_verdicts(conn)
        if any(verdicts.get(store.pair(rkey, m)) == Verdict.NOT_SAME for m in members):
            continue
        return pid
    return None


projectors.register(RealtimeMatcher())

"""Evaluation in the ingest transaction: each batch's changes are matched against the
subscription index (``alert_keys``) and every alert is written (inbox, outbox) before the
batch commits, so an alert exists exactly when its change does.

Cost: nothing when no subscription exists (one indexed probe); otherwise a few indexed
look-ups per batch, whatever the number of subscriptions: the records one hop away (the
reference index), their national person ids and those ids' members (matching's tables),
then one look-up of every key the batch touches.  Runs last (PROJECTOR_MODULES), after the
real-time matcher has given new person records their ids.

Access: an alert is written only if the subscriber (still enabled, still holding the
role that allows alerts) may see the changed record; the reader's access is applied again
when the inbox is read and when an external channel delivers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from leds.access.policy import Principal, RecordView, allows, read_records, references
from leds.db.bulk import insert_rows, select_in
from leds.ingest import projectors
from leds.ingest.accepted import Accepted
from leds.matching.tables import person_ids
from leds.search.keys import district_of, vrm_key
from leds.search.tables import search_places, search_vehicles
from leds.standard.validators import today

from . import keys
from .service import NewAlert, Sub, principals, utcnow, write_alerts
from .tables import alert_keys, alert_subscriptions

PURPOSE = "alerting"  # the system purpose of evaluation's own reads (markers for rules)


def _type(rkey: str) -> str:
    parts = rkey.split("|", 3)
    return parts[2] if len(parts) == 4 else ""


class AlertsProjector:
    name = "alerts"
    # Subscriptions are user state and alerts depend on them: nothing here is a projection of
    # the log alone, so rebuild empties nothing and the digest covers nothing.
    tables: Sequence[Table] = ()
    # A replay of the log (`leds rebuild`) is not news: alerts were raised when the changes
    # arrived, and a subscription made since must not hear of the past.
    live_only = True

    def apply(self, conn: Connection, items: list[Accepted]) -> None:
        changed = [a for a in items if a.current and a.op == "upsert"]
        present = _present(conn) if changed else set()
        if not present:
            return
        ev = _Batch(conn, changed, present)
        wanted = ev.keys()
        found = select_in(conn, alert_keys, ("key", "subscription_id"), "key", sorted(wanted))
        if not found:
            return
        by_key: dict[str, set[int]] = defaultdict(set)
        for k, sid in found:
            by_key[k].add(int(sid))
        subs = _live(conn, {sid for s in by_key.values() for sid in s})
        if not subs:
            return
        who = principals(conn, {s.owner for s in subs.values()})
        at = utcnow()
        follow: set[tuple[str, int]] = set()
        out: list[NewAlert] = []
        existing = {(k, int(s)) for k, s in found}
        for a in changed:
            matched: dict[int, str] = {}
            for k in ev.item_keys[a.rkey]:
                for sid in by_key.get(k, ()):
                    matched.setdefault(sid, k)
            for sid, via in matched.items():
                sub = subs.get(sid)
                p = who.get(sub.owner) if sub else None
                if sub is None or p is None or not _may(p, a) or not ev.fits(sub, a):
                    continue
                pid = ev.person_of(a, sub)
                if sub.kind == "person" and pid:
                    follow |= {(f"rec:{m}", sid) for m in ev.members.get(pid, ())}
                out.append(NewAlert(sub, "change", pid, a.rkey, {
                    "rtype": a.rtype, "force": a.force, "source": a.source, "sequence": a.sequence,
                    "dataset": a.dataset, "change": "new" if a.new_record else "updated",
                    "via": via.split(":", 1)[0]}, f"{a.force}|{a.source}|{a.sequence}"))
        write_alerts(conn, out, at)
        # A person subscription follows every record found in its person since: a later
        # split or merge keeps it on each of them.
        insert_rows(conn, alert_keys, ("key", "subscription_id"), sorted(follow - existing))


    def identity_changed(self, conn: Connection, events: list[Any], origin: dict[str, Any]) -> None:
        """A merge or a split made by batch matching, a judgement or an erasure's re-resolution
        is news to the subscribers of the persons concerned (found through the same index:
        ``pid:`` each person id, ``rec:`` each record), in the transaction that makes it.  The
        alert names the persons involved and no record (the subscriber reads those through
        the access policy as usual); the subscription already follows each record it kept, so
        it stays on the person or persons they now form."""
        news = [e for e in events if e.kind in ("merge", "split")]
        if not news or not {"pid", "rec"} & _present(conn):
            return
        per_event = [[f"pid:{p}" for p in e.person_ids] + [f"rec:{r}" for r in e.rkeys] for e in news]
        found = select_in(conn, alert_keys, ("key", "subscription_id"), "key",
                          sorted({k for ks in per_event for k in ks}))
        by_key: dict[str, set[int]] = defaultdict(set)
        for k, sid in found:
            by_key[k].add(int(sid))
        subs = {i: s for i, s in _live(conn, {sid for v in by_key.values() for sid in v}).items() if s.kind == "person"}
        if not subs:
            return
        who = principals(conn, {s.owner for s in subs.values()})
        mark = origin.get("run_id") or origin.get("judgement_id") or origin.get("at")
        out: list[NewAlert] = []
        follow: set[tuple[str, int]] = set()
        for e, ks in zip(news, per_event, strict=True):
            told: set[int] = set()
            for k in ks:
                for sid in by_key.get(k, ()):
                    sub = subs.get(sid)
                    p = who.get(sub.owner) if sub else None
                    if sub is None or sid in told or p is None or "manage_alerts" not in p.actions():
                        continue
                    told.add(sid)
                    pid = sub.target if sub.target in e.person_ids else e.person_ids[0]
                    out.append(NewAlert(sub, e.kind, pid, None, {
                        "change": e.kind, "person_ids": list(e.person_ids), "records": len(e.rkeys),
                        "by": origin.get("by")}, f"identity:{origin.get('by')}:{mark}:{e.kind}:{e.person_ids[0]}"))
                    if e.kind == "merge":  # it follows the merged person's every record from now on
                        follow |= {(f"rec:{r}", sid) for r in e.rkeys} | {(f"pid:{e.person_ids[0]}", sid)}
        write_alerts(conn, out)
        insert_rows(conn, alert_keys, ("key", "subscription_id"), sorted(follow - {(k, int(s)) for k, s in found}))


def _may(p: Principal, a: Accepted) -> bool:
    view = RecordView(a.rkey, a.force, a.source, a.rtype, a.ref, a.sequence, False, a.dataset, a.handling,
                      a.sharing, a.issued_at, None)
    return "manage_alerts" in p.actions() and allows(p, view)


def _live(conn: Connection, ids: set[int]) -> dict[int, Sub]:
    s = alert_subscriptions.c
    q = select(alert_subscriptions).where(s.id.in_(sorted(ids)), s.cancelled_at.is_(None),
                                          s.expires_on >= today().isoformat(), s.kind != "watch")
    return {r["id"]: Sub.from_row(r) for r in conn.execute(q).mappings()}


FAMILIES = ("rec", "pid", "veh", "rule", "srch")  # see leds.alerts.keys


_ANY = select(alert_keys.c.key).limit(1)
_PROBES = {f: select(alert_keys.c.key).where(alert_keys.c.key >= f + ":", alert_keys.c.key < f + ";").limit(1)
           for f in FAMILIES}


def _present(conn: Connection) -> set[str]:
    """The key families that have at least one subscription (a probe of the index each, built
    once): the work for a family nobody subscribes through is skipped, and with no
    subscription at all one probe is the whole cost of a batch."""
    if conn.execute(_ANY).first() is None:
        return set()
    return {f for f, probe in _PROBES.items() if conn.execute(probe).first() is not None}


class _Batch:
    """What a batch's changes touch: persons (and their ids and members), vehicles, places;
    worked out only for the key families some subscription uses."""

    def __init__(self, conn: Connection, changed: list[Accepted], present: set[str]):
        self.conn = conn
        self.changed = changed
        self.present = present
        self.batch = {a.rkey: a for a in changed}
        self._data: dict[str, dict[str, Any]] = {}
        people = bool(present & {"rec", "pid"})
        vehicles = "veh" in present
        ends: dict[str, set[str]] = defaultdict(set)  # item -> records one hop away
        for a in changed:
            if a.rtype in ("marker", "link", "missing_episode"):  # an episode's subject is its person
                ends[a.rkey] |= {t for _, t in a.refs()}
        plain = [a.rkey for a in changed if a.rtype in ("event", "location", "vehicle")] \
            if people or vehicles else []
        link_of: dict[str, set[str]] = defaultdict(set)
        for lk, role, t in references(conn, to=plain) if plain else []:
            if role in ("from", "to"):
                link_of[lk].add(t)
        if link_of:
            for lk, _role, t in references(conn, of=sorted(link_of)):
                for item in link_of[lk]:
                    if t != item:
                        ends[item].add(t)
        self.ends = ends
        self.persons: dict[str, list[str]] = {
            a.rkey: [a.rkey] if a.rtype == "person" else sorted(t for t in ends[a.rkey] if _type(t) == "person")
            for a in changed}
        self.pid: dict[str, str] = {}
        self.members: dict[str, list[str]] = defaultdict(list)
        if people:
            self._ids(sorted({r for v in self.persons.values() for r in v}))
        self.vrm_keys: dict[str, str] = {}
        if vehicles:
            around = sorted({t for v in ends.values() for t in v if _type(t) == "vehicle"} - set(self.batch))
            self.vrm_keys = {r: k for r, k in select_in(conn, search_vehicles, ("rkey", "vrm_key"), "rkey",
                                                        around)} if around else {}
            for a in changed:
                if a.rtype == "vehicle" and self.data(a.rkey).get("vrm"):
                    self.vrm_keys[a.rkey] = vrm_key(self.data(a.rkey)["vrm"])
        self.item_keys: dict[str, list[str]] = {}

    def data(self, rkey: str) -> dict[str, Any]:
        if rkey not in self._data:
            self._data[rkey] = self.batch[rkey].data or {}
        return self._data[rkey]

    def _ids(self, rkeys: list[str]) -> None:
        """National person ids of these person records, and every member of those ids."""
        rkeys = [r for r in rkeys if r not in self.pid]
        if not rkeys:
            return
        found = {r: p for r, p in select_in(self.conn, person_ids, ("rkey", "person_id"), "rkey", rkeys,
                                            index="ix_person_ids_rkey_person_id")}
        self.pid.update(found)
        pids = sorted(set(found.values()) - set(self.members))
        if pids:
            for p, r in select_in(self.conn, person_ids, ("person_id", "rkey"), "person_id", pids,
                                  index="ix_person_ids_person_id"):
                self.members[p].append(r)

    def keys(self) -> set[str]:
        out: set[str] = set()
        present = self.present
        for a in self.changed:
            ks: list[str] = []
            if present & {"rec", "pid"}:
                for r in self.persons[a.rkey]:
                    ks.append(f"rec:{r}")
                    p = self.pid.get(r)
                    if p:
                        ks.append(f"pid:{p}")
                        ks += [f"rec:{m}" for m in self.members.get(p, ())]
            if "veh" in present:
                vehicles = ([a.rkey] if a.rtype == "vehicle" else []) + \
                    [t for t in self.ends[a.rkey] if _type(t) == "vehicle"]
                ks += [f"veh:{self.vrm_keys[v]}" for v in vehicles if v in self.vrm_keys]
            if "rule" in present:
                ks += keys.change_rule_keys(a.rtype, self.data(a.rkey) if a.rtype in ("marker", "event", "link")
                                            else None)
            if "srch" in present and a.rtype == "person":
                ks += keys.change_search_keys(self.data(a.rkey))
            self.item_keys[a.rkey] = list(dict.fromkeys(ks))
            out.update(ks)
        return out

    def person_of(self, a: Accepted, sub: Sub) -> str | None:
        around = self.persons[a.rkey]
        self._ids(around)  # already known when a person subscription exists
        if sub.kind == "person":
            for r in around:
                p = self.pid.get(r, r)
                if p == sub.target or r == sub.target or sub.target in self.members.get(p, ()):
                    return p
            for r in around:  # followed through a record it had kept (a merge or a split since)
                if f"rec:{r}" in self.item_keys[a.rkey]:
                    return self.pid.get(r, r)
        return self.pid.get(around[0], around[0]) if around else None

    # -- the filters of rules and saved searches ------------------------------------------------
    def fits(self, sub: Sub, a: Accepted) -> bool:
        if sub.kind == "rule":
            return self._rule(sub.spec or {}, a)
        if sub.kind == "search":
            return a.rtype == "person" and _search(sub.spec or {}, self.data(a.rkey))
        return True

    def _rule(self, rule: dict[str, Any], a: Accepted) -> bool:
        d = self.data(a.rkey)
        if a.rtype != rule["type"]:
            return False
        if rule.get("forces") and a.force not in rule["forces"]:
            return False
        if rule.get("event_kind") and d.get("kind") != rule["event_kind"]:
            return False
        if rule.get("link_role") and d.get("role") != rule["link_role"]:
            return False
        if rule.get("marker"):
            if a.rtype == "marker":
                if d.get("code") != rule["marker"]:
                    return False
            elif not any(rule["marker"] in self._markers(p) for p in self.persons[a.rkey]):
                return False
        if rule.get("districts"):
            return bool(set(rule["districts"]) & self._districts(a))
        return True

    def _markers(self, person: str) -> set[str]:
        codes = {self.data(k).get("code") for k, b in self.batch.items()
                 if b.rtype == "marker" and person in {t for _, t in b.refs()}}
        refs = [k for k, role, _ in references(self.conn, to=[person]) if role == "subject" and k not in self.batch]
        if refs:
            for v in read_records(self.conn, Principal.system(), PURPOSE, rkeys=refs, rtype="marker", limit=len(refs)):
                codes.add((v.data or {}).get("code"))
        return {c for c in codes if c}

    def _districts(self, a: Accepted) -> set[str]:
        places = [a.rkey] if a.rtype == "location" else [t for t in self.ends[a.rkey] if _type(t) == "location"]
        out: set[str] = set()
        later = []
        for p in places:
            if p in self.batch:
                pc = (self.data(p).get("address") or {}).get("postcode")
                if pc:
                    out.add(district_of(pc))
            else:
                later.append(p)
        if later:
            out |= {d for _, d in select_in(self.conn, search_places, ("rkey", "district"), "rkey", later)}
        return out


def _search(spec: dict[str, Any], d: dict[str, Any]) -> bool:
    names = d.get("names") or []
    if spec.get("surname"):
        want = keys.norm_name(spec["surname"])
        names = [n for n in names if keys.norm_name(n.get("family") or "") == want]
        if not names:
            return False
    if spec.get("forename"):
        f = spec["forename"].upper()
        if not any(g.upper().startswith(f) for n in names for g in n.get("given") or []):
            return False
    if spec.get("dob") and spec["dob"] not in (d.get("birth_dates") or []):
        return False
    if spec.get("sex") and d.get("sex") != spec["sex"]:
        return False
    return not (spec.get("pnc_id") and d.get("pnc_id") != spec["pnc_id"])


projectors.register(AlertsProjector())

__all__ = ["AlertsProjector"]

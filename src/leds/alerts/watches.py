"""Investigative interest: the officer holding a watch on a person is told when another user
looks that person up.  The person looking is told nothing and sees nothing different: the
look-up itself is untouched; the follower reads the audit trail after the fact, where every
consultation already names the records returned (``audit_subjects``), and so costs the
look-up nothing.

:func:`follow` reads the consultations appended since its cursor (``alert_cursors``), looks
their subjects up in the subscription index (``watch:rec:<record>``, ``watch:pid:<id>``) and
writes an inbox alert of kind ``lookup`` for each live watch whose owner is not the person
looking, in one transaction with the cursor's move.  Alerts' own reads (the inbox, a
subscription's check of its subject, deliveries) are not look-ups and are skipped, so two
watchers never alert each other in a loop.  The delivery workers run it on every turn.
"""

from __future__ import annotations

import orjson
from sqlalchemy import Engine, func, insert, select, update

from leds.audit.tables import audit_entries
from leds.db.bulk import select_in
from leds.db.engine import write_transaction
from leds.standard.validators import today

from .service import Sub, write_alert
from .tables import alert_cursors, alert_keys, alert_subscriptions

CURSOR = "watch"
OWN_KINDS = ("alert inbox", "alert subscription", "alert delivery")
BATCH = 2000


def follow(engine: Engine) -> int:
    """Alert watchers about the look-ups appended since the last call; how many alerts."""
    e = audit_entries.c
    with engine.connect() as conn:  # the usual case, nothing new or no watch: no write transaction
        pos = conn.execute(select(alert_cursors.c.position).where(alert_cursors.c.name == CURSOR)).scalar()
        top = conn.execute(select(func.max(e.id))).scalar() or 0
        if pos is not None and top <= pos:
            return 0
        if pos is not None and conn.execute(select(alert_keys.c.key).where(alert_keys.c.key >= "watch:", alert_keys.c.key < "watch;")
                                            .limit(1)).first() is None:
            return 0  # no watch: the cursor may lag (a watch only hears of look-ups after it was made)
    with engine.connect() as conn, write_transaction(conn):
        pos = conn.execute(select(alert_cursors.c.position).where(alert_cursors.c.name == CURSOR)).scalar()
        if pos is None:  # the first run starts from now: no alerts about the past
            pos = conn.execute(select(func.max(e.id))).scalar() or 0
            conn.execute(insert(alert_cursors).values(name=CURSOR, position=pos))
            return 0
        rows = conn.execute(select(e.id, e.action, e.actor, e.purpose, e.subjects, e.kind, e.at)
                            .where(e.id > pos).order_by(e.id).limit(BATCH)).all()
        if not rows:
            return 0
        top = rows[-1].id
        made = 0
        looked = [(r, orjson.loads(r.subjects)) for r in rows
                  if r.action == "consultation" and r.actor.startswith("user:") and r.kind not in OWN_KINDS]
        wanted = sorted({f"watch:{'pid' if s.startswith('NP-') else 'rec'}:{s}" for _, ss in looked for s in ss})
        found: dict[str, set[int]] = {}
        for k, sid in select_in(conn, alert_keys, ("key", "subscription_id"), "key", wanted) if wanted else []:
            found.setdefault(k, set()).add(int(sid))
        ids = sorted({i for v in found.values() for i in v})
        live = conn.execute(select(alert_subscriptions).where(
            alert_subscriptions.c.id.in_(ids), alert_subscriptions.c.cancelled_at.is_(None),
            alert_subscriptions.c.expires_on >= today().isoformat())).mappings().all() if ids else []
        subs = {r["id"]: Sub.from_row(r) for r in live}
        created = {r["id"]: r["created_at"] for r in live}
        for r, subjects in looked:
            told: set[int] = set()
            for s in subjects:
                for sid in found.get(f"watch:{'pid' if s.startswith('NP-') else 'rec'}:{s}", ()):
                    sub = subs.get(sid)
                    if sub is None or sid in told or f"user:{sub.owner}" == r.actor or r.at < created[sid]:
                        continue  # not live, told already, the watcher's own, or before the watch
                    told.add(sid)
                    write_alert(conn, sub, kind="lookup", person_id=sub.target, rkey=s if not s.startswith("NP-")
                                else None, key=f"lookup:{r.id}",
                                detail={"looked_up_by": r.actor, "look_up_purpose": r.purpose,
                                        "look_up": r.kind, "audit_entry": r.id, "looked_up_at": r.at})
                    made += 1
        conn.execute(update(alert_cursors).where(alert_cursors.c.name == CURSOR).values(position=top))
        return made

"""What matching keeps about an erased person, forgotten in the erasure's transaction: the
national person ids their records belonged to (the rest of each cluster is re-resolved
without them, or the id retired), rows naming a retired id, and the names a trained
model lists (its term frequencies and full-name lists, in the store and in model files)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from leds.config import Settings
from leds.db.bulk import select_in
from leds.db.schema import metadata


def existing_tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def affected_ids(conn: Connection, rkeys: list[str]) -> list[str]:
    """The national person ids that erased records belong to (read before they are removed)."""
    from leds.matching.tables import person_ids

    if "person_ids" not in existing_tables(conn):
        return []
    return sorted(
        {p for _r, p in select_in(conn, person_ids, ("rkey", "person_id"), "rkey", rkeys)}
    )


def recluster(conn: Connection, pids: list[str], keep: frozenset[str]) -> dict[str, Any]:
    """Re-resolve each national person an erased record was part of, without it: the
    remaining records are clustered again under the current model (a link that ran through
    the erased record no longer holds them together), and each part after the first gets a
    new id ('split' in the identity log); an id with no record left is retired (with the rows
    of other tables, but those in ``keep``, that name it)."""
    from leds.matching import store
    from leds.matching.clusters import IdentityEvent, cluster, succeed

    model = store.current_model(conn) if pids else None
    split = 0
    retired: list[str] = []
    for pid in pids:
        members = store.members_of(conn, pid)
        if not members:
            store.log_events(
                conn,
                [IdentityEvent("retire", [pid], [])],
                "its records were erased",
                model_version=model.version if model else None,
            )
            retired.append(pid)
            continue
        if model is None or len(members) < 2:
            continue
        feats = store.features_of(conn, members)
        pairs = [
            (a, b, model.score(feats[a], feats[b]))
            for i, a in enumerate(members)
            for b in members[i + 1 :]
        ]
        verdicts = {
            k: v for k, v in store.latest_verdicts(conn).items() if k[0] in feats and k[1] in feats
        }
        res = cluster(
            members,
            pairs,
            model.threshold,
            verdicts,
            {r: feats[r].get("pnc") for r in members},
            feats,
            shared_names=model.shared_names,
        )
        comps = list(res.members.values())
        if len(comps) < 2:
            continue
        assign, events = succeed({r: pid for r in members}, comps)
        store.set_person_ids(conn, {r: p for r, p in assign.items() if p != pid}, "erasure")
        store.log_events(conn, events, "re-resolved after an erasure", model_version=model.version)
        split += 1
    gone = forget_person_ids(conn, retired, keep)
    return {
        "person_ids_affected": len(pids),
        "split": split,
        "retired": len(retired),
        "rows_naming_them": gone,
    }


def forget_person_ids(conn: Connection, retired: list[str], keep: frozenset[str]) -> int:
    """Rows of other projections that name a retired national person id (an alert about
    the person, for example) go with it."""
    if not retired:
        return 0
    present = existing_tables(conn)
    n = 0
    for table in metadata.sorted_tables:
        if (
            "person_id" in table.c
            and table.name not in keep | {"person_ids"}
            and table.name in present
        ):
            n += conn.execute(delete(table).where(table.c.person_id.in_(retired))).rowcount
    return n


_NOT_VALUES = frozenset({"unique_id", "force", "source", "ref"})


def erased_values(conn: Connection, rkeys: list[str]) -> set[str]:
    """The matching feature values of erased person records (read before they are removed)."""
    from leds.matching import store

    if "person_ids" not in existing_tables(conn):
        return set()
    out: set[str] = set()
    for f in store.features_of(
        conn, [k for k in rkeys if k.split("|")[2:3] == ["person"]]
    ).values():
        for col, v in f.items():
            if col not in _NOT_VALUES:
                out.update(
                    x
                    for x in (v if isinstance(v, list) else [v])
                    if isinstance(x, str) and len(x) >= 2
                )
    return out


def gone_values(conn: Connection, values: set[str]) -> set[str]:
    """Of ``values``, those no remaining record's matching features hold."""
    from leds.matching.tables import person_ids

    return {
        v
        for v in values
        if conn.execute(
            select(person_ids.c.rkey)
            .where(person_ids.c.features.contains(orjson.dumps(v).decode()))
            .limit(1)
        ).first()
        is None
    }


def _forget_in_model(doc: dict[str, Any], gone: set[str]) -> bool:
    """Drop values nobody holds any more from a person model's term frequencies and full-name
    lists (a model trained on the store lists every surname and forename it saw)."""
    changed = False
    for table in (doc.get("term_frequencies") or {}).values():
        for v in [k for k in table if k in gone]:
            del table[v]
            changed = True

    def named(key: str) -> bool:
        return any(t in gone for t in key.replace("|", " ").split())

    if isinstance(doc.get("full_names"), dict):
        for k in [k for k in doc["full_names"] if named(k)]:
            del doc["full_names"][k]
            changed = True
    if isinstance(doc.get("shared_full_names"), list):
        kept = [k for k in doc["shared_full_names"] if not named(k)]
        changed |= len(kept) != len(doc["shared_full_names"])
        doc["shared_full_names"] = kept
    return changed


def forget_in_models(conn: Connection, gone: set[str]) -> int:
    """The stored models (``match_models``), in the erasure transaction."""
    from leds.matching import store
    from leds.matching.tables import match_models

    if not gone or "match_models" not in existing_tables(conn):
        return 0
    n = 0
    for version, text in conn.execute(select(match_models.c.version, match_models.c.doc)).all():
        doc = json.loads(text)
        if _forget_in_model(doc, gone):
            conn.execute(
                update(match_models)
                .where(match_models.c.version == version)
                .values(doc=json.dumps(doc))
            )
            store._PARSED.clear()  # parsed copies of the old text
            n += 1
    return n


def forget_in_model_files(settings: Settings, gone: set[str]) -> int:
    """The model files under LEDS_HOME/models/, rewritten in place (same file, same inode)."""
    from leds.matching.model import models_dir

    n = 0
    d = models_dir(settings)
    for path in sorted(d.glob("*.json")) if gone and d.is_dir() else []:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and _forget_in_model(doc, gone):
            body = json.dumps(doc, indent=1, sort_keys=True).encode()
            with open(path, "r+b") as f:
                size = f.seek(0, 2)
                f.seek(0)
                f.write(body + b" " * max(0, size - len(body)))  # overwrite every old byte
                f.truncate(len(body))
            n += 1
    return n

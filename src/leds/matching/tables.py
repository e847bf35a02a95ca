"""Matching's own tables (created by migration 0002_matching).

* ``match_models``: every trained model (the JSON also saved under LEDS_HOME/models/),
  so the real-time matcher inside an ingest transaction finds the current one.
* ``match_runs``: one row per batch run.
* ``person_ids``: each person record's national person id and its normalised features.
* ``match_keys``: blocking keys -> record, the real-time matcher's candidate index.
* ``match_review``: the uncertain pairs of the latest run, waiting for a judgement.
* ``judgements``: human decisions, append-only (who, when, why).
* ``identity_log``: new / merge / split / retire of person ids, append-only.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

match_models = Table(
    "match_models", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", String(32), nullable=False),
    Column("doc", Text, nullable=False),  # the model JSON
)

match_runs = Table(
    "match_runs", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("model_version", Integer, nullable=False),
    Column("engine", String(16), nullable=False),
    Column("summary", Text),  # JSON
)

person_ids = Table(
    "person_ids", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("person_id", String(16), nullable=False),
    Column("features", Text, nullable=False),  # JSON: what the matcher compared
    Column("assigned_by", String(16), nullable=False),  # batch | realtime | judgement
    Column("assigned_at", String(32), nullable=False),
    Column("model_version", Integer),
)
# Covering (migration 0006): the members of an id, and the id of a record, from the index alone.
Index("ix_person_ids_person_id", person_ids.c.person_id, person_ids.c.rkey)
Index("ix_person_ids_rkey_person_id", person_ids.c.rkey, person_ids.c.person_id)

match_keys = Table(
    "match_keys", metadata,
    Column("key", String(240), primary_key=True),
    Column("rkey", String(200), primary_key=True),
    sqlite_with_rowid=False,
)

match_review = Table(
    "match_review", metadata,
    Column("rkey_a", String(200), primary_key=True),
    Column("rkey_b", String(200), primary_key=True),
    Column("match_weight", Float, nullable=False),
    Column("reason", String(32), nullable=False),  # uncertain | conflict
    Column("run_id", Integer, nullable=False),
)

judgements = Table(
    "judgements", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rkey_a", String(200), nullable=False),
    Column("rkey_b", String(200), nullable=False),
    Column("verdict", String(12), nullable=False),  # same | not-same | unsure
    Column("by", String(128), nullable=False),  # a principal id (migration 0007)
    Column("why", Text, nullable=False),
    Column("at", String(32), nullable=False),
)
Index("ix_judgements_pair", judgements.c.rkey_a, judgements.c.rkey_b)

identity_log = Table(
    "identity_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("kind", String(8), nullable=False),  # new | merge | split | retire
    Column("person_ids", Text, nullable=False),  # JSON list; the first is the id that continues
    Column("rkeys", Text, nullable=False),  # JSON list of the records concerned
    Column("reason", Text, nullable=False),
    Column("model_version", Integer),
    Column("judgement_id", Integer),
    Column("run_id", Integer),
)
Index("ix_identity_log_kind", identity_log.c.kind)

MATCHING_TABLES = (match_models, match_runs, person_ids, match_keys, match_review, judgements, identity_log)

"""The office domain's tables (migration 0017).  None is a projection of the log: frameworks,
rounds, requests, benefit profiles and objectives are the data office's own records, kept by
its users, so ``leds rebuild`` leaves them alone.

* ``office_frameworks``: a maturity framework as data (its scale, topics, themes, questions),
  one row per version.
* ``office_rounds`` / ``office_answers``: a force's assessment round and the level claimed for
  each question, with its evidence.
* ``office_targets``: the level a force means to reach in a topic, and by when.
* ``office_requests`` / ``office_scores`` / ``office_decisions``: commissioning requests, the
  National Prioritisation Model's criteria scored by an assessor, and the decision log.
* ``office_benefits`` / ``office_measurements``: benefit profiles and their measurements.
* ``office_objectives`` / ``office_risks``: delivery objectives by strand, and the risk register.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from leds.db.schema import metadata

BigId = BigInteger().with_variant(Integer(), "sqlite")

office_frameworks = Table(
    "office_frameworks", metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the framework as JSON (see maturity.Framework)
    Column("created_at", String(32), nullable=False),
)

office_rounds = Table(
    "office_rounds", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("framework_id", String(64), nullable=False),
    Column("framework_version", Integer, nullable=False),
    Column("force", String(8), nullable=False),
    Column("label", String(40), nullable=False),
    Column("status", String(12), nullable=False),  # draft | submitted
    Column("started_at", String(32), nullable=False),
    Column("started_by", String(64), nullable=False),
    Column("submitted_at", String(32)),
    Column("submitted_by", String(64)),
    UniqueConstraint("framework_id", "force", "label", name="uq_office_rounds_force_label"),
)
Index("ix_office_rounds_framework_status", office_rounds.c.framework_id, office_rounds.c.status,
      office_rounds.c.force)

office_answers = Table(
    "office_answers", metadata,
    Column("round_id", BigInteger, primary_key=True),
    Column("question", String(64), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("link", String(500)),
    Column("answered_by", String(64), nullable=False),
    Column("answered_at", String(32), nullable=False),
)

office_targets = Table(
    "office_targets", metadata,
    Column("framework_id", String(64), primary_key=True),
    Column("force", String(8), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("by_date", String(10), nullable=False),
    Column("set_by", String(64), nullable=False),
)

office_requests = Table(
    "office_requests", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("problem", Text, nullable=False),
    Column("requester", String(64), nullable=False),
    Column("force", String(8), nullable=False),
    Column("portfolio", String(120), nullable=False),
    Column("priority", String(12), nullable=False),  # the requester's view: low | medium | high | critical
    Column("evidence", Text, nullable=False),
    Column("status", String(16), nullable=False),  # submitted | assessed | approved | rejected | deferred | duplicate
    Column("category", String(16)),  # the assessor's priority category
    Column("duplicate_of", BigInteger),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

office_scores = Table(
    "office_scores", metadata,
    Column("request_id", BigInteger, primary_key=True),
    Column("criterion", String(40), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("assessor", String(64), nullable=False),
    Column("scored_at", String(32), nullable=False),
)

office_decisions = Table(
    "office_decisions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", BigInteger, nullable=False),
    Column("event", String(16), nullable=False),  # submitted | scored | categorised | approved | rejected | ...
    Column("note", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", String(32), nullable=False),
)
Index("ix_office_decisions_request", office_decisions.c.request_id, office_decisions.c.id)

office_benefits = Table(
    "office_benefits", metadata,
    Column("ref", String(16), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("category", String(16), nullable=False),  # quantitative | qualitative
    Column("measure", String(300), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("calculation", Text, nullable=False),
    Column("baseline", Float, nullable=False),
    Column("target", Float, nullable=False),
    Column("stage", String(200), nullable=False),
    Column("rag", String(8), nullable=False),
    Column("computed", String(40)),  # a measure leds computes itself (benefits.COMPUTED), or NULL
    Column("updated_at", String(32), nullable=False),
)

office_measurements = Table(
    "office_measurements", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("benefit", String(16), nullable=False),
    Column("day", String(10), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", String(12), nullable=False),  # manual | computed
    Column("note", Text, nullable=False),
    Column("actor", String(64), nullable=False),
)
Index("ix_office_measurements_benefit", office_measurements.c.benefit, office_measurements.c.day)

office_objectives = Table(
    "office_objectives", metadata,
    Column("ref", String(16), primary_key=True),
    Column("strand", String(80), nullable=False),
    Column("title", String(300), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("rag", String(8), nullable=False),
    Column("progress", Text, nullable=False),
    Column("due", String(10)),
    Column("updated_at", String(32), nullable=False),
)

office_risks = Table(
    "office_risks", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("objective", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("likelihood", Integer, nullable=False),
    Column("impact", Integer, nullable=False),
    Column("mitigation", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("status", String(8), nullable=False),  # open | closed
    Column("updated_at", String(32), nullable=False),
)

"""The missing domain's tables (created by migration 0011_missing).

Projections of the log (emptied by ``leds rebuild``, hashed by ``leds digest``):

* ``missing_episodes``: each episode's current state, one row per live or historic episode,
  with copies of the record's access columns (force, dataset, handling, sharing) so that the
  access policy's row predicate applies here directly (no row for a deleted episode).
* ``missing_versions``: every version of every episode: when, who, why, risk and status.

Kept by the database from the episodes and the national person ids (never emptied by rebuild,
not in the digest): ``missing_people``, the register's people (see below).

User-owned state (never emptied by rebuild):

* ``missing_sightings``: a check by another force that found a live episode (an encounter).
* ``missing_protocols``: Herbert and Philomena forms lodged in advance, with consent and expiry.
* ``missing_unidentified``: people found who cannot be identified, and unidentified remains.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

missing_episodes = Table(
    "missing_episodes", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("force", String(8), nullable=False),  # the reporting force
    Column("source", String(64), nullable=False),
    Column("dataset", String(32), nullable=False),
    Column("handling", String(24), nullable=False),
    Column("sharing", String(8), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("subject", String(200), nullable=False),  # the person record's key
    Column("risk", String(12), nullable=False),
    Column("status", String(8), nullable=False),
    Column("live", Boolean, nullable=False),
    Column("reported_at", String(32), nullable=False),
    Column("last_seen_at", String(32)),
    Column("reviewed_at", String(32), nullable=False),  # the current version's issued_at
    Column("found_at", String(32)),
    Column("found_force", String(8)),
    Column("hours_missing", Integer),  # reported to found
    Column("age", Integer),  # at report, from the subject's date of birth when known
    Column("child", Boolean, nullable=False),
    Column("vulnerabilities", Text, nullable=False),  # "|a|b|": for the filter, only for roles that see them
    Column("rhi_at", String(32)),  # the return home interview
    Column("rhi_due", String(32)),  # found_at + 72 hours, for a child found
    sqlite_with_rowid=False,
)
# The live view reads only this index (the live episodes, with every column it shows), and a
# person's episodes are found, with their access columns, from the subject index alone.
LIVE_VIEW_COLUMNS = ("reported_at", "force", "dataset", "handling", "sharing", "subject", "risk", "status",
                     "last_seen_at", "reviewed_at", "age", "child", "found_at", "hours_missing", "rhi_at", "source")
Index("ix_missing_episodes_live", missing_episodes.c.live, *[missing_episodes.c[c] for c in LIVE_VIEW_COLUMNS],
      sqlite_where=missing_episodes.c.live.is_(True), postgresql_where=missing_episodes.c.live.is_(True))
Index("ix_missing_episodes_subject", missing_episodes.c.subject, missing_episodes.c.live, missing_episodes.c.dataset,
      missing_episodes.c.handling, missing_episodes.c.force, missing_episodes.c.sharing)
Index("ix_missing_episodes_rhi_due", missing_episodes.c.rhi_due)
# The interviews not held (migration 0019): a coordinator's overdue list reads its force's range.
Index("ix_missing_episodes_rhi_awaiting", missing_episodes.c.force, missing_episodes.c.rhi_due,
      sqlite_where=missing_episodes.c.rhi_at.is_(None) & missing_episodes.c.rhi_due.is_not(None),
      postgresql_where=missing_episodes.c.rhi_at.is_(None) & missing_episodes.c.rhi_due.is_not(None))

missing_versions = Table(
    "missing_versions", metadata,
    Column("force", String(8), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("sequence", BigInteger, primary_key=True),
    Column("rkey", String(200), nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("op", String(8), nullable=False),
    Column("status", String(8)),
    Column("risk", String(12)),
    Column("recorded_by", String(200)),
    Column("rationale", Text),
    sqlite_with_rowid=False,
)
Index("ix_missing_versions_rkey", missing_versions.c.rkey)

missing_sightings = Table(
    "missing_sightings", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("episode", String(200), nullable=False),
    Column("at", String(32), nullable=False),
    Column("by", String(128), nullable=False),  # principal id
    Column("force", String(8), nullable=False),  # the force that checked
    Column("kind", String(16), nullable=False),  # person_check | vehicle_check
    Column("purpose", String(40), nullable=False),
)
Index("ix_missing_sightings_episode", missing_sightings.c.episode)

missing_protocols = Table(
    "missing_protocols", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),  # herbert | philomena
    Column("subject", String(200), nullable=False),  # a person record's key
    Column("force", String(8), nullable=False),
    Column("lodged_by", String(128), nullable=False),
    Column("lodged_at", String(32), nullable=False),
    Column("consent", String(500), nullable=False),  # who consented, and how
    Column("expires_on", String(10), nullable=False),
    Column("details", Text, nullable=False),  # JSON
    Column("withdrawn_at", String(32)),
)
Index("ix_missing_protocols_subject", missing_protocols.c.subject)

missing_unidentified = Table(
    "missing_unidentified", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),  # living | remains
    Column("found_at", String(32), nullable=False),
    Column("force", String(8), nullable=False),
    Column("place", String(200)),
    Column("sex", String(1)),
    Column("age_min", Integer),
    Column("age_max", Integer),
    Column("height_cm", Integer),
    Column("description", Text),
    Column("marks", Text, nullable=False),  # JSON list
    Column("recorded_by", String(128), nullable=False),
    Column("recorded_at", String(32), nullable=False),
)

# Counts of episodes by one breakdown at a time (dimension ``dim`` = force, risk, age, month
# or time missing; its ``value``) and status, with the access columns, kept by the projector
# as episodes change: the statistics add up these few rows instead of scanning every episode.
missing_tallies = Table(
    "missing_tallies", metadata,
    Column("force", String(8), primary_key=True),
    Column("dataset", String(32), primary_key=True),
    Column("handling", String(24), primary_key=True),
    Column("sharing", String(8), primary_key=True),
    Column("dim", String(8), primary_key=True),
    Column("value", String(16), primary_key=True),
    Column("status", String(8), primary_key=True),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# The register's people: for each person record that is the subject of episodes, its number of
# episodes by their access columns, and ``who``, its national person id (its own key when it has
# none).  Kept by the database (triggers of migration 0019, on missing_episodes and on
# person_ids), whichever code writes either; so it is no projection of the log: ``who`` follows
# matching.  The statistics count people from the ``who`` index alone, in order, with no join.
missing_people = Table(
    "missing_people", metadata,
    Column("subject", String(200), primary_key=True),
    Column("force", String(8), primary_key=True),
    Column("dataset", String(32), primary_key=True),
    Column("handling", String(24), primary_key=True),
    Column("sharing", String(8), primary_key=True),
    Column("who", String(200), nullable=False),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_missing_people_who", missing_people.c.who, missing_people.c.dataset, missing_people.c.handling,
      missing_people.c.force, missing_people.c.sharing, missing_people.c.n)

PROJECTION = (missing_episodes, missing_versions, missing_tallies)

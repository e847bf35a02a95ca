"""The search index tables (created by migration 0004; 0005 and 0006 add dates of birth and covering indexes).

* ``search_names``: one row per name of a person record (primary, alias, maiden, ...):
  the folded family name, the folded given names, phonetic codes of both, and the
  record's earliest and latest date of birth.
* ``search_persons``: descriptive keys of each person record: sex, height, PNC ID,
  CRO number; and (migration 0008) the record's access columns (force, dataset,
  handling, sharing: copies of its ``records`` row, written in the same transaction) and
  its first name, so a search filters, counts and orders its candidates from this one
  small table (:func:`leds.access.policy.visible_keys` with ``index=``), not from a
  read of every candidate's record.
* ``search_dobs``: each date of birth of each person record.
* ``search_places``: postcode and postcode district of each location record.
* ``search_vehicles``: the normalised VRM of each vehicle record and its *confusable
  key* (0/O, 1/I, 5/S, 8/B, 2/Z folded together).
* ``search_text``: free text for full-text search: event descriptions (including
  intelligence) and person marks, scars and tattoos.  On SQLite it is an FTS5 table;
  on PostgreSQL a table with a ``tsvector`` and a trigram index (pg_trgm).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, func, literal_column

from leds.db.schema import BigId, metadata

search_names = Table(
    "search_names", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("family", String(100), nullable=False),
    Column("given", String(200), nullable=False),  # folded given names, space-separated; "" if none
    Column("family_ph", String(40), nullable=False),
    Column("given_ph", String(40), nullable=False),  # phonetic code of the first given name
    # The record's earliest and latest date of birth (NULL if it has none): with these in
    # the (family, given) index, a name with an age range or a date of birth is answered
    # from the index alone (migration 0005).
    Column("dob_lo", String(10)),
    Column("dob_hi", String(10)),
    sqlite_with_rowid=False,
)
Index("ix_search_names_family", search_names.c.family, search_names.c.given, search_names.c.dob_lo,
      search_names.c.dob_hi)
# The first three letters of the folded family name (migration 0009): with the earliest
# date of birth after it, a surname prefix and an age range read only the names in the
# range.  The constants are literal, so the query's expression is the index's.
FAMILY3 = func.substr(search_names.c.family, literal_column("1"), literal_column("3"))
Index("ix_search_names_family3_dob", FAMILY3, search_names.c.dob_lo, search_names.c.family, search_names.c.given,
      search_names.c.dob_hi)
# Records with several dates of birth (few), by the latest.
Index("ix_search_names_family3_dobs", FAMILY3, search_names.c.dob_hi, search_names.c.family, search_names.c.given,
      search_names.c.dob_lo, sqlite_where=search_names.c.dob_lo != search_names.c.dob_hi,
      postgresql_where=search_names.c.dob_lo != search_names.c.dob_hi)
Index("ix_search_names_family_ph", search_names.c.family_ph, search_names.c.given_ph, search_names.c.dob_lo,
      search_names.c.dob_hi)

search_persons = Table(
    "search_persons", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("sex", String(1)),
    Column("height_cm", Integer),
    Column("pnc", String(16)),
    Column("cro", String(16)),
    # Copies of the record's access columns (a deleted record has no row here), for the
    # access policy's predicate over this table (migration 0008).
    Column("force", String(8)),
    Column("dataset", String(32)),
    Column("handling", String(24)),
    Column("sharing", String(8)),
    # The record's first name (its first ``search_names`` row), the order of search results.
    Column("family", String(100)),
    Column("given", String(200)),
    sqlite_with_rowid=False,
)
Index("ix_search_persons_pnc", search_persons.c.pnc)
Index("ix_search_persons_cro", search_persons.c.cro)

search_dobs = Table(
    "search_dobs", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("dob", String(10), primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_search_dobs_dob", search_dobs.c.dob)

search_places = Table(
    "search_places", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("postcode", String(8), nullable=False),  # upper case, no space
    Column("district", String(4), nullable=False),  # outward code: "LS1", "SW1A"
    sqlite_with_rowid=False,
)
Index("ix_search_places_postcode", search_places.c.postcode)
Index("ix_search_places_district", search_places.c.district)

search_vehicles = Table(
    "search_vehicles", metadata,
    Column("rkey", String(200), primary_key=True),
    Column("vrm", String(16), nullable=False),
    Column("vrm_key", String(16), nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_search_vehicles_vrm_key", search_vehicles.c.vrm_key)

# The text itself.  The migration adds the full-text index beside it: on SQLite an FTS5
# table (``search_text_fts``, external content, kept in step by triggers); on PostgreSQL a
# generated ``tsv`` column with a GIN index, and a pg_trgm index on ``body``.
search_text = Table(
    "search_text", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rkey", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # "event" or "marks"
    Column("body", Text, nullable=False),
)
Index("ix_search_text_rkey", search_text.c.rkey)

TABLES = (search_names, search_persons, search_dobs, search_places, search_vehicles, search_text)

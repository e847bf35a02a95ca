"""Imported data.police.uk files (migration 0013).

Each file is one *batch*, named by what it holds (kind, force, month): importing the same
file twice, or a corrected re-release of it, replaces the batch's rows, so an import is
idempotent.  Open data carries no personal data and is not read through the access policy.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from leds.db.schema import metadata

opendata_imports = Table(
    "opendata_imports", metadata,
    Column("batch", String(120), primary_key=True),  # kind/force/month
    Column("kind", String(16), nullable=False),  # street | outcomes | stop_search | population
    Column("force", String(64), nullable=False),  # police.uk's force name or file slug
    Column("month", String(7), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of "file:line: message", the first 100
    Column("imported_at", String(32), nullable=False),
)

opendata_street = Table(
    "opendata_street", metadata,
    Column("batch", String(120), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("crime_id", String(64)),
    Column("month", String(7), nullable=False),
    Column("reported_by", String(64), nullable=False),
    Column("falls_within", String(64), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("location", String(200)),
    Column("lsoa_code", String(12)),
    Column("lsoa_name", String(100)),
    Column("crime_type", String(64), nullable=False),
    Column("last_outcome", String(120)),
    Column("context", Text),
    sqlite_with_rowid=False,
)
Index("ix_opendata_street_month", opendata_street.c.month, opendata_street.c.falls_within)

opendata_outcomes = Table(
    "opendata_outcomes", metadata,
    Column("batch", String(120), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("crime_id", String(64)),
    Column("month", String(7), nullable=False),
    Column("reported_by", String(64), nullable=False),
    Column("falls_within", String(64), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("location", String(200)),
    Column("lsoa_code", String(12)),
    Column("lsoa_name", String(100)),
    Column("outcome_type", String(120), nullable=False),
    sqlite_with_rowid=False,
)

opendata_stop_search = Table(
    "opendata_stop_search", metadata,
    Column("batch", String(120), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("force", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("type", String(40), nullable=False),
    Column("date", String(32), nullable=False),
    Column("part_of_operation", String(8)),
    Column("operation", String(200)),
    Column("lat", Float),
    Column("lon", Float),
    Column("gender", String(16)),
    Column("age_range", String(16)),
    Column("self_ethnicity", String(120)),
    Column("officer_ethnicity", String(40)),
    Column("legislation", String(120)),
    Column("object", String(120)),
    Column("outcome", String(120)),
    Column("outcome_linked", String(8)),
    Column("removal", String(8)),
    sqlite_with_rowid=False,
)
Index("ix_opendata_stop_search_force_month", opendata_stop_search.c.force, opendata_stop_search.c.month)

# Population by force area and ethnic group (e.g. from the 2021 Census), for rates per 1,000.
opendata_population = Table(
    "opendata_population", metadata,
    Column("force", String(64), primary_key=True),
    Column("ethnicity", String(40), primary_key=True),
    Column("population", BigInteger, nullable=False),
)

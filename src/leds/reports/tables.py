"""Saved user reports and their runs (migration 0013)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from leds.db.schema import BigId, metadata

saved_reports = Table(
    "saved_reports", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False),  # username
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),  # one DuckDB SELECT with $named parameters
    Column("params", Text, nullable=False),  # JSON object
    Column("schedule", String(8), nullable=False),  # none | daily | weekly
    Column("created_at", String(32), nullable=False),
    Column("next_run_at", String(32)),
)

report_runs = Table(
    "report_runs", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("report_id", Integer, nullable=False, index=True),
    Column("at", String(32), nullable=False),
    Column("status", String(8), nullable=False),  # ok | refused | failed
    Column("rows", Integer, nullable=False),
    Column("result", Text, nullable=False),  # JSON {columns, rows} (the first rows) or {error}
)

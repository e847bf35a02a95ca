"""Data quality: published rules, counters kept at ingest, scorecards, drill-down and the
national data performance framework."""

"""Reporting: management information, statistics over open data, saved user reports and
dashboards."""

"""Ingest: updategrams validated, logged and projected."""

"""Entity resolution: national person ids from force records.

Batch linkage with Splink (DuckDB by default, Spark to scale out), a real-time matcher
inside the ingest transaction, human judgements that always override the model, an
append-only identity log, and an explanation next to every score.  See docs/matching.md.
"""

from __future__ import annotations

from leds.config import Settings

from . import realtime as _realtime  # noqa: F401  (registers the real-time projector)
from . import tables as _tables  # noqa: F401  (matching's tables in the shared metadata)


def run_demo_matching(settings: Settings) -> str:
    """Train (or load) the model, predict, cluster; a one-line summary for ``leds demo``."""
    from .batch import run_match

    return run_match(settings).summary()


__all__ = ["run_demo_matching"]

"""One ingest of a synthetic sample into a fresh store, with or without one projector, for
counting instructions under valgrind (``--tool=callgrind``), which counts the same whatever
else the machine is doing: bench/bench_retention.py's ``--instructions`` runs it.

    python bench/ingest_instructions.py SYNTH_DIR HOME (with|without|setup) [PROJECTOR]

``setup`` creates the store and ingests nothing (its count is subtracted from the others).
"""

from __future__ import annotations

import sys
from pathlib import Path

from leds.config import Settings
from leds.ingest import projectors
from leds.ingest.pipeline import Ingestor, ingest_paths


def main() -> None:
    synth, home, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    name = sys.argv[4] if len(sys.argv) > 4 else "retention"
    projectors.registered()
    if mode == "without":
        projectors._REGISTRY.pop(name)
    ingestor = Ingestor(Settings(home=home))
    if mode != "setup":
        s = ingest_paths(ingestor, sorted(synth.rglob("*.ndjson")))
        assert s.quarantined == 0


if __name__ == "__main__":
    main()

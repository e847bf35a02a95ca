"""Deterministic person and marker updategrams for the ingest benchmark.

Independent of ``leds synth`` on purpose: the ingest figure should not move
when the synthetic population model changes.  Two persons to one marker.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson

from leds.standard.validators import format_pnc_id

GIVEN = ["John", "Mary", "Mohammed", "Aisha", "Piotr", "Chen", "Kwame", "Siobhan", "Dylan", "Grace",
         "Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "Rhys", "Ffion", "Tomasz", "Fatima"]
FAMILY = ["Smith", "Jones", "Khan", "Patel", "Williams", "Brown", "Taylor", "Nowak", "Okafor", "Murphy",
          "Evans", "Wilson", "Hussain", "Li", "Campbell", "O'Neill", "McDonald", "Ahmed", "Roberts", "Walker"]
MARKERS = ["VI", "WE", "DR", "SH", "MN", "FI"]
FORCES = ["WYP", "MPS", "GMP", "WMP", "MER", "SYP", "NBR", "TVP"]


def write(path: Path, n: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    seq: dict[str, int] = {}
    persons: list[tuple[str, str]] = []
    written = 0
    with open(path, "wb") as out:
        for i in range(n):
            force = FORCES[i % len(FORCES)]
            s = seq[force] = seq.get(force, 0) + 1
            if i % 3 == 2 and persons:
                pforce, pref = persons[rnd.randrange(len(persons))]
                record = {"type": "marker", "ref": f"M-{i}", "dataset": "nominal", "handling": "OFFICIAL",
                          "data": {"subject": {"force": pforce, "source": "BENCH-RMS", "type": "person",
                                               "ref": pref},
                                   "code": rnd.choice(MARKERS), "detail": "bench marker",
                                   "valid_from": f"20{rnd.randint(10, 24)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"}}
            else:
                ref = f"P-{i}"
                persons.append((force, ref))
                if len(persons) > 50_000:
                    persons.pop(0)
                year = rnd.randint(1940, 2008)
                data = {"names": [{"given": [rnd.choice(GIVEN)], "family": rnd.choice(FAMILY), "kind": "primary"}],
                        "birth_dates": [f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"],
                        "sex": rnd.choice("MF"), "ethnicity_officer": f"IC{rnd.randint(1, 6)}",
                        "height_cm": rnd.randint(150, 200)}
                if rnd.random() < 0.5:
                    data["pnc_id"] = format_pnc_id(max(year + 18, 1990), rnd.randint(1, 9_999_999))
                record = {"type": "person", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL-SENSITIVE",
                          "data": data}
            out.write(orjson.dumps({"updategram": "1", "force": force, "source": "BENCH-RMS", "sequence": s,
                                    "issued_at": "2025-06-01T12:00:00Z", "op": "upsert", "record": record}))
            out.write(b"\n")
            written += 1
    return written


if __name__ == "__main__":
    print(write(Path(sys.argv[1]), int(sys.argv[2])))

"""Sharing and open data: publish a month of a large force's crime in data.police.uk's format, and
export records under an approved data sharing agreement.  One run, figures printed with the command.

    .venv/bin/python bench/bench_sharing.py --events 100000 --addresses 20000

* the store: ``--addresses`` location records with coordinates in 40 postcode sectors, and
  ``--events`` crimes of one force in one month (May 2024), each with coordinates, ingested
  as updategrams (ingest time reported, not part of either target);
* publish (target ≤ 30 s for 100,000 events): ``publish`` of the month's street-level file:
  reading the events through the access policy, building the map points (each ≥ 8 addresses),
  snapping, disclosure control, writing the CSV and points.csv;
* export (target ≤ 30 s for 100,000 records): an approved agreement allowing the month's crimes
  (kind, month, category, outcome; k = 5 on category and month), run to a directory with its
  signed manifest and the audited disclosure naming every record; then ``verify`` of it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from leds.access.policy import Principal
from leds.audit import close_writers, get_writer
from leds.audit.keys import get_signer, public_pem
from leds.config import Settings
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor
from leds.opendata.publish import publish, publish_key
from leds.sharing import service
from leds.sharing.agreement import example
from leds.sharing.export import run_export, verify_dir

CATS = ("violent-crime", "anti-social-behaviour", "shoplifting", "criminal-damage-arson", "public-order",
        "other-theft", "vehicle-crime", "burglary", "drugs", "other-crime", "robbery", "bicycle-theft")
UNIT = "ABDEFGHJLNPQRSTUWXYZ"


def updategrams(n_events: int, n_addresses: int) -> list[bytes]:
    rng = random.Random(23)
    out = []
    seq = 0
    sectors = [(f"LS{d} {s}", 53.78 + 0.01 * d, -1.60 + 0.012 * s) for d in range(1, 9) for s in range(1, 6)]
    for i in range(n_addresses):
        pc, lat0, lon0 = sectors[i % len(sectors)]
        seq += 1
        out.append(orjson.dumps({
            "updategram": "1", "force": "WYP", "source": "GAZ", "sequence": seq, "issued_at": "2024-06-01T00:00:00Z",
            "op": "upsert", "record": {"type": "location", "ref": f"L{i}", "dataset": "nominal", "handling": "OFFICIAL",
                                       "data": {"address": {"lines": [f"{i} Street {i % 97}"], "town": "Leeds",
                                                            "postcode": f"{pc}{UNIT[i % 20]}{UNIT[(i // 20) % 20]}"},
                                                "lat": round(lat0 + rng.random() * 0.01, 6),
                                                "lon": round(lon0 + rng.random() * 0.012, 6)}}}))
    for i in range(n_events):
        seq += 1
        out.append(orjson.dumps({
            "updategram": "1", "force": "WYP", "source": "NICHE-RMS", "sequence": seq,
            "issued_at": "2024-06-01T00:00:00Z", "op": "upsert",
            "record": {"type": "event", "ref": f"C{i}", "dataset": "crime", "handling": "OFFICIAL-SENSITIVE",
                       "data": {"kind": "crime", "occurred_at": f"2024-05-{1 + i % 30:02d}T{i % 24:02d}:15:00Z",
                                "category": CATS[i % len(CATS)], "outcome": "Under investigation",
                                "description": f"crime {i}", "lat": round(53.79 + rng.random() * 0.08, 6),
                                "lon": round(-1.59 + rng.random() * 0.06, 6)}}}))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--addresses", type=int, default=20_000)
    ap.add_argument("--home", type=Path, default=None, help="LEDS_HOME to use (default: a temporary one)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    home = args.home or tmp / "home"
    settings = Settings(home=home)
    figures: dict[str, Any] = {"events": args.events, "addresses": args.addresses}

    t = time.perf_counter()
    lines = updategrams(args.events, args.addresses)
    s = Ingestor(settings).ingest_lines(iter(enumerate(lines, 1)), "bench")
    figures["ingest_s"] = round(time.perf_counter() - t, 1)
    assert s.quarantined == 0, s.as_dict()
    engine = get_engine(settings)

    with engine.connect() as conn:
        t = time.perf_counter()
        r = publish(conn, publish_key(settings), month="2024-05", kind="street", out=tmp / "pub")
        figures["publish_s"] = round(time.perf_counter() - t, 2)
        figures["publish_rows"] = r.rows
        figures["publish_points"] = r.points
        figures["publish_generalised"] = r.generalised
        figures["publish_suppressed"] = r.suppressed
        figures["publish_steps_s"] = {k: round(v, 2) for k, v in r.timings.items()}

    from leds.access import identity

    dpo = identity.create_user(engine, "bench-dpo", roles=["data_protection_officer"], force="WYP", vetting="SC",
                               password=None)
    doc = example()
    doc["period"] = {"from": "2024-05-01", "to": "2024-05-31"}
    doc["disclosure_control"] = {"level": "record", "k": 5, "quasi_identifiers": ["category", "occurred_at"],
                                 "suppress": True}
    audit = get_writer(settings).record
    with engine.connect() as conn:
        service.add_agreement(conn, "bench", doc, audit)
        service.approve(conn, Principal.from_user(dpo), doc["id"], audit)
        t = time.perf_counter()
        ex = run_export(conn, get_signer(settings), "bench", doc["id"], tmp / "export", audit)
        figures["export_s"] = round(time.perf_counter() - t, 2)
        figures["export_records"] = ex.records
        figures["export_steps_s"] = {k: round(v, 2) for k, v in ex.timings.items()}
    t = time.perf_counter()
    ok = verify_dir(tmp / "export", public_pem(get_signer(settings).public)).ok
    figures["verify_s"] = round(time.perf_counter() - t, 2)
    assert ok
    close_writers()
    dispose_all()
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    print("command: .venv/bin/python bench/bench_sharing.py " + " ".join(sys.argv[1:] if argv is None else argv))
    if args.home is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return figures


if __name__ == "__main__":
    main()

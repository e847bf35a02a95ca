"""Benchmark of the data office's portal.

* The national maturity dashboard for 43 forces and two rounds each (both shipped frameworks),
  through the service and through ``GET /api/v1/maturity/dashboard`` (target p95 <= 300 ms).
* ``--duplicates``: the duplicate finder on a small judged set of requests (each query is a
  rewording of one stored request, or something new): how often the reworded request comes
  first and is flagged, and how often a new request is flagged wrongly, with and without the
  embedding.

    .venv/bin/python bench/bench_office.py [--runs 60] [--postgres URL] [--duplicates]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import get_engine
from leds.office import commissioning, maturity, similarity
from leds.office.models import Assessment, RequestIn, Target
from leds.standard.codes import TERRITORIAL_FORCES

OFFICE = Principal(id="user:bench", roles=frozenset({"national_data_office_analyst"}), force="WYP")


def p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def load(settings: Settings, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with get_engine(settings).begin() as conn:
        for fid, fw in maturity.BUILTIN.items():
            levels = [s["level"] for s in fw["scale"]]
            for force in TERRITORIAL_FORCES:
                base = {q["id"]: rnd.choice(levels[:-1]) for q in fw["questions"]}
                for label, bump in (("2024", 0), ("2025", 1)):
                    answers = [{"question": q, "level": min(levels[-1], lv + rnd.choice((0, bump))),
                                "evidence": "board paper"} for q, lv in base.items()]
                    maturity.save_round(conn, OFFICE, Assessment(framework=fid, force=force, label=label,
                                                                 answers=answers, submit=True))
                for t in fw["topics"][:2]:
                    maturity.set_target(conn, OFFICE, Target(framework=fid, force=force, topic=t["id"],
                                                             level=levels[-2], by_date="2030-03-31"))


def time_service(settings: Settings, runs: int) -> dict[str, Any]:
    out = {}
    for fid in maturity.BUILTIN:
        xs = []
        for _ in range(runs):
            t = time.perf_counter()
            with get_engine(settings).connect() as conn:
                d = maturity.dashboard(conn, fid)
            xs.append(1000 * (time.perf_counter() - t))
        assert len(d["forces"]) == 43 and d["change"]["forces_with_two_rounds"] == 43
        out[fid] = {"p50": round(statistics.median(xs), 1), "p95": round(p(xs, 0.95), 1)}
    return out


def time_api(settings: Settings, runs: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from leds.access import identity
    from leds.app import create_app

    engine = get_engine(settings)
    user = identity.create_user(engine, "bench-office", roles=["national_data_office_analyst"], force="WYP",
                                vetting="SC", password="bench password long enough")
    token, _ = identity.issue_token(engine, user, ["view_office"])
    out = {}
    with TestClient(create_app(settings)) as client:
        for fid in maturity.BUILTIN:
            xs = []
            for i in range(runs + 3):  # the first three warm up
                t = time.perf_counter()
                r = client.get("/api/v1/maturity/dashboard", params={"framework": fid},
                               headers={"Authorization": f"Bearer {token}"})
                if i >= 3:
                    xs.append(1000 * (time.perf_counter() - t))
                assert r.status_code == 200
            out[fid] = {"p50": round(statistics.median(xs), 1), "p95": round(p(xs, 0.95), 1),
                        "bytes": len(r.content)}
    return out


# (stored title, problem), then a rewording of it
JUDGED = [
    (("National stop and search disproportionality dashboard",
      "Forces cannot compare stop and search rates by ethnicity; we need a national dashboard."),
     ("Compare stop and search by ethnic group across forces",
      "A dashboard showing how stop-search rates differ by ethnicity in every force.")),
    (("Analyst training in Python and R", "Our analysts need training in Python and R to automate reports."),
     ("Coding skills for crime analysts", "Teach analysts to programme so their reports are automated.")),
    (("Domestic abuse repeat victim indicator",
      "How many domestic abuse victims are repeat victims within twelve months, by force."),
     ("Repeat victimisation in domestic violence",
      "Measure the share of domestic violence victims who report again within a year.")),
    (("Data sharing agreement for VAWG partners",
      "A standard agreement to share violence against women and girls data with councils and health."),
     ("Template DSA for violence against women and girls",
      "We want a national template for sharing VAWG information with local authorities and the NHS.")),
    (("ANPR convoy detection for county lines",
      "Find vehicles travelling together on county lines routes using ANPR reads."),
     ("Vehicles moving in convoy on drug routes", "Use number plate cameras to spot cars that travel together.")),
    (("Missing children return interview compliance",
      "Track how many return home interviews are done within 72 hours for missing children."),
     ("Return home interviews for missing children", "Are RHIs completed within three days of a child's return?")),
]
NEW = [
    ("Drone footage retention policy", "How long should forces keep footage from drones?"),
    ("Custody suite occupancy forecast", "Predict how many custody cells are needed each night."),
    ("Fleet electric vehicle charging data", "Which police stations need charging points for the fleet?"),
    ("Body-worn video redaction tool", "Automatically blur faces in body-worn video before disclosure."),
]


def duplicates(home: Path) -> dict[str, Any]:
    settings = Settings(home=home / "dups")
    with get_engine(settings).begin() as conn:
        ids = [commissioning.submit(conn, OFFICE, RequestIn(title=t, problem=pr, portfolio="bench",
                                                            priority="medium", evidence="bench"))["ref"]
               for (t, pr), _ in JUDGED]
    out = {}
    with_embedding = similarity._embedder
    for label, embedder in (("tfidf-char", lambda home: None), (similarity.method(None), with_embedding)):
        similarity._embedder = embedder  # type: ignore[assignment]
        first = flagged = false_flags = 0
        rew: list[float] = []
        new: list[float] = []
        with get_engine(settings).connect() as conn:
            for want, (_, (t, pr)) in zip(ids, JUDGED, strict=True):
                found = commissioning.similar(conn, t, pr)
                found = [f for f in found if f["kind"] == "request"] or found
                first += found[0]["id"] == want
                rew.append(next((f["score"] for f in found if f["id"] == want), 0.0))
                flagged += found[0]["id"] == want and found[0]["likely_duplicate"]
            for t, pr in NEW:
                got = commissioning.similar(conn, t, pr)
                new.append(max((f["score"] for f in got), default=0.0))
                false_flags += any(f["likely_duplicate"] for f in got)
        out[label] = {"reworded_ranked_first": f"{first}/{len(JUDGED)}",
                      "reworded_flagged": f"{flagged}/{len(JUDGED)}", "new_flagged_wrongly": f"{false_flags}/{len(NEW)}",
                      "scores_reworded": rew, "best_score_new": new}
    similarity._embedder = with_embedding  # type: ignore[method-assign]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--postgres", help="a PostgreSQL database URL (its office tables must be empty)")
    ap.add_argument("--duplicates", action="store_true")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-office-"))
    print("command: .venv/bin/python bench/bench_office.py " + " ".join(
        f"--{k} {v}" if not isinstance(v, bool) else f"--{k}" for k, v in vars(args).items() if v))
    settings = Settings(home=home / "home", database_url_override=args.postgres)
    t = time.perf_counter()
    load(settings)
    print(f"loaded 43 forces x 2 rounds x 2 frameworks (8 and 20 questions) in {time.perf_counter() - t:.1f} s "
          f"({'PostgreSQL' if args.postgres else 'SQLite'})")
    print("dashboard, service (ms):", time_service(settings, args.runs))
    print("dashboard, GET /api/v1/maturity/dashboard (ms):", time_api(settings, args.runs))
    if args.duplicates:
        print("duplicates (judged set):", duplicates(home))


if __name__ == "__main__":
    main()

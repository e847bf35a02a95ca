"""Alerts benchmark: latency from an updategram accepted to its alert visible in the inbox
and to its webhook received, with S live subscriptions and a background ingest of R
updategrams/s, through the embedded worker and through Redis Streams (two worker
processes); then ingest throughput with the S subscriptions against none, in the same run.

    .venv/bin/python bench/bench_alerts.py --subscriptions 10000 --rate 1000 --seconds 30

Set-up (not timed): a SQLite store in ``--work`` with ``--persons`` person records, 100
users and S subscriptions written straight into the subscription tables (90% on persons,
5% on vehicles, 5% rules on event kinds), plus one probe user subscribed, with a webhook to
a receiver in this process, to the probe persons.

Latency phase, per transport: a feeder process ingests R updategrams/s in batches of R/10
every 0.1 s (person updates; every tenth a marker on a subscribed person, so alerts are
written in the background too); this process ingests one probe change (a marker on a
probe person) every 0.2 s, one updategram per transaction, and notes the time just before
the call (accepted); a thread polling ``alert_inbox`` every 2 ms notes when it is visible;
the receiver notes when the webhook arrives.  The worker (``leds alerts worker``, embedded,
or two with ``--broker``) is a child process.  A Redis server of the benchmark's own is
started on a free port.

Throughput phase: N updategrams ingested in batches of 5,000, three ways, alternated twice
(best of two each): with the subscriptions in the index and every tenth updategram a marker
on a subscribed person (an alert written); with the subscriptions but the markers on people
nobody follows (evaluation alone); with the index empty.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from leds.config import Settings
from leds.db.bulk import insert_rows
from leds.db.engine import dispose_all, get_engine
from leds.ingest.pipeline import Ingestor

ISSUED = "2026-01-01T00:00:00Z"


def person(ref: str, i: int) -> dict[str, Any]:
    return {"type": "person", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL",
            "data": {"names": [{"given": [f"Given{i % 997}"], "family": f"Family{i % 4999}", "kind": "primary"}],
                     "birth_dates": [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"], "sex": "MF"[i % 2]}}


def marker(ref: str, subject: str, code: str = "WE") -> dict[str, Any]:
    return {"type": "marker", "ref": ref, "dataset": "nominal", "handling": "OFFICIAL",
            "data": {"subject": {"type": "person", "ref": subject, "source": "BASE"}, "code": code, "detail": "bench"}}


def ug(source: str, seq: int, record: dict[str, Any]) -> bytes:
    return orjson.dumps({"updategram": "1", "force": "WYP", "source": source, "sequence": seq, "issued_at": ISSUED,
                         "op": "upsert", "record": record})


def ingest(ingestor: Ingestor, lines: list[bytes]) -> None:
    ingestor.ingest_lines(iter(enumerate(lines, 1)), "bench")


# -- set-up -----------------------------------------------------------------------------------
def setup(settings: Settings, persons: int, subscriptions: int, probes: int, hook: str) -> None:
    from leds.access import identity
    from leds.alerts.tables import alert_keys, alert_subscriptions

    ing = Ingestor(settings)
    for start in range(0, persons, 20_000):
        ingest(ing, [ug("BASE", i + 1, person(f"P-{i}", i)) for i in range(start, min(persons, start + 20_000))])
    engine = get_engine(settings)
    for u in range(100):
        identity.create_user(engine, f"bench-u{u}", roles=["investigator"], force="WYP", vetting="SC", password=None)
    identity.create_user(engine, "bench-probe", roles=["investigator"], force="WYP", vetting="SC", password=None)
    rnd = random.Random(7)
    subs: list[tuple[Any, ...]] = []
    keys: list[tuple[str, int]] = []
    kinds = ["wanted", "found", "warrant", "release", "court"]
    for s in range(1, subscriptions + 1):
        owner = f"bench-u{s % 100}"
        if s % 20 == 0:
            kind, target, spec, key = "vehicle", f"BN{s:05d}X", None, f"veh:BN{s:05d}X"
        elif s % 20 == 1:
            k = kinds[s % len(kinds)]
            kind, target, spec, key = "rule", None, json.dumps({"type": "event", "event_kind": k}), f"rule:event:{k}"
        else:
            rk = f"WYP|BASE|person|P-{rnd.randrange(persons)}"
            kind, target, spec, key = "person", rk, None, f"rec:{rk}"
        subs.append((s, owner, None, "WYP", kind, target, spec, "investigation", "bench", ISSUED, "2099-12-31", None,
                     None, 10, None))
        keys.append((key, s))
    base = subscriptions + 1
    for p in range(probes):
        rk = f"WYP|BASE|person|P-{p}"
        subs.append((base + p, "bench-probe", None, "WYP", "person", rk, None, "investigation", "bench probe", ISSUED,
                     "2099-12-31", hook, None, 1000, None))
        keys.append((f"rec:{rk}", base + p))
    cols = ("id", "owner", "team", "force", "kind", "target", "spec", "purpose", "reason", "created_at", "expires_on",
            "webhook_url", "email", "max_per_minute", "cancelled_at")
    with engine.begin() as conn:
        insert_rows(conn, alert_subscriptions, cols, subs)
        insert_rows(conn, alert_keys, ("key", "subscription_id"), sorted(set(keys)))


def subscribed_people(settings: Settings, probes: int) -> list[str]:
    from sqlalchemy import select

    from leds.alerts.tables import alert_subscriptions

    with get_engine(settings).connect() as conn:
        return [r[0].rsplit("|", 1)[1] for r in conn.execute(
            select(alert_subscriptions.c.target).where(alert_subscriptions.c.kind == "person",
                                                       alert_subscriptions.c.owner != "bench-probe"))][:5000]


# -- the feeder (a child process) ----------------------------------------------------------
def feeder(home: str, rate: int, seconds: float, start_seq: int, persons: int) -> None:
    settings = Settings(home=Path(home))
    subscribed = subscribed_people(settings, 0)
    ing = Ingestor(settings)
    per = max(1, rate // 10)
    seq = start_seq
    ends = time.monotonic() + seconds
    sent = 0
    tick = time.monotonic()
    while time.monotonic() < ends:
        lines = []
        for _ in range(per):
            seq += 1
            if seq % 10 == 0:
                lines.append(ug("FEED", seq, marker(f"FM-{seq}", subscribed[seq % len(subscribed)])))
            else:
                lines.append(ug("FEED", seq, person(f"F-{seq % (persons * 2)}", seq)))
        ingest(ing, lines)
        sent += len(lines)
        tick += 0.1
        time.sleep(max(0.0, tick - time.monotonic()))
    print(json.dumps({"sent": sent, "seconds": seconds, "last_seq": seq}))


# -- measuring -----------------------------------------------------------------------------------
class Receiver:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                rec.at.setdefault(body["alert"]["rkey"], time.time())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def inbox_watcher(settings: Settings, seen: dict[str, float], stop: threading.Event) -> None:
    from sqlalchemy import select

    from leds.alerts.tables import alert_inbox

    engine = get_engine(settings)
    last = 0
    with engine.connect() as conn:
        last = conn.execute(select(alert_inbox.c.id).order_by(alert_inbox.c.id.desc()).limit(1)).scalar() or 0
    while not stop.is_set():
        with engine.connect() as conn:
            for i, rkey in conn.execute(select(alert_inbox.c.id, alert_inbox.c.rkey).where(alert_inbox.c.id > last)
                                        .order_by(alert_inbox.c.id)):
                last = i
                if rkey and "|PROBE|" in rkey:
                    seen.setdefault(rkey, time.time())
        time.sleep(0.002)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def latency_phase(settings: Settings, env: dict[str, str], args: argparse.Namespace, broker: str | None,
                  receiver: Receiver, probe_seq: int, feed_seq: int) -> dict[str, Any]:
    leds = str(Path(sys.executable).with_name("leds"))
    workers = [subprocess.Popen([leds, "alerts", "worker", "--consumer", f"w{i}",
                                 *(["--broker", broker] if broker else [])], env=env,
                                stdout=subprocess.DEVNULL,
                                stderr=(settings.home / f"worker-{'redis' if broker else 'embedded'}-{i}.log").open("wb"))
               for i in range(2 if broker else 1)]
    logs = [settings.home / f"worker-{'redis' if broker else 'embedded'}-{i}.log" for i in range(len(workers))]
    up = time.monotonic() + 120
    while time.monotonic() < up and not all("alert worker" in p.read_text() for p in logs):
        time.sleep(0.1)  # each worker says so once it is running (imports take seconds on a busy machine)
    time.sleep(0.5)
    feed = subprocess.Popen([sys.executable, __file__, "--feeder", str(settings.home), str(args.rate),
                             str(args.seconds), str(feed_seq), str(args.persons)], env=env, stdout=subprocess.PIPE)
    seen: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=inbox_watcher, args=(settings, seen, stop), daemon=True)
    watcher.start()
    time.sleep(1.0)
    ing = Ingestor(settings)
    accepted: dict[str, float] = {}
    ends = time.monotonic() + args.seconds - 2
    n = 0
    while time.monotonic() < ends:
        n += 1
        probe_seq += 1
        ref = f"PM-{probe_seq}"
        rkey = f"WYP|PROBE|marker|{ref}"
        line = ug("PROBE", probe_seq, marker(ref, f"P-{n % args.probes}"))
        accepted[rkey] = time.time()
        ingest(ing, [line])
        time.sleep(0.2)
    out = feed.communicate(timeout=120)[0]
    fed = json.loads(out.decode().strip().splitlines()[-1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (len(receiver.at.keys() & accepted.keys()) < len(accepted)
                                           or len(seen.keys() & accepted.keys()) < len(accepted)):
        time.sleep(0.1)
    stop.set()
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(10)
    inbox = [seen[k] - t for k, t in accepted.items() if k in seen]
    hook = [receiver.at[k] - t for k, t in accepted.items() if k in receiver.at]
    return {"transport": "redis-streams (2 workers)" if broker else "embedded (1 worker)", "probes": len(accepted),
            "background_rate_achieved": round(fed["sent"] / fed["seconds"]),
            "inbox_ms": {"p50": round(pct(inbox, 50) * 1000, 1), "p95": round(pct(inbox, 95) * 1000, 1),
                         "p99": round(pct(inbox, 99) * 1000, 1), "n": len(inbox)},
            "webhook_ms": {"p50": round(pct(hook, 50) * 1000, 1), "p95": round(pct(hook, 95) * 1000, 1),
                           "p99": round(pct(hook, 99) * 1000, 1), "n": len(hook)},
            "_seq": (probe_seq, fed["last_seq"])}


CPU: dict[str, float] = {}


def _time_alerts_projector() -> None:
    """Count the CPU time of the alerts projector (process time: this process's own work,
    SQLite's included, not the host's other load)."""
    from leds.ingest import projectors

    for p in projectors.registered():
        if p.name == "alerts" and not hasattr(p, "_timed"):
            inner = p.apply

            def timed(conn: Any, items: Any, inner: Any = inner) -> None:
                t = time.process_time()
                inner(conn, items)
                CPU["alerts"] = CPU.get("alerts", 0.0) + time.process_time() - t

            p.apply = timed  # type: ignore[method-assign]
            p._timed = True  # type: ignore[attr-defined]


def throughput(settings: Settings, n: int, start: int, subscribed: list[str], source: str) -> tuple[float, float]:
    """Updategrams a second (wall clock), and the alerts projector's share of this process's CPU."""
    _time_alerts_projector()
    ing = Ingestor(settings)
    lines = [ug(source, start + i, marker(f"T-{source}-{i}", subscribed[i % len(subscribed)]) if i % 10 == 0
                else person(f"T-{source}-{i}", i)) for i in range(1, n + 1)]
    CPU.clear()
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, n, 5000):
        ingest(ing, lines[i:i + 5000])
    return n / (time.perf_counter() - t), CPU.get("alerts", 0.0) / (time.process_time() - cpu)


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--dir", str(work), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--subscriptions", type=int, default=10_000)
    ap.add_argument("--probes", type=int, default=50)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--throughput", type=int, default=20_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/leds-bench-alerts"))
    ap.add_argument("--feeder", nargs=5)
    args = ap.parse_args()
    if args.feeder:
        home, rate, seconds, seq, persons = args.feeder
        feeder(home, int(rate), float(seconds), int(seq), int(persons))
        return
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    settings = Settings(home=args.work / "home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")} | {"LEDS_HOME": str(settings.home)}
    receiver = Receiver()
    t0 = time.perf_counter()
    setup(settings, args.persons, args.subscriptions, args.probes, receiver.url)
    print(f"set-up: {args.persons:,} persons, {args.subscriptions:,} subscriptions in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    dispose_all()
    results: dict[str, Any] = {"command": " ".join([sys.executable.rsplit('/', 1)[-1], *sys.argv]),
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
                               "persons": args.persons, "subscriptions": args.subscriptions,
                               "background_rate_target": args.rate, "latency": []}
    probe_seq, feed_seq = 0, 0
    redis_proc, redis_url = start_redis(args.work)
    try:
        for broker in (None, redis_url):
            r = latency_phase(settings, env, args, broker, receiver, probe_seq, feed_seq)
            probe_seq, feed_seq = r.pop("_seq")
            results["latency"].append(r)
            print(json.dumps(r), file=sys.stderr)
    finally:
        redis_proc.kill()
    subscribed = subscribed_people(settings, args.probes)
    from leds.alerts.tables import alert_keys

    engine = get_engine(settings)
    with engine.connect() as conn:
        saved = [tuple(r) for r in conn.execute(alert_keys.select())]
    taken = set(subscribed)
    unsubscribed = [f"P-{i}" for i in range(args.probes, args.persons) if f"P-{i}" not in taken][:5000]
    rates: dict[str, list[float]] = {"with": [], "with_no_match": [], "without": []}
    shares: dict[str, list[float]] = {}
    # Alternated, so that the host's noise falls on every side alike.
    for n, side in enumerate(["without", "with", "with_no_match"] * 2):
        with engine.begin() as conn:
            conn.execute(alert_keys.delete())
            if side != "without":
                insert_rows(conn, alert_keys, ("key", "subscription_id"), saved)
        people = unsubscribed if side == "with_no_match" else subscribed
        rate, share = throughput(settings, args.throughput, 0, people, f"TPUT-{n}")
        rates[side].append(rate)
        shares.setdefault(side, []).append(share)
    best = {k: max(v) for k, v in rates.items()}
    results["ingest_per_s"] = {
        "with_subscriptions": round(best["with"]), "with_subscriptions_no_alert": round(best["with_no_match"]),
        "without": round(best["without"]), "cost_pct": round(100 * (1 - best["with"] / best["without"]), 1),
        "cost_pct_evaluation_only": round(100 * (1 - best["with_no_match"] / best["without"]), 1),
        "runs": {k: [round(v) for v in vs] for k, vs in rates.items()},
        "alerts_projector_cpu_share_pct": {k: round(100 * min(v), 1) for k, v in shares.items()},
        "alerts_per_run": args.throughput // 10}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

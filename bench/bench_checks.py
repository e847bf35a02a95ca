"""Checks and search benchmark: person checks, vehicle checks and descriptive search over
HTTP, with the access policy and audit on, against a national sample.

    .venv/bin/python bench/bench_checks.py --persons 1000000            # builds the store
    .venv/bin/python bench/bench_checks.py --home /path/to/matched/home  # an existing store

1. Unless ``--home`` is given: ``leds synth``, ``leds ingest`` and ``leds match`` into
   ``bench/out/checks-<N>/`` (kept for the next run).
2. An investigator account (force WYP, vetting SC) and an API token.
3. Queries drawn from the store (seeded): person checks by surname, forename and date
   of birth of real records; vehicle checks by VRM, half of them with one character
   swapped for its confusable twin (0/O, 1/I, 5/S, 8/B, 2/Z); descriptive searches by
   the first three letters of a surname and a ten-year age range.
4. ``leds serve --workers W`` in a child process (which first prewarms the look-up tables
   into the OS page cache, as a server that has been running would have them; ``--cold``
   drops the page cache and serves without prewarming instead), then ``wrk`` (Debian) over loopback
   with C connections (each level of ``--connections``) for D seconds per kind: every
   response is checked for 200.
5. Latency percentiles (p50/p95/p99, from wrk's own histogram), throughput, the serving
   processes' CPU time per request, and the part of it spent on each process's main
   thread (``loop ms``: uvicorn's event loop, which parses HTTP, routes, validates and reads
   the caller's token; the handler threads and the audit writer have the rest), and disk
   reads per request (from ``/proc``: figures that a noisy host moves less than it moves
   throughput), and their peak RSS (VmHWM summed over the workers).

``--kinds floor`` (not in the default set) measures the least any check costs here: a
vehicle check for a well-formed registration mark that no record has.  It still takes the
caller's token, the stated purpose, validation, one index probe and an audit entry
committed before the answer, over the same HTTP stack, so it is the ceiling for any
audited look-up on this machine, whatever the look-up itself does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LEDS = str(ROOT / ".venv" / "bin" / "leds")
CONFUSE = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2"}

LUA = r"""
local bodies = {}
local path = "%(path)s"
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local counter = 0
local bad = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter %% #bodies) + 1]
  return wrk.format("POST", path, {["Content-Type"] = "application/json",
                                   ["Authorization"] = "Bearer %(token)s"}, body)
end
response = function(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad < 4 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end
done = function(summary, latency, requests)
  local out = io.open("%(result)s", "w")
  out:write(string.format('{"requests": %%d, "duration_us": %%d, "errors": %%d, "p50_ms": %%.3f, "p95_ms": %%.3f, '
    .. '"p99_ms": %%.3f, "max_ms": %%.3f, "mean_ms": %%.3f}',
    summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
  out:close()
end
"""


def say(msg: str) -> None:
    print(f"[bench_checks] {msg}", file=sys.stderr, flush=True)


def run(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(args, env=env, check=True)
    return time.perf_counter() - t


def build(home: Path, persons: int, seed: int, env: dict[str, str]) -> dict[str, float]:
    synth = home.parent / "synth"
    took: dict[str, float] = {}
    if not (synth / "manifest.json").exists():
        say(f"synth: {persons:,} persons")
        took["synth_s"] = run([LEDS, "synth", "--persons", str(persons), "--seed", str(seed), "--out", str(synth),
                               "-q"], env)
    if not (home / "ingested").exists():
        say("ingest")
        files = sorted(str(p) for p in synth.rglob("*.ndjson"))
        took["ingest_s"] = run([LEDS, "ingest", *files], env)
        (home / "ingested").write_text("yes")
    if not (home / "matched").exists():
        say("match")
        took["match_s"] = run([LEDS, "match"], env)
        (home / "matched").write_text("yes")
    return took


def queries(home: Path, n: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Person, vehicle and search bodies from records of the store (read as the system)."""
    os.environ["LEDS_HOME"] = str(home)
    from leds.access.policy import Principal, iter_records
    from leds.config import Settings
    from leds.db.engine import get_engine

    rng = random.Random(seed)
    engine = get_engine(Settings(home=home))
    persons: list[dict[str, Any]] = []
    vrms: list[str] = []
    with engine.connect() as conn:
        seen = 0
        for v in iter_records(conn, Principal.system(), "system_maintenance", rtype="person"):
            d = v.data or {}
            name = (d.get("names") or [{}])[0]
            if not name.get("given") or not d.get("birth_dates"):
                continue
            seen += 1
            item = {"surname": name["family"], "forename": name["given"][0], "dob": d["birth_dates"][0]}
            if len(persons) < n:
                persons.append(item)
            elif rng.random() < n / seen:
                persons[rng.randrange(n)] = item
        seen = 0
        for v in iter_records(conn, Principal.system(), "system_maintenance", rtype="vehicle"):
            seen += 1
            vrm = (v.data or {}).get("vrm")
            if not vrm:
                continue
            if len(vrms) < n:
                vrms.append(vrm)
            elif rng.random() < n / seen:
                vrms[rng.randrange(n)] = vrm
    purpose = {"purpose": "incident_response"}
    vehicle = []
    for i, vrm in enumerate(vrms):
        if i % 2:
            spots = [j for j, c in enumerate(vrm) if c in CONFUSE]
            if spots:
                j = rng.choice(spots)
                vrm = vrm[:j] + CONFUSE[vrm[j]] + vrm[j + 1:]
        vehicle.append({"vrm": vrm, **purpose})
    search = []
    for p in persons:
        age = max(0, (2026 - int(p["dob"][:4])) - rng.randrange(0, 10))
        search.append({"surname": p["surname"][:3] + "*", "age_from": age, "age_to": age + 10, **purpose})
    return {"person": [{**p, **purpose} for p in persons], "vehicle": vehicle, "search": search}


def floor_bodies(n: int) -> list[dict[str, Any]]:
    """Vehicle checks for well-formed marks that no synthetic vehicle has (the generator
    never uses Q), without confusable characters: the check finds nothing."""
    letters = "ACDEFGHJKLMNPRTUVWXY"
    return [{"vrm": f"QQ{i % 100:02d}Q{letters[i // 100 % 20]}{letters[i // 2000 % 20]}", "purpose": "incident_response"}
            for i in range(n)]


def token_for(home: Path) -> str:
    from leds.access import identity
    from leds.config import Settings
    from leds.db.engine import get_engine

    engine = get_engine(Settings(home=home))
    user = identity.get_user(engine, "bench-investigator") or identity.create_user(
        engine, "bench-investigator", roles=["investigator"], force="WYP", vetting="SC",
        password=os.urandom(12).hex(), display_name="Benchmark investigator")
    token, _ = identity.issue_token(engine, user, ["check", "search"])
    return token


def drawn_queries(home: Path, given: Path | None, tool: str) -> tuple[Path, dict[str, list[dict[str, Any]]]]:
    """The file of queries this script drew for a store (``given``, or the newest beside it)
    and its queries, for the in-process benchmarks; exits, naming ``tool``, when there are none."""
    found = sorted(home.parent.glob("queries-*.json"), key=lambda p: p.stat().st_mtime)
    qfile = given or (found[-1] if found else None)
    if qfile is None or not qfile.exists():
        sys.exit(f"{tool}: no queries file: run bench_checks.py on this store first")
    return qfile, json.loads(qfile.read_text())


def investigator_lookup(home: Path) -> tuple[Any, Any]:
    """(engine, a look-up as the API makes it for the benchmark's investigator: force WYP,
    vetting SC, purpose incident_response, the audit writer on), in this process."""
    from leds.access import identity
    from leds.access.lookup import Lookup
    from leds.access.policy import Principal
    from leds.audit import get_writer
    from leds.config import Settings
    from leds.db.engine import get_engine

    settings = Settings(home=home)
    engine = get_engine(settings)
    token_for(home)  # the benchmark's investigator account exists
    user = identity.get_user(engine, "bench-investigator")
    return engine, Lookup(Principal.from_user(user), "incident_response", None, get_writer(settings).record)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_pids(pid: int) -> list[int]:
    """A process and its children (uvicorn's workers)."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    return pids


def _cpu_s(stat: Path, tick: int) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def server_usage(pid: int) -> tuple[float, float, int]:
    """(CPU seconds, of which each process's main thread (the event loop: HTTP, routing,
    validation, the caller's token), bytes read from the disk) of the serving processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    cpu, loop, read = 0.0, 0.0, 0
    for p in server_pids(pid):
        try:
            cpu += _cpu_s(Path(f"/proc/{p}/stat"), tick)
            loop += _cpu_s(Path(f"/proc/{p}/task/{p}/stat"), tick)
            for line in Path(f"/proc/{p}/io").read_text().splitlines():
                if line.startswith("read_bytes:"):
                    read += int(line.split()[1])
        except OSError:
            continue
    return cpu, loop, read


def vmhwm_mb(pid: int) -> float:
    """Peak RSS of a process and its children (uvicorn's workers)."""
    total = 0.0
    for p in server_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def load(url: str, path: str, token: str, bodies: list[dict[str, Any]], connections: int, seconds: int,
         threads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        bfile, script, result = Path(tmp) / "bodies.ndjson", Path(tmp) / "load.lua", Path(tmp) / "result.json"
        bfile.write_text("".join(json.dumps(b) + "\n" for b in bodies))
        script.write_text(LUA % {"path": path, "bodies": bfile, "token": token, "result": result})
        subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                        "-s", str(script), url], check=True, stdout=subprocess.DEVNULL)
        out = json.loads(result.read_text())
    out["per_s"] = out["requests"] / (out["duration_us"] / 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--home", type=Path, help="an existing, matched LEDS_HOME (SQLite) to use instead of building one")
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument("--connections", default="16", help="concurrent clients; a comma-separated list runs each "
                    "kind at each level (e.g. 16,4)")
    ap.add_argument("--kinds", default="person,vehicle,search", help="which look-ups to load (comma-separated; "
                    "'floor' adds an audited check that finds nothing: the least any check costs)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--seconds", type=int, default=30, help="per kind of request")
    ap.add_argument("--queries", type=int, default=2000, help="distinct queries per kind")
    ap.add_argument("--cold", action="store_true", help="drop the OS page cache first (root) and serve without "
                    "prewarming: a server that has just started on a store nothing has read")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_checks: needs wrk (apt-get install -y wrk)")
    home = args.home or ROOT / "bench" / "out" / f"checks-{args.persons}" / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDS_")} | {"LEDS_HOME": str(home)}
    levels = [int(c) for c in str(args.connections).split(",")]
    paths = {"person": "/api/v1/checks/person", "vehicle": "/api/v1/checks/vehicle", "search": "/api/v1/search",
             "floor": "/api/v1/checks/vehicle"}
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(paths)
    if unknown:
        sys.exit(f"bench_checks: unknown kind(s) {', '.join(sorted(unknown))}: use {', '.join(paths)}")
    report: dict[str, Any] = {"machine": f"{os.cpu_count()} cores", "home": str(home), "workers": args.workers,
                              "connections": levels, "seconds": args.seconds}
    if args.home is None:
        report["build"] = build(home, args.persons, args.seed, env)
    drawn = home.parent / f"queries-{args.queries}-{args.seed}.json"
    if drawn.exists():
        # Drawing reads every person and vehicle record (GBs at 1M): kept beside the store.
        # Delete the file after changing the store's records.
        bodies = json.loads(drawn.read_text())
    else:
        say("drawing queries from the store")
        bodies = queries(home, args.queries, args.seed)
        drawn.write_text(json.dumps(bodies))
    bodies["floor"] = floor_bodies(args.queries)
    report["store_mb"] = round((home / "leds.sqlite3").stat().st_size / 2**20)
    token = token_for(home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [LEDS, "serve", "--port", str(port), "--workers", str(args.workers)]
    if args.cold:
        try:
            os.sync()
            Path("/proc/sys/vm/drop_caches").write_text("1\n")
        except OSError as exc:
            sys.exit(f"bench_checks: --cold needs to drop the page cache (root, Linux): {exc}")
        serve.append("--no-prewarm")
    report["cache"] = "cold" if args.cold else "prewarmed"
    started = time.monotonic()
    server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:  # prewarming a national store takes a while: the server answers once it is done
            try:
                urllib.request.urlopen(f"{url}/api/v1/health", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > 1800:
                    sys.exit("bench_checks: the server did not start")
                time.sleep(0.2)
        report["server_start_s"] = round(time.monotonic() - started, 1)
        report["runs"] = []
        for kind in kinds:
            say(f"{kind}: warm-up")
            load(url, paths[kind], token, bodies[kind][:200], max(levels), 3, min(args.threads, max(levels)))
            for c in levels:
                say(f"{kind}: {args.seconds} s with {c} connections")
                cpu0, loop0, read0 = server_usage(server.pid)
                r = load(url, paths[kind], token, bodies[kind], c, args.seconds, min(args.threads, c))
                cpu1, loop1, read1 = server_usage(server.pid)
                n = max(r["requests"], 1)
                report["runs"].append({"kind": kind, "connections": c, **r, "server_cpu_ms": (cpu1 - cpu0) * 1000 / n,
                                       "loop_cpu_ms": (loop1 - loop0) * 1000 / n,
                                       "disk_read_kb": (read1 - read0) / 1024 / n})
        report["server_peak_rss_mb"] = round(vmhwm_mb(server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            say("the server did not stop within 30 s of SIGTERM; killing it")
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"machine: {report['machine']}; store {report['store_mb']:,} MB; {args.workers} server processes; "
          f"wrk over loopback; policy and audit on; page cache {report['cache']} "
          f"(server ready in {report['server_start_s']} s)")
    print(f"{'kind':<8} {'clients':>7} {'requests':>9} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7} {'cpu ms':>7} {'loop ms':>8} {'disk kB':>8}")
    for r in report["runs"]:
        print(f"{r['kind']:<8} {r['connections']:>7} {r['requests']:>9,} {r['per_s']:>8.1f} {r['p50_ms']:>8.1f} "
              f"{r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>7} {r['server_cpu_ms']:>7.2f} "
              f"{r['loop_cpu_ms']:>8.2f} {r['disk_read_kb']:>8.1f}")
    print(f"server peak RSS (all processes): {report['server_peak_rss_mb']:,} MB")


if __name__ == "__main__":
    main()

"""Alerts' fixtures: users who subscribe, a webhook receiver and an SMTP server on loopback
(aiosmtpd), and a Redis server of the test's own (so that a test may kill it)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import get_engine

from ..callers import Audit


def make_user(settings: Settings, name: str, role: str = "investigator", force: str = "WYP",
              vetting: str = "SC") -> tuple[Lookup, Audit]:
    engine = get_engine(settings)
    user = identity.get_user(engine, name) or identity.create_user(engine, name, roles=[role], force=force,
                                                                  vetting=vetting, password=None)
    audit = Audit()
    return Lookup(Principal.from_user(user), "investigation", "op alpha", audit), audit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A webhook receiver on loopback: records every POST; answers ``fail_first`` of them 500."""

    url: str = ""
    got: list[dict[str, Any]] = field(default_factory=list)
    fail_first: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        with self.lock:
            return [g["key"] for g in self.got]

    def wait(self, n: int, timeout: float = 20.0) -> None:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            if len(set(self.keys())) >= n:
                return
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {len(set(self.keys()))} distinct alerts, not {n}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with rec.lock:
                failing = rec.fail_first > 0
                if failing:
                    rec.fail_first -= 1
                else:
                    rec.got.append({"key": self.headers["Idempotency-Key"], "body": orjson.loads(body), "raw": body,
                                    "ts": self.headers["X-Leds-Timestamp"], "sig": self.headers["X-Leds-Signature"],
                                    "at": time.time()})
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield rec
    server.shutdown()
    server.server_close()


def verify_signature(secret: str, got: dict[str, Any]) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), got["ts"].encode() + b"." + got["raw"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, got["sig"])


@pytest.fixture
def smtp() -> Iterator[tuple[str, list[Any]]]:
    """A real SMTP server (aiosmtpd) on loopback; yields (smtp_url, the messages received)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    got: list[Any] = []

    class Keep(Message):
        def handle_message(self, message: Any) -> None:
            got.append(message)

    port = free_port()
    c = Controller(Keep(), hostname="127.0.0.1", port=port)
    c.start()
    yield f"smtp://leds-alerts@127.0.0.1:{port}", got
    c.stop()


@dataclass
class RedisServer:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # No persistence: a restarted server has lost its streams, the worst case for delivery.
        self.proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ends = time.monotonic() + 10
        while time.monotonic() < ends:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of this test's own, on a free loopback port (started here, so a fresh
    machine works, and killed by the test without touching the machine's own Redis)."""
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed: run scripts/setup.sh (apt-get install redis-server)")
    r = RedisServer(free_port(), tmp_path)
    r.start()
    yield r
    r.kill()


@pytest.fixture
def sqlite_store(sqlite_settings: Settings) -> Settings:
    """The two forces' store on SQLite only: for behaviour that does not depend on the
    database (the ``store`` fixture runs the rest on both)."""
    from ..factories import load, mps_records, wyp_records

    load(sqlite_settings, wyp_records() + mps_records())
    return sqlite_settings

"""A real ``leds serve`` on a loopback port, for tests that talk to the service over HTTP
(the browser tests, the API contract test)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from leds.config import Settings

from .conftest import env_for

LEDS = str(Path(sys.executable).with_name("leds"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(settings: Settings, log: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``leds serve`` on ``settings``'s store; yields its base URL once it answers."""
    port = free_port()
    env = {**env_for(settings), "LEDS_COOKIE_SECURE": "0", **(extra_env or {})}  # plain http on loopback
    with log.open("wb") as out:
        proc = subprocess.Popen([LEDS, "serve", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(f"leds serve stopped: {log.read_text()[-2000:]}") from None
                time.sleep(0.5)
        else:
            raise AssertionError(f"leds serve did not answer within 60 s: {log.read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def sample_store(home: Path, persons: int = 300, seed: int = 11) -> Settings:
    """A small national sample, generated, ingested and matched (as ``leds demo`` does)."""
    settings = Settings(home=home)
    env = env_for(settings)
    subprocess.run([LEDS, "synth", "--out", str(home / "sample"), "--persons", str(persons), "--seed", str(seed),
                    "-q"], env=env, check=True, capture_output=True)
    files = [str(p) for p in sorted((home / "sample").rglob("*.ndjson"))]
    subprocess.run([LEDS, "ingest", *files, "--json"], env=env, check=True, capture_output=True)
    subprocess.run([LEDS, "match"], env=env, check=True, capture_output=True)
    return settings

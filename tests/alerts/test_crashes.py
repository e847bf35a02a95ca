"""At least once, never lost, across crashes: delivery workers killed with SIGKILL
mid-stream and (through Redis Streams) Redis itself killed and restarted with its streams
gone, while changes keep arriving.  Every alert reaches the receiver; a repeat is only ever
the one delivery a killed worker had in flight, with the same idempotency key and body."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from leds.alerts.models import SubscriptionRequest
from leds.alerts.subscriptions import subscribe
from leds.alerts.tables import alert_outbox
from leds.config import Settings
from leds.db.engine import get_engine

from ..conftest import env_for
from ..factories import P1, load
from .conftest import Receiver, RedisServer, make_user
from .test_evaluation import marker_on

CHANGES = 40
LEDS = [sys.executable, "-m", "leds.cli"]


def _worker(settings: Settings, broker: str | None, name: str) -> subprocess.Popen[bytes]:
    args = [*LEDS, "alerts", "worker", "--consumer", name, "--lease-s", "1", "--relay-s", "1", "--retry-s", "0.05"]
    if broker:
        args += ["--broker", broker]
    return subprocess.Popen(args, env=env_for(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(cond: Any, timeout: float, what: str) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("through", ["embedded", "redis"])
def test_killed_workers_and_a_killed_redis_lose_nothing_and_double_nothing(
        sqlite_store: Settings, receiver: Receiver, through: str, request: pytest.FixtureRequest) -> None:
    settings = sqlite_store
    redis: RedisServer | None = request.getfixturevalue("redis_server") if through == "redis" else None
    broker = redis.url if redis else None
    lk, _ = make_user(settings, "oic")
    with get_engine(settings).connect() as conn:
        subscribe(conn, lk, SubscriptionRequest(reason="op alpha", person_id=P1, webhook_url=receiver.url,
                                                max_per_minute=1000))
    workers = [_worker(settings, broker, "w1"), _worker(settings, broker, "w2") if broker else None]
    feeding = threading.Thread(target=lambda: [
        (load(settings, [marker_on("P-1", f"M-K{b}-{i}", "WE") for i in range(10)]), time.sleep(0.2))
        for b in range(CHANGES // 10)])
    feeding.start()
    try:
        _wait_for(lambda: len(receiver.keys()) >= 5, 30, "the first deliveries")
        os.kill(workers[0].pid, signal.SIGKILL)  # mid-stream
        workers[0].wait()
        if redis is not None:
            redis.kill()
            time.sleep(0.5)
            redis.start()  # empty: its stream and consumer group are gone
        workers[0] = _worker(settings, broker, "w3")
        feeding.join()
        _wait_for(lambda: len(set(receiver.keys())) >= CHANGES, 45, f"{CHANGES} distinct alerts")
        _wait_for(lambda: _states(settings) == {"delivered"}, 15, "every outbox row delivered")
    finally:
        feeding.join()
        for w in workers:
            if w is not None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            if w is not None:
                w.wait(10)
    with get_engine(settings).connect() as conn:
        expected = set(conn.execute(select(alert_outbox.c.idempotency_key)).scalars())
    keys = receiver.keys()
    assert len(expected) == CHANGES and set(keys) == expected  # every alert, under its own key
    repeats = {k: n for k, n in Counter(keys).items() if n > 1}
    assert sum(n - 1 for n in repeats.values()) <= 1  # at most the one the killed worker had in flight
    for k in repeats:
        assert len({orjson_body(g) for g in receiver.got if g["key"] == k}) == 1  # a true repeat


def orjson_body(got: dict[str, Any]) -> bytes:
    return got["raw"]  # type: ignore[no-any-return]


def _states(settings: Settings) -> set[str]:
    with get_engine(settings).connect() as conn:
        return set(conn.execute(select(alert_outbox.c.state)).scalars())

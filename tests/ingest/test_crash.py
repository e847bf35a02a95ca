"""A process killed with SIGKILL in the middle of a large ingest, then run again
on the same input, ends with the same state as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leds.config import Settings
from leds.db.engine import get_engine
from leds.db.schema import log, quarantine
from leds.ingest.pipeline import PARALLEL_THRESHOLD_BYTES, Ingestor, ingest_paths
from leds.records.state import state_digest

from ..conftest import env_for
from ..factories import mixed_population, ndjson

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """A file large enough to be validated in a worker process, and the digest
    of an uninterrupted ingest of it."""
    docs = []
    for force in ("WYP", "MPS", "GMP"):
        docs += mixed_population(11_000, force=force)
    path = tmp_path_factory.mktemp("crash") / "big.ndjson"
    path.write_bytes(ndjson(docs))
    assert path.stat().st_size > PARALLEL_THRESHOLD_BYTES
    reference = Settings(home=path.parent / "reference")
    ingest_paths(Ingestor(reference), [path])
    return path, len(docs), state_digest(get_engine(reference))


def _log_count(settings: Settings) -> int:
    try:
        with get_engine(settings).connect() as c:
            return c.execute(select(func.count()).select_from(log)).scalar_one()
    except Exception:
        return 0  # the store is still being created


def test_sigkill_mid_ingest_then_rerun_loses_nothing_and_doubles_nothing(
        settings: Settings, big_input: tuple[Path, int, str]) -> None:
    path, total, reference_digest = big_input
    get_engine(settings)  # create the schema up front so polling can start at once
    cmd = [sys.executable, "-m", "leds.cli", "ingest", str(path), "--json"]
    proc = subprocess.Popen(cmd, env=env_for(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while _log_count(settings) < 15_000:
        assert proc.poll() is None, "the ingest finished before it could be killed: make the input larger"
        assert time.monotonic() < deadline, "the ingest made no progress"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    committed = _log_count(settings)
    assert 0 < committed < total, "the kill must land part-way through"

    # The validation worker must not outlive the killed process.
    for _ in range(100):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("a worker process survived the SIGKILL of its parent")

    rerun = subprocess.run(cmd, env=env_for(settings), capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()
    summary = json.loads(rerun.stdout)
    assert summary["duplicates"] == committed and summary["accepted"] == total - committed
    assert _log_count(settings) == total
    with get_engine(settings).connect() as c:
        assert c.execute(select(func.count()).select_from(quarantine)).scalar_one() == 0
    assert state_digest(get_engine(settings)) == reference_digest, "same state as one uninterrupted run"

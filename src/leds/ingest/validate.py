"""Line validation: raw bytes to an accepted updategram or a rejection.

Pure computation with no database access, so that it can run in a worker
process alongside the writer (see ``pipeline``).
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from leds.standard import Updategram

from . import crypto
from .accepted import Accepted
from .reader import Oversized
from .reasons import classify


@dataclass(slots=True)
class Rejected:
    origin: str
    line_no: int
    raw: bytes | None  # None when spilled to ``raw_path``
    raw_path: str | None
    raw_size: int
    raw_sha256: str
    reasons: list[str]
    message: str
    force: str | None = None
    source: str | None = None
    sequence: int | None = None
    quarantine_id: int | None = None  # set when retrying an existing entry


@dataclass(slots=True)
class Pending:
    item: Accepted
    digest: str  # keyed hash of the canonical updategram
    payload: bytes  # what the log seals: the record's data (canonical JSON); empty for a delete
    origin: str
    line_no: int
    raw: bytes
    quarantine_id: int | None = None
    # Sealed in advance under a fresh key, used if the record has none yet
    # (the common case for new records): saves the writer the work.
    candidate_key: bytes | None = None
    sealed: bytes | None = None

    def sealed_with(self, key: bytes) -> bytes:
        if key == self.candidate_key and self.sealed is not None:
            return self.sealed
        payload = self.payload
        if not payload and self.candidate_key and self.sealed:
            payload = crypto.open_sealed(self.candidate_key, self.item.rkey, self.item.sequence, self.sealed)
        return crypto.seal(key, self.item.rkey, self.item.sequence, payload)

    def slim(self) -> Pending:
        """Drop what the parent process already has or can recover (the raw
        line, and the payload sealed under the candidate key) before the trip
        back from a worker."""
        self.raw = b""
        if self.sealed is not None:
            self.payload = b""
        return self

    def reject(self, code: str, message: str) -> Rejected:
        return Rejected(self.origin, self.line_no, self.raw, None, len(self.raw),
                        hashlib.sha256(self.raw).hexdigest(), [code], message,
                        self.item.force, self.item.source, self.item.sequence, self.quarantine_id)


Outcome = Pending | Rejected | None  # None: a blank line


class Validator:
    def __init__(self, hash_secret: bytes, max_line_bytes: int, allowed_force: str | None = None):
        self.hash_secret = hash_secret
        self.max_line_bytes = max_line_bytes
        # A force system account may only submit its own force's updategrams.
        self.allowed_force = allowed_force

    def outcome(self, origin: str, line_no: int, line: bytes | Oversized) -> Outcome:
        if isinstance(line, Oversized):
            return Rejected(origin, line_no, None, str(line.path), line.size, line.sha256, ["LINE_TOO_LONG"],
                            f"line {line_no} is {line.size:,} bytes; the limit for one updategram is "
                            f"{self.max_line_bytes:,} bytes (LEDS_MAX_LINE_BYTES); the raw line is kept "
                            f"as {line.path.name}")
        if not line.strip():
            return None
        return self.validate(origin, line_no, line)

    def validate(self, origin: str, line_no: int, line: bytes) -> Pending | Rejected:
        try:
            ug = Updategram.model_validate_json(line)
        except ValidationError as exc:
            codes, message = classify(exc)
            if "MALFORMED_JSON" in codes and not _is_utf8(line):
                codes, message = ["ENCODING"], f"line {line_no} is not valid UTF-8: {_bad_utf8(line)}"
            return rejection(origin, line_no, line, codes, message)
        if self.allowed_force is not None and ug.force != self.allowed_force:
            return rejection(origin, line_no, line, ["NOT_AUTHORISED"],
                             f"this account submits for {self.allowed_force}, not {ug.force}",
                             (ug.force, ug.source, ug.sequence))
        item = Accepted.from_updategram(ug)
        digest = hmac.new(self.hash_secret, item.canonical(), hashlib.sha256).hexdigest()
        payload = item.data_json.encode() if item.data_json is not None else b""
        key = crypto.new_data_key()
        return Pending(item, digest, payload, origin, line_no, line, None, key,
                       crypto.seal(key, item.rkey, item.sequence, payload))

    def chunk(self, origin: str, lines: list[tuple[int, bytes | Oversized]]) -> list[Outcome]:
        return [self.outcome(origin, n, line) for n, line in lines]


def rejection(origin: str, line_no: int, line: bytes, codes: list[str], message: str,
              envelope: tuple[str | None, str | None, int | None] | None = None) -> Rejected:
    force, source, sequence = envelope or _envelope_hint(line)
    return Rejected(origin, line_no, line, None, len(line), hashlib.sha256(line).hexdigest(),
                    codes, message, force, source, sequence)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_utf8(line: bytes) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte 0x{line[exc.start]:02x} at offset {exc.start}"
    return "no error"


def _envelope_hint(line: bytes) -> tuple[str | None, str | None, int | None]:
    """Best-effort force/source/sequence of a rejected line, for listing and filtering."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, None, None
    if not isinstance(doc, dict):
        return None, None, None
    force, source, seq = doc.get("force"), doc.get("source"), doc.get("sequence")
    return (force[:8] if isinstance(force, str) else None,
            source[:64] if isinstance(source, str) else None,
            seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63 else None)


# --- worker process ----------------------------------------------------------------
_worker: Validator | None = None


def init_worker(hash_secret: bytes, max_line_bytes: int, allowed_force: str | None) -> None:
    global _worker
    _worker = Validator(hash_secret, max_line_bytes, allowed_force)
    # The worker only validates: its objects are freed by reference counting (see pipeline.quiet_gc).
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    # A worker's task queue holds both ends of its pipe, so it never sees EOF
    # when the parent is killed; without this it would wait for ever.
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def worker_chunk(origin: str, lines: list[tuple[int, bytes | Oversized]]) -> list[Outcome]:
    assert _worker is not None, "init_worker was not called"
    return [o.slim() if isinstance(o, Pending) else o for o in _worker.chunk(origin, lines)]

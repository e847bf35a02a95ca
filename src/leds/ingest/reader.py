"""Streaming NDJSON reader with bounded memory.

Lines are read one at a time with a size limit.  A line longer than the limit
is not held in memory: it is spilled to a file under the quarantine folder and
handed on as an :class:`Oversized` marker, so nothing is lost and a 50 MB line
costs no more memory than a short one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

DEFAULT_MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any valid updategram
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Oversized:
    path: Path
    size: int
    sha256: str


def read_lines(
    stream: BinaryIO,
    spill_dir: Path,
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, bytes | Oversized]]:
    """Yield ``(line_no, line)`` with line numbers from 1; the newline is removed."""
    line_no = 0
    readline = stream.readline
    while True:
        line = readline(max_line_bytes + 1)
        if not line:
            return
        line_no += 1
        if on_bytes:
            on_bytes(len(line))
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            yield line_no, _spill(line, stream, spill_dir, on_bytes)
            continue
        yield line_no, line.rstrip(b"\r\n")


def _spill(head: bytes, stream: BinaryIO, spill_dir: Path, on_bytes: Callable[[int], None] | None) -> Oversized:
    spill_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=spill_dir, suffix=".partial")
    with os.fdopen(fd, "wb") as out:
        chunk = head
        while True:
            done = chunk.endswith(b"\n")
            data = chunk.rstrip(b"\r\n") if done else chunk
            out.write(data)
            digest.update(data)
            size += len(data)
            if done:
                break
            chunk = stream.readline(_CHUNK)
            if not chunk:
                break
            if on_bytes:
                on_bytes(len(chunk))
    sha = digest.hexdigest()
    final = spill_dir / f"{sha}.raw"
    os.replace(tmp, final)
    return Oversized(path=final, size=size, sha256=sha)

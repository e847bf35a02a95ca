"""Statistical disclosure control, shared by exports under an agreement and open data.

* **k-anonymity** on quasi-identifiers: every combination of their values that is released is
  shared by at least ``k`` rows, so no released row can be linked back to fewer than ``k``
  source records by those values (sdcMicro and ARX check the same property).
* **minimum cell size** for aggregates: a count below ``min_cell`` is not released.

:func:`linkable` is the re-identification measure the open-data test runs in CI: how many
released rows fall in a class smaller than the threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

R = TypeVar("R")


@dataclass(frozen=True)
class KResult:
    kept: int
    dropped: int
    smallest: int  # the size of the smallest class released (0 when nothing is)
    classes: int


def classes(rows: Sequence[R], key: Callable[[R], Hashable]) -> Counter[Hashable]:
    return Counter(map(key, rows))


def linkable(rows: Sequence[R], key: Callable[[R], Hashable], k: int) -> int:
    """How many rows sit in a class of fewer than ``k`` rows (0 means k-anonymous)."""
    sizes = classes(rows, key)
    return sum(n for n in sizes.values() if n < k)


def k_anonymise(rows: list[R], key: Callable[[R], Hashable], k: int) -> tuple[list[R], KResult]:
    """The rows whose quasi-identifier class has at least ``k`` members (others suppressed)."""
    sizes = classes(rows, key)
    kept = [r for r in rows if sizes[key(r)] >= k] if any(n < k for n in sizes.values()) else rows
    big = [n for n in sizes.values() if n >= k]
    return kept, KResult(len(kept), len(rows) - len(kept), min(big) if big else 0, len(big))


def suppress_cells(counts: dict[tuple[Any, ...], int], min_cell: int) -> tuple[dict[tuple[Any, ...], int | None], int]:
    """Counts below ``min_cell`` replaced by ``None`` (not released); and how many were."""
    out: dict[tuple[Any, ...], int | None] = {}
    hidden = 0
    for cell, n in counts.items():
        if n < min_cell:
            out[cell] = None
            hidden += 1
        else:
            out[cell] = n
    return out, hidden

"""How one block of true people is written: the lines of each (force, source) file.

A worker renders each file's lines for its block with a ``%d`` where the sequence goes;
the parent (:mod:`.generator`) fills in sequences.  ``issued_at`` comes from a time window
that belongs to the block, so it never decreases along a file.  Updates and deletes (a
cancelled circulation, a found person) go after the block's first upserts, so they always
follow the record they change.  :mod:`.events` writes the events of a copy on top of this,
:mod:`.block` the people.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from hashlib import blake2b
from pathlib import Path
from random import Random
from typing import Any

import orjson

from .geography import FORCE_AREAS, custody_source, rms_source
from .population import EVENT_END, EVENT_START, TruePerson, World
from .rates import VARIATION_NAMES, VariationRates

BLOCK_SIZE = 2000

_dumps = orjson.dumps
_MID = b'","op":"upsert","record":'  # between issued_at and the record
_END = b"}\n"

FileKey = tuple[str, str]


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs; identical in every process."""

    seed: int
    persons: int
    rates: VariationRates
    reference_dir: Path | None
    n_blocks: int
    t0: int  # epoch seconds of the first issued_at
    window: int  # seconds of issued_at per block


# --- per-process state ---------------------------------------------------------------
_WORLD: World | None = None
_WORLD_KEY: tuple[Any, ...] | None = None
_HMS: list[bytes] = []
_DAYS: dict[int, bytes] = {}


def world_of(plan: Plan) -> World:
    """The plan's world (name pools, catalogues, rates), made once per process."""
    global _WORLD, _WORLD_KEY
    key = (plan.seed, plan.rates, plan.reference_dir)
    if _WORLD is None or _WORLD_KEY != key:
        _WORLD = World(plan.seed, plan.rates, plan.reference_dir)
        _WORLD_KEY = key
    return _WORLD


def _timestamp(s: int) -> bytes:
    """``2025-07-01T08:04:36Z`` for epoch seconds ``s``, from cached pieces."""
    if not _HMS:
        _HMS.extend(f"{h:02d}:{m:02d}:{x:02d}Z".encode() for h in range(24) for m in range(60) for x in range(60))
    day, rem = divmod(s, 86400)
    d = _DAYS.get(day)
    if d is None:
        d = _DAYS[day] = (date.fromordinal(day + 719163).isoformat() + "T").encode()
    return d + _HMS[rem]


def _file_hash(seed: int, force: str, source: str) -> tuple[int, int]:
    h = blake2b(f"{seed}|{force}|{source}".encode(), digest_size=16).digest()
    a = int.from_bytes(h[:8], "big") % 10**10
    a |= 1
    if a % 5 == 0:
        a += 2
    return a, int.from_bytes(h[8:], "big") % 10**10


# --- one block's files ----------------------------------------------------------------
class File:
    """What a block knows about one (force, source) file: its lines so far, its ref
    counters, the locations and vehicles already sent, and recent people (associates)."""

    __slots__ = ("force", "source", "out", "later", "n_l", "n_v", "n_e", "n_m", "n_k", "recent", "perm_a",
                 "perm_b", "locations", "vehicles", "towns", "with_crimes", "is_rms", "recent_vehicles")

    def __init__(self, seed: int, force: str, source: str) -> None:
        self.force = force
        self.source = source
        self.out: list[bytes] = []
        self.later: list[bytes] = []  # updates and deletes, sent after the block's first upserts
        self.n_l = self.n_v = self.n_e = self.n_m = self.n_k = 0
        self.recent: list[tuple[str, str, str]] = []
        self.perm_a, self.perm_b = _file_hash(seed, force, source)
        self.locations: dict[int, str] = {}
        self.vehicles: dict[int, str] = {}
        areas = FORCE_AREAS.get(force)
        self.towns = [a.town for a in areas] if areas else ["London"]
        # a force whose custody and crime records live in one system records both there
        self.with_crimes = force not in FORCE_AREAS or custody_source(force) == rms_source(force)
        # the force's records system: it holds crimes, wanted and missing-person reports
        self.is_rms = force in FORCE_AREAS and source == rms_source(force)
        self.recent_vehicles: list[tuple[str, int]] = []  # (vehicle ref, keeper's true index)


OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
_OS = OFFICIAL_SENSITIVE  # short: most records carry it


class BlockWriter:
    """The state of one block of true people, and how it writes records to its files."""

    def __init__(self, plan: Plan, block: int) -> None:
        self.plan = plan
        self.block = block
        self.world = world_of(plan)
        self.rng = Random(f"leds-synth:{plan.seed}:{block}")
        # Wanted, missing, bail, release, vehicle users, reports and markers draw from their
        # own stream, so the records that existed before them are unchanged by them.
        self.xr = Random(f"leds-synth-more:{plan.seed}:{block}")
        self.files: dict[FileKey, File] = {}
        self.truth: list[str] = []
        self.variations: list[str] = []
        self.hard: list[str] = []
        self.eligible = [0] * len(VARIATION_NAMES)
        self.applied = [0] * len(VARIATION_NAMES)
        self.ident = [0, 0, 0, 0]
        self.stats: Counter[str] = Counter()
        self.type_counts: dict[tuple[str, str], int] = {}
        self.kind_counts: dict[str, int] = {}
        self.role_counts: dict[str, int] = {}
        self.tag = f"{block:05d}"
        self.next_addr = [block * 10_000_000]

    # output ----------------------------------------------------------------------------
    def _emit(self, f: File, rtype: str, ref: str, dataset: str, handling: str, data: dict[str, Any],
              update: str | None = None) -> None:
        """Write an upsert.  ``update`` names a later upsert of a record already sent (it
        goes after the block's first upserts, and is counted as that kind of update)."""
        line = _dumps({"type": rtype, "ref": ref, "dataset": dataset, "handling": handling, "data": data})
        if b"%" in line:  # the parent fills in sequences with bytes % (...)
            line = line.replace(b"%", b"%%")
        k = (rtype, dataset)
        tc = self.type_counts
        tc[k] = tc.get(k, 0) + 1
        if update is not None:
            f.later.append(_MID + line + _END)
            self.stats["update:" + update] += 1
            return
        f.out.append(_MID + line + _END)
        if rtype == "event":
            kc = self.kind_counts
            kind = data["kind"]
            kc[kind] = kc.get(kind, 0) + 1

    def _delete(self, f: File, rtype: str, ref: str) -> None:
        """Withdraw a record sent earlier in this block (after the block's first upserts)."""
        f.later.append(f'","op":"delete","record":{{"type":"{rtype}","ref":"{ref}"}}}}\n'.encode())
        k = (rtype, "")
        self.type_counts[k] = self.type_counts.get(k, 0) + 1
        self.stats["delete:" + rtype] += 1

    def _link(self, f: File, from_ref: str, to_type: str, to_ref: str, role: str, dataset: str,
              handling: str = _OS, valid_from: str | None = None, from_type: str = "person") -> str:
        # Links are the commonest record and have a fixed shape of plain ASCII values,
        # so they are written directly rather than through a dict and orjson.
        f.n_k += 1
        ref = f"K{self.tag}{f.n_k:06d}"
        vf = f',"valid_from":"{valid_from}"' if valid_from else ""
        f.out.append(
            f'","op":"upsert","record":{{"type":"link","ref":"{ref}","dataset":"{dataset}",'
            f'"handling":"{handling}","data":{{"from":{{"type":"{from_type}","ref":"{from_ref}"}},'
            f'"to":{{"type":"{to_type}","ref":"{to_ref}"}},"role":"{role}"{vf}}}}}}}\n'.encode()
        )
        k = ("link", dataset)
        tc = self.type_counts
        tc[k] = tc.get(k, 0) + 1
        rc = self.role_counts
        rc[role] = rc.get(role, 0) + 1
        return ref

    def _event_ref(self, f: File) -> str:
        f.n_e += 1
        return f"E{self.tag}{f.n_e:06d}"

    # dates ----------------------------------------------------------------------------
    @staticmethod
    def _event_window(tp: TruePerson) -> tuple[int, int] | None:
        lo = max(EVENT_START, tp.dob.toordinal() + 3653)  # ten years old
        return (lo, EVENT_END) if lo < EVENT_END else None

    def _when(self, window: tuple[int, int]) -> tuple[str, str, int]:
        rnd = self.rng.random
        d = date.fromordinal(window[0] + int(rnd() * (window[1] - window[0] + 1)))
        day = d.isoformat()
        minute = int(rnd() * 1440)
        return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z", day, d.year
    # rendering ---------------------------------------------------------------------------
    def _render(self) -> dict[str, Any]:
        plan = self.plan
        t_block = plan.t0 + self.block * plan.window
        w = plan.window
        files = []
        ts = _timestamp
        for key, f in self.files.items():
            prefix = (b'{"updategram":"1","force":"' + key[0].encode() + b'","source":"' + key[1].encode()
                      + b'","sequence":%d,"issued_at":"')
            out = f.out + f.later if f.later else f.out
            c = len(out)
            parts = [prefix] * (3 * c)
            parts[1::3] = [ts(t_block + w * i // c) for i in range(c)]
            parts[2::3] = out
            files.append((key, c, b"".join(parts)))
        for (rtype, dataset), n in self.type_counts.items():
            self.stats[rtype] += n
            if dataset:  # a delete has none
                self.stats["ds:" + dataset] += n
        for kind, n in self.kind_counts.items():
            self.stats["kind:" + kind] += n
        for role, n in self.role_counts.items():
            self.stats["role:" + role] += n
        self.stats["person_records"] = len(self.truth)
        return {
            "block": self.block,
            "files": files,
            "truth": "".join(self.truth).encode(),
            "variations": "".join(self.variations).encode(),
            "hard": "".join(self.hard).encode(),
            "stats": dict(self.stats),
            "eligible": self.eligible,
            "applied": self.applied,
            "ident": self.ident,
        }

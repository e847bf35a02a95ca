"""Clusters and national person ids.

A cluster is a connected component of accepted links: first every ``same`` judgement,
then the model's pairs at or above the threshold, strongest first.  A link is refused
(and sent for review) when it would put two records judged ``not-same`` in one
component, or two different PNC IDs: so a not-same judgement propagates transitively
(A != B and B = C means A != C) and a judgement always overrides the model.  It is also
refused when the two components hold records that cannot be one person (see
:func:`conflict`: far-apart dates of birth, different sexes, twins) unless they share a
PNC ID or CRO number: a chain of individually plausible links must not join a father
to his son.

Ids pass from one run to the next by overlap: each old person id goes to the new
cluster holding most of its records (greedy, largest overlap first), so adding an
unrelated record changes no id.  Merges, splits, new ids and retired ids are events
for the append-only identity log.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from .comparisons import COMPARISONS
from .model import full_name_key
from .models import Verdict
from .names import family_groups, given_groups

Row = Mapping[str, Any]
# Dates of birth further apart than this (and not a keying slip of the year) are two people.
MAX_DOB_GAP_DAYS = 731
# Adult heights further apart than this are two people (measurements wobble a few cm;
# children grow, so only for people born at least ADULT_AGE years ago).
MAX_HEIGHT_GAP_CM = 12
ADULT_AGE = 25
_FORENAME = next(c for c in COMPARISONS if c.name == "forename")
# First names that are not the same name (exact, nickname, keying slip, swapped): a shared
# middle name does not make twins one person.  A forename found among the other record's
# names at the "swapped" level is the same name only when both names cross (a name swap);
# one name crossing alone ("Kaur Jasbir" against "Harpreet Kaur") is a different first name.
_FORENAME_DIFFERENT = {i for i, lv in enumerate(_FORENAME.levels) if lv.label in ("another recorded given name", "else")}
_FORENAME_SWAPPED = next(i for i, lv in enumerate(_FORENAME.levels) if lv.label.startswith("swapped"))

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_person_id(taken: set[str] | None = None) -> str:
    while True:
        pid = "NP-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        if taken is None or pid not in taken:
            return pid


@lru_cache(maxsize=100_000)
def _ordinal(iso: str) -> int | None:
    try:
        return date.fromisoformat(iso).toordinal()
    except ValueError:
        return None


def _year_slip(a: str, b: str) -> bool:
    """Same day and month, and the year's last two digits swapped (1969 / 1996)."""
    return a[4:] == b[4:] and a[:2] == b[:2] and a[2] == b[3] and a[3] == b[2]


def _dobs_compatible(x: Row, y: Row) -> bool:
    xs, ys = x.get("dobs") or [], y.get("dobs") or []
    if not xs or not ys:
        return True
    for a in xs:
        for b in ys:
            oa, ob = _ordinal(a), _ordinal(b)
            if oa is None or ob is None or abs(oa - ob) <= MAX_DOB_GAP_DAYS or _year_slip(a, b):
                return True
    return False


def _shared(xs: Iterable[Row], ys: Iterable[Row], col: str) -> bool:
    a = {x.get(col) for x in xs} - {None}
    return bool(a) and not a.isdisjoint({y.get(col) for y in ys})


def _adult(x: Row) -> bool:
    return bool(x.get("dob_y")) and x["dob_y"] <= date.today().year - ADULT_AGE


def _swapped(x: Row, y: Row) -> bool:
    """Forename and surname the other way round (a middle name shared as well can put the
    pair at "another recorded given name", before the forename's "swapped" level)."""
    return bool(x.get("fn") and x.get("fn") == y.get("sn") and x.get("sn") and x.get("sn") == y.get("fn"))


def _related(a: str | None, b: str | None, x: Row, y: Row) -> bool:
    """Names ``a`` (of record x) and ``b`` (of y) that may be one name written two ways:
    two keying slips apart at most (a transposition is one), in one variant group (given or
    family), one part of the other ("fowler", "fowlermarsh"), or either among the other
    record's recorded names (a maiden name, an alias) besides the name the two share.
    Lenient on purpose: it only decides whether a pair is *refused* as twins."""
    if not a or not b:
        return True  # nothing to tell them apart
    if DamerauLevenshtein.distance(a, b, score_cutoff=3) <= 2:
        return True
    if not set(given_groups(a)).isdisjoint(given_groups(b)) or not set(family_groups(a)).isdisjoint(family_groups(b)):
        return True
    if min(len(a), len(b)) >= 3 and (a in b or b in a):
        return True
    crossing = {x.get("fn"), x.get("sn")} & {y.get("fn"), y.get("sn")}
    others_x = {*(x.get("given_all") or ()), *(x.get("family_all") or ())} - crossing
    others_y = {*(y.get("given_all") or ()), *(y.get("family_all") or ())} - crossing
    return a in others_y or b in others_x


def _different_first_names(x: Row, y: Row) -> bool:
    level = _FORENAME.level_of(x, y)  # type: ignore[arg-type]
    if level in _FORENAME_DIFFERENT:
        return not _swapped(x, y)
    if level != _FORENAME_SWAPPED or _swapped(x, y):
        return False
    # One name crosses: the two names that do not cross must be one name too.
    if x.get("fn") == y.get("sn"):
        return not _related(x.get("sn"), y.get("fn"), x, y)
    return not _related(x.get("fn"), y.get("sn"), x, y)


def _mark_in_common(x: Row, y: Row) -> bool:
    """The two records list a scar, mark or tattoo in common (folded text)."""
    return bool(x.get("marks") and y.get("marks") and not set(x["marks"]).isdisjoint(y["marks"]))


def record_conflict(x: Row, y: Row) -> str | None:
    """Why two records cannot be one person whatever the other fields say, or None."""
    if not _dobs_compatible(x, y):
        return "dates of birth more than two years apart"
    if x.get("sex") and y.get("sex") and x["sex"] != y["sex"]:
        return "different sexes"
    if (x.get("dob") and x.get("dob") == y.get("dob") and x.get("addr") and x.get("addr") == y.get("addr")
            and x.get("fn") and y.get("fn") and _different_first_names(x, y) and not _mark_in_common(x, y)):
        return "same date of birth and address, different forenames (twins?)"
    if (x.get("height") and y.get("height") and abs(x["height"] - y["height"]) > MAX_HEIGHT_GAP_CM
            and (_adult(x) or _adult(y))):
        return f"adult heights more than {MAX_HEIGHT_GAP_CM} cm apart"
    return None


def conflict(xs: list[Row], ys: list[Row]) -> str | None:
    """Why two groups of records (two clusters, or a record and a cluster) cannot be one
    person, or None.  A shared PNC ID or CRO number overrides: it is strong evidence."""
    if not xs or not ys or _shared(xs, ys, "pnc") or _shared(xs, ys, "cro"):
        return None
    for x in xs:
        for y in ys:
            reason = record_conflict(x, y)
            if reason:
                return reason
    return None


def _in_common(x: Row, y: Row) -> bool:
    """Something besides names, date of birth and description that points at one person:
    a PNC ID, a CRO number, an address or a mark."""
    return any(_shared([x], [y], col) for col in ("pnc", "cro", "addr")) or _mark_in_common(x, y)


def unsupported_undated(x: Row, y: Row, shared_names: Collection[str] | None) -> bool:
    """True when one of the two records has no date of birth, its full name is carried by
    several people (``shared_names``, from the model: at national scale, most common
    names), and the two have nothing else in common (:func:`_in_common`).  Such a link is
    refused: the name alone cannot say which of those people the record is."""
    if not shared_names:
        return False
    undated = [r for r in (x, y) if not r.get("dob")]
    if not undated or not any((k := full_name_key(r)) is not None and k in shared_names for r in undated):
        return False
    return not _in_common(x, y)


UNSUPPORTED_UNDATED = "no date of birth, a name several people carry, and nothing else in common"


def ambiguous(x: Row, neighbours: list[Row]) -> bool:
    """True when ``x`` matches two records that cannot be one person (and conflicts with
    neither): a record without a date of birth that fits both father and son.  Such a
    record is linked to neither, and goes for review."""
    if not any(x.get(c) for c in ("pnc", "cro")):
        fits = [n for n in neighbours if record_conflict(x, n) is None]
    else:
        fits = [n for n in neighbours if not (x.get("pnc") and x.get("pnc") == n.get("pnc"))
                and not (x.get("cro") and x.get("cro") == n.get("cro")) and record_conflict(x, n) is None]
    for i, y in enumerate(fits):
        for z in fits[i + 1:]:
            if conflict([y], [z]):
                return True
    return False


@dataclass
class Refusal:
    rkey_a: str
    rkey_b: str
    weight: float
    reason: str


@dataclass
class Clustering:
    members: dict[str, list[str]]  # root -> sorted rkeys
    refused: list[Refusal] = field(default_factory=list)


_NONE: frozenset[str] = frozenset()


class _Components:
    def __init__(self, rkeys: Iterable[str], pnc: Mapping[str, str | None],
                 cannot: Mapping[str, set[str]], features: Mapping[str, Row] | None = None) -> None:
        self.features = features or {}
        self._conflicts: dict[tuple[str, int, str, int], str | None] = {}
        keys = list(rkeys)
        self.parent: dict[str, str] = {r: r for r in keys}
        self.members: dict[str, set[str]] = {r: {r} for r in keys}
        # Kept only for components that have one (most records have no PNC ID or judgement).
        self.pncs: dict[str, set[str]] = {r: {p} for r in keys if (p := pnc.get(r))}
        self.cannot: dict[str, set[str]] = {r: set(cannot[r]) for r in keys if r in cannot}

    def find(self, r: str) -> str:
        root = r
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[r] != root:
            self.parent[r], r = root, self.parent[r]
        return root

    def why_not(self, a: str, b: str, *, check_pnc: bool = True) -> str | None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        if self.cannot and (not self.cannot.get(big, _NONE).isdisjoint(self.members[small])
                            or not self.cannot.get(small, _NONE).isdisjoint(self.members[big])):
            return "judged not-same"
        pa, pb = self.pncs.get(ra, _NONE), self.pncs.get(rb, _NONE)
        if check_pnc and pa and pb and pa.isdisjoint(pb):
            return "different PNC IDs"
        if check_pnc and self.features:
            # Cached per pair of components as they are now: many links between the same two
            # big clusters must not each compare every record with every record.
            key = (ra, len(self.members[ra]), rb, len(self.members[rb]))
            if key not in self._conflicts:
                f = self.features
                self._conflicts[key] = conflict([f[r] for r in self.members[ra] if r in f],
                                                [f[r] for r in self.members[rb] if r in f])
            return self._conflicts[key]
        return None

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        for sets in (self.pncs, self.cannot):
            if rb in sets:
                sets.setdefault(ra, set()).update(sets.pop(rb))


def cluster(rkeys: Iterable[str], pairs: Iterable[tuple[str, str, float]], threshold: float,
            verdicts: Mapping[tuple[str, str], str], pnc: Mapping[str, str | None],
            features: Mapping[str, Row] | None = None, *, shared_names: Collection[str] | None = None) -> Clustering:
    """Connected components under the rules in the module docstring.  ``verdicts`` maps
    (rkey_low, rkey_high) to the latest judgement on that pair; with ``features`` (rkey ->
    feature row) the cluster-level constraints of :func:`conflict` apply too, and with
    ``shared_names`` (the model's) the rule of :func:`unsupported_undated`."""
    everyone = list(rkeys)
    strong = [p for p in pairs if p[2] >= threshold]
    # Only records with a link (a strong pair or a same judgement) can join anything; the
    # rest are clusters of one, and need no place in the union-find.
    linked = {r for a, b, _w in strong for r in (a, b)}
    linked.update(r for (a, b), v in verdicts.items() if v == Verdict.SAME for r in (a, b))
    present = linked.intersection(everyone)
    cannot: dict[str, set[str]] = {}
    for (a, b), v in verdicts.items():
        if v == Verdict.NOT_SAME:
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
    comps = _Components(sorted(present), pnc, cannot, features)
    refused: list[Refusal] = []
    for (a, b), v in sorted(verdicts.items()):
        if v == Verdict.SAME and a in comps.parent and b in comps.parent:
            reason = comps.why_not(a, b, check_pnc=False)  # a person's say-so beats a PNC ID
            if reason:
                refused.append(Refusal(a, b, float("inf"), f"same judgement contradicts: {reason}"))
            else:
                comps.union(a, b)
    unsure: set[str] = set()
    if features:
        near: dict[str, list[str]] = {}
        for a, b, _w in strong:
            near.setdefault(a, []).append(b)
            near.setdefault(b, []).append(a)
        unsure = {r for r, ns in near.items() if len(ns) > 1 and r in features
                  and ambiguous(features[r], [features[n] for n in ns if n in features])}
    for a, b, w in sorted(strong, key=lambda p: (-p[2], p[0], p[1])):
        verdict = verdicts.get((a, b)) if verdicts else None
        if verdict == Verdict.NOT_SAME:
            continue
        if verdict != Verdict.SAME and (a in unsure or b in unsure):
            refused.append(Refusal(a, b, w, "ambiguous: matches two records that cannot be one person"))
            continue
        if (verdict != "same" and shared_names and features and a in features and b in features
                and unsupported_undated(features[a], features[b], shared_names)):
            refused.append(Refusal(a, b, w, UNSUPPORTED_UNDATED))
            continue
        reason = comps.why_not(a, b)
        if reason:
            refused.append(Refusal(a, b, w, reason))
        else:
            comps.union(a, b)
    members = {root: sorted(m) for root, m in comps.members.items()}
    members.update((r, [r]) for r in everyone if r not in present)
    return Clustering(members, refused)


@dataclass
class IdentityEvent:
    kind: str  # new | merge | split | retire
    person_ids: list[str]
    rkeys: list[str]


def succeed(old: Mapping[str, str], clusters: Iterable[list[str]], taken: set[str] | None = None
            ) -> tuple[dict[str, str], list[IdentityEvent]]:
    """Give each new cluster a person id: the old id with which it overlaps most (old ids
    claim clusters greedily, largest overlap first), or a fresh one.  Returns rkey ->
    person id and the identity events."""
    groups = [list(c) for c in clusters]
    taken = set(taken or ()) | set(old.values())
    overlap: Counter[tuple[str, int]] = Counter()
    for i, members in enumerate(groups):
        for r in members:
            pid = old.get(r)
            if pid is not None:
                overlap[(pid, i)] += 1
    sources: dict[int, list[str]] = {}  # group -> the old ids of its records
    targets: dict[str, list[int]] = {}  # old id -> the groups its records went to
    for (pid, i) in overlap:
        sources.setdefault(i, []).append(pid)
        targets.setdefault(pid, []).append(i)
    chosen: dict[int, str] = {}
    placed: set[str] = set()
    # An old id all of whose records went to one group that holds no other old id takes it:
    # the greedy order cannot change that, so only contested claims are sorted.
    contested = []
    for key, n in overlap.items():
        pid, i = key
        if len(targets[pid]) == 1 and len(sources[i]) == 1:
            chosen[i] = pid
            placed.add(pid)
        else:
            contested.append((key, n))
    for (pid, i), _n in sorted(contested, key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if pid not in placed and i not in chosen:
            chosen[i] = pid
            placed.add(pid)
    assign: dict[str, str] = {}
    events: list[IdentityEvent] = []
    for i, members in enumerate(groups):
        pid = chosen.get(i)
        if pid is None:
            pid = new_person_id(taken)
            taken.add(pid)
        for r in members:
            assign[r] = pid
        srcs = sources.get(i)
        if not srcs:
            events.append(IdentityEvent("new", [pid], sorted(members)))
        elif len(srcs) >= 2:
            events.append(IdentityEvent("merge", [pid, *sorted(set(srcs) - {pid})], sorted(members)))
    for pid, idxs in sorted(targets.items()):
        if len(idxs) > 1:
            heirs = sorted({assign[groups[i][0]] for i in idxs} - {pid})
            rkeys = sorted(r for i in idxs for r in groups[i] if old.get(r) == pid)
            events.append(IdentityEvent("split", [pid, *heirs], rkeys))
    absorbed = {p for e in events if e.kind == "merge" for p in e.person_ids[1:]}
    gone = set(old.values()) - placed - absorbed
    if gone:
        by_pid: dict[str, list[str]] = {}
        for r, p in old.items():
            if p in gone:
                by_pid.setdefault(p, []).append(r)
        events.extend(IdentityEvent("retire", [p], sorted(by_pid[p])) for p in sorted(gone))
    return assign, events

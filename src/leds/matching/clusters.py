"""Clusters and national person ids.

A cluster is a connected component of accepted links: first every ``same`` judgement,
then the model's pairs at or above the threshold, strongest first.  A link is refused
(and sent for review) when it would put two records judged ``not-same`` in one
component, or two different PNC IDs: so a not-same judgement propagates transitively
(A != B and B = C means A != C) and a judgement always overrides the model.

Ids pass from one run to the next by overlap: each old person id goes to the new
cluster holding most of its records (greedy, largest overlap first), so adding an
unrelated record changes no id.  Merges, splits, new ids and retired ids are events
for the append-only identity log.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_person_id(taken: set[str] | None = None) -> str:
    while True:
        pid = "NP-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        if taken is None or pid not in taken:
            return pid


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


class _Components:
    def __init__(self, rkeys: Iterable[str], pnc: Mapping[str, str | None],
                 cannot: Mapping[str, set[str]]) -> None:
        self.parent: dict[str, str] = {}
        self.members: dict[str, set[str]] = {}
        self.pncs: dict[str, set[str]] = {}
        self.cannot: dict[str, set[str]] = {}
        for r in rkeys:
            self.parent[r] = r
            self.members[r] = {r}
            p = pnc.get(r)
            self.pncs[r] = {p} if p else set()
            self.cannot[r] = set(cannot.get(r, ()))

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
        if not self.cannot[big].isdisjoint(self.members[small]) or \
                not self.cannot[small].isdisjoint(self.members[big]):
            return "judged not-same"
        pa, pb = self.pncs[ra], self.pncs[rb]
        if check_pnc and pa and pb and pa.isdisjoint(pb):
            return "different PNC IDs"
        return None

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.pncs[ra] |= self.pncs.pop(rb)
        self.cannot[ra] |= self.cannot.pop(rb)


def cluster(rkeys: Iterable[str], pairs: Iterable[tuple[str, str, float]], threshold: float,
            verdicts: Mapping[tuple[str, str], str], pnc: Mapping[str, str | None]) -> Clustering:
    """Connected components under the rules in the module docstring.  ``verdicts`` maps
    (rkey_low, rkey_high) to the latest judgement on that pair."""
    cannot: dict[str, set[str]] = {}
    for (a, b), v in verdicts.items():
        if v == "not-same":
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
    comps = _Components(rkeys, pnc, cannot)
    refused: list[Refusal] = []
    for (a, b), v in sorted(verdicts.items()):
        if v == "same" and a in comps.parent and b in comps.parent:
            reason = comps.why_not(a, b, check_pnc=False)  # a person's say-so beats a PNC ID
            if reason:
                refused.append(Refusal(a, b, float("inf"), f"same judgement contradicts: {reason}"))
            else:
                comps.union(a, b)
    for a, b, w in sorted((p for p in pairs if p[2] >= threshold), key=lambda p: (-p[2], p[0], p[1])):
        if verdicts.get((a, b)) == "not-same":
            continue
        reason = comps.why_not(a, b)
        if reason:
            refused.append(Refusal(a, b, w, reason))
        else:
            comps.union(a, b)
    return Clustering({root: sorted(m) for root, m in comps.members.items()}, refused)


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
    chosen: dict[int, str] = {}
    placed: set[str] = set()
    for (pid, i), _n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if pid not in placed and i not in chosen:
            chosen[i] = pid
            placed.add(pid)
    assign: dict[str, str] = {}
    events: list[IdentityEvent] = []
    new_ids: dict[int, str] = {}
    for i, members in enumerate(groups):
        pid = chosen.get(i)
        if pid is None:
            pid = new_person_id(taken)
            taken.add(pid)
            new_ids[i] = pid
        for r in members:
            assign[r] = pid
    # Events, read off the overlap table.
    sources: dict[int, list[str]] = {}
    targets: dict[str, list[int]] = {}
    for (pid, i) in overlap:
        sources.setdefault(i, []).append(pid)
        targets.setdefault(pid, []).append(i)
    for i, members in enumerate(groups):
        pid = assign[members[0]]
        olds = sorted(set(sources.get(i, [])) - {pid})
        if i in new_ids and not sources.get(i):
            events.append(IdentityEvent("new", [pid], sorted(members)))
        elif len(set(sources.get(i, []))) >= 2:
            events.append(IdentityEvent("merge", [pid, *olds], sorted(members)))
    for pid, idxs in sorted(targets.items()):
        if len(idxs) > 1:
            heirs = sorted({assign[groups[i][0]] for i in idxs} - {pid})
            rkeys = sorted(r for i in idxs for r in groups[i] if old.get(r) == pid)
            events.append(IdentityEvent("split", [pid, *heirs], rkeys))
    absorbed = {p for e in events if e.kind == "merge" for p in e.person_ids[1:]}
    gone = sorted(set(old.values()) - placed - absorbed)
    if gone:
        by_pid: dict[str, list[str]] = {}
        for r, p in old.items():
            if p in gone:
                by_pid.setdefault(p, []).append(r)
        events.extend(IdentityEvent("retire", [p], sorted(by_pid[p])) for p in gone)
    return assign, events

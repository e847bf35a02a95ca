"""An accepted updategram, in the shape projectors consume.

Built either from a freshly validated line or from a log entry (its clear
envelope columns and its decrypted data) during ``leds rebuild``: both paths
produce the same value, so projections cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from leds.standard import Updategram


def make_rkey(force: str, source: str, rtype: str, ref: str) -> str:
    return f"{force}|{source}|{rtype}|{ref}"


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@dataclass(slots=True)
class Accepted:
    force: str
    source: str
    sequence: int
    rkey: str
    rtype: str
    ref: str
    op: str
    dataset: str | None
    handling: str | None
    issued_at: str
    data_json: str | None  # canonical JSON of the record's data; None for a delete
    sharing: str | None = None  # "force" or "national"; None for a delete
    # True when the record key had never been received before this batch, so
    # projectors need not look for its earlier state.
    new_record: bool = False
    # Set by the records projector (which runs first): this item is now the record's
    # current state, so later projectors need not look it up again.
    current: bool = False

    @property
    def data(self) -> dict[str, Any] | None:
        return orjson.loads(self.data_json) if self.data_json is not None else None

    @classmethod
    def from_updategram(cls, ug: Updategram) -> Accepted:
        r = ug.record
        data = r.data.model_dump(mode="json", by_alias=True, exclude_none=True) if r.data is not None else None
        item = cls._build(ug.force, ug.source, ug.sequence, r.type, r.ref, ug.op, r.dataset, r.handling,
                          _iso(ug.issued_at), data)
        if ug.op == "upsert":
            item.sharing = r.sharing or default_sharing(r.dataset)
        return item

    @classmethod
    def _build(cls, force: str, source: str, sequence: int, rtype: str, ref: str, op: str,
               dataset: str | None, handling: str | None, issued_at: str,
               data: dict[str, Any] | None) -> Accepted:
        return cls(force, source, sequence, make_rkey(force, source, rtype, ref), rtype, ref, op,
                   dataset, handling, issued_at, canonical_json(data).decode() if data is not None else None)

    def canonical(self) -> bytes:
        """The whole updategram in canonical form: what the log stores and hashes."""
        record: dict[str, Any] = {"type": self.rtype, "ref": self.ref}
        if self.op == "upsert":
            assert self.data_json is not None, "an upsert always has data"
            record.update(dataset=self.dataset, handling=self.handling, sharing=self.sharing,
                          data=orjson.Fragment(self.data_json))
        return canonical_json({
            "updategram": "1", "force": self.force, "source": self.source, "sequence": self.sequence,
            "issued_at": self.issued_at, "op": self.op, "record": record,
        })

    def refs(self) -> list[tuple[str, str]]:
        """(role, target rkey) for each record this one points at."""
        if self.rtype not in ("marker", "link", "missing_episode") or self.data_json is None:
            return []
        data = orjson.loads(self.data_json)
        if self.rtype != "link":
            pairs = [("subject", data["subject"])]
        else:
            pairs = [("from", data["from"]), ("to", data["to"])]
        return [(role, make_rkey(t.get("force", self.force), t.get("source", self.source), t["type"], t["ref"]))
                for role, t in pairs]


def default_sharing(dataset: str | None) -> str:
    from leds.access.rules import FORCE_ONLY_DATASETS

    return "force" if dataset in FORCE_ONLY_DATASETS else "national"


def _iso(dt: Any) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt.microsecond == 0 else dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

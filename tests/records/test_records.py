"""The record view: a record's provenance and its versions."""

from __future__ import annotations

import pytest

from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import NotFound
from leds.records.service import record_view

from ..callers import lookup
from ..factories import (
    P1,
    john,
    load,
    ug,
)


def test_record_view_has_provenance_and_versions(store: Settings) -> None:
    load(store, [ug(100, john(alias="Johnny"))])
    with get_engine(store).connect() as conn:
        out = record_view(conn, lookup()[0], P1)
        with pytest.raises(NotFound):
            record_view(conn, lookup(force="MPS")[0], "WYP|NICHE-RMS|event|E-3")  # force-only intelligence
    assert [v["sequence"] for v in out["versions"]] == [100, 1]
    assert out["record"]["force"] == "WYP" and out["record"]["data"]["names"][1]["given"] == ["Johnny"]

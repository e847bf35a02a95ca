"""The single view of a person: what each caller may see of it."""

from __future__ import annotations

import pytest

from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import NotFound
from leds.persons.service import person_view

from ..callers import lookup
from ..factories import (
    P1,
)


def test_another_force_does_not_see_force_only_intelligence(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        mine = person_view(conn, lookup(force="WYP")[0], P1)
        theirs = person_view(conn, lookup(force="MPS")[0], P1)
    assert "intelligence" in {e["kind"] for e in mine["timeline"]}
    assert "intelligence" not in {e["kind"] for e in theirs["timeline"]}
    assert "intelligence" not in theirs["counts"]


def test_unknown_person_is_not_found(store: Settings) -> None:
    with get_engine(store).connect() as conn, pytest.raises(NotFound):
        person_view(conn, lookup()[0], "NP-0000000000")

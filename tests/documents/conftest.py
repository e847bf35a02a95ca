"""Fixtures of the documents domain: a collection on a store, its team, files to read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.config import Settings
from leds.db.engine import get_engine
from leds.documents import cases, process
from leds.documents.ingest import Report, ingest

from ..callers import Audit


def member(username: str, role: str = "investigator", vetting: str = "SC") -> tuple[Lookup, Audit]:
    from leds.access import identity

    audit = Audit()
    p = Principal(id=f"user:{username}", roles=frozenset({role}), force="WYP", vetting=vetting,
                  datasets=frozenset(identity.default_datasets([role])))
    return Lookup(p, "investigation", "OP/KESTREL", audit), audit


@pytest.fixture
def collection(settings: Settings) -> cases.Collection:
    with get_engine(settings).begin() as conn:
        return cases.create(conn, "op-kestrel", title="Operation Kestrel", case_ref="OP/KESTREL",
                            handling="OFFICIAL-SENSITIVE", team=["alice"], by="test")


@pytest.fixture
def read_in(settings: Settings, collection: cases.Collection) -> Callable[..., Report]:
    """Ingest paths into the collection (both stages unless words_only)."""

    def run(*paths: Path, words_only: bool = False) -> Report:
        engine = get_engine(settings)
        report = ingest(engine, collection, [str(p) for p in paths])
        if not words_only:
            process.process(engine, collection, settings.home)
        return report

    return run


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder for the files to read (apart from the store's own folder)."""
    p = tmp_path / "files"
    p.mkdir()
    return p

"""``leds.db.fast``: the look-ups' reads on the driver's cursor give what SQLAlchemy gives,
inside the connection's transaction, on both stores."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select

from leds.config import Settings
from leds.db import fast
from leds.db.engine import get_engine, write_transaction
from leds.db.schema import records


def _record(i: int, rtype: str = "person") -> dict[str, object]:
    return {"rkey": f"WYP|S|{rtype}|R{i}", "force": "WYP", "source": "S", "rtype": rtype, "ref": f"R{i}",
            "sequence": i, "deleted": i % 5 == 0, "dataset": "crime", "handling": "official", "sharing": "national",
            "issued_at": f"2026-01-{i % 28 + 1:02d}T00:00:00Z", "data": f'{{"i": {i}}}'}


def test_rows_are_what_sqlalchemy_returns(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(i) for i in range(1, 31)] + [_record(99, "vehicle")])
    stmt = (select(records.c.rkey, records.c.sequence, records.c.deleted, records.c.data)
            .where(records.c.rtype == "person", records.c.deleted.is_(False),
                   records.c.sequence.between(bindparam("lo"), bindparam("hi")))
            .order_by(records.c.rkey).limit(bindparam("limit")))
    for lo, hi, limit in ((1, 30, 100), (5, 12, 3), (40, 50, 10)):
        params = {"lo": lo, "hi": hi, "limit": limit}
        with engine.connect() as conn:
            want = [tuple(r) for r in conn.execute(stmt, params)]
            got = fast.rows(conn, stmt, params)
            assert conn.in_transaction()  # the read ran in the connection's transaction
        assert [(k, s, bool(d), j) for k, s, d, j in got] == [(k, s, bool(d), j) for k, s, d, j in want]
        assert len(got) == {(1, 30, 100): 24, (5, 12, 3): 3, (40, 50, 10): 0}[lo, hi, limit]


def test_a_value_is_bound_not_written_into_the_sql(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(1)])
    stmt = select(records.c.rkey).where(records.c.ref == bindparam("ref"))
    with engine.connect() as conn:
        assert fast.rows(conn, stmt, {"ref": "R1' OR '1'='1"}) == []
        assert fast.rows(conn, stmt, {"ref": "R1"}) == [("WYP|S|person|R1",)]


def test_a_missing_parameter_is_named(sqlite_settings: Settings) -> None:
    stmt = select(records.c.rkey).where(records.c.ref == bindparam("ref"))
    with get_engine(sqlite_settings).connect() as conn, pytest.raises(ValueError, match="'ref'"):
        fast.rows(conn, stmt, {})


def test_reads_in_one_transaction_see_one_snapshot(sqlite_settings: Settings) -> None:
    """A look-up's reads through ``fast`` see the store as of its first read, as reads
    through SQLAlchemy do: a record committed in between is not half-seen."""
    engine = get_engine(sqlite_settings)
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(1)])
    count = select(records.c.rkey)
    with engine.connect() as reader:
        assert len(fast.rows(reader, count)) == 1
        with engine.connect() as writer, write_transaction(writer):
            writer.execute(insert(records), [_record(2)])
        assert len(fast.rows(reader, count)) == 1
    with engine.connect() as conn:
        assert len(fast.rows(conn, count)) == 2


def test_first_is_a_row_by_column_name_or_none(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(1), _record(2)])
    stmt = (select(records.c.rkey, records.c.ref.label("reference"), records.c.deleted)
            .where(records.c.ref == bindparam("ref")))
    with engine.connect() as conn:
        assert fast.first(conn, stmt, {"ref": "R2"}) == {"rkey": "WYP|S|person|R2", "reference": "R2", "deleted": False}
        assert fast.first(conn, stmt, {"ref": "R3"}) is None


def test_an_expanding_parameter_is_refused_not_sent_half_written(sqlite_settings: Settings) -> None:
    stmt = select(records.c.rkey).where(records.c.ref.in_(bindparam("refs", expanding=True)))
    with get_engine(sqlite_settings).connect() as conn, pytest.raises(ValueError, match="expanding"):
        fast.rows(conn, stmt, {"refs": ["R1", "R2"]})


def test_first_alone_reads_without_holding_a_transaction(settings: Settings) -> None:
    """The caller's token is read on its own: the same row as :func:`fast.first`, values bound,
    and the connection goes back to the pool with no transaction left open (a writer can
    take the lock straight after)."""
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(1), _record(2)])
    stmt = (select(records.c.rkey, records.c.ref.label("reference"), records.c.deleted)
            .where(records.c.ref == bindparam("ref")))
    assert fast.first_alone(engine, stmt, {"ref": "R2"}) == {"rkey": "WYP|S|person|R2", "reference": "R2",
                                                             "deleted": False}
    assert fast.first_alone(engine, stmt, {"ref": "R2' OR '1'='1"}) is None
    if engine.dialect.name == "sqlite":
        with pytest.raises(ValueError, match="'ref'"):
            fast.first_alone(engine, stmt, {})
        raw = engine.raw_connection()
        try:
            assert not raw.driver_connection.in_transaction  # type: ignore[union-attr]
        finally:
            raw.close()
    with engine.connect() as conn, write_transaction(conn):
        conn.execute(insert(records), [_record(3)])
    assert fast.first_alone(engine, stmt, {"ref": "R3"}) is not None

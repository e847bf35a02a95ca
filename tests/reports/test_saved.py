from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import AccessDenied, Principal
from leds.config import Settings
from leds.db.engine import get_engine, write_transaction
from leds.opendata.importer import import_file
from leds.reports import saved

from ..callers import Audit, lookup

MET = Path("/work/shared/data/police-uk/2022-08-metropolitan-stop-and-search.csv")
BY_ETHNICITY = ("SELECT officer_ethnicity, count(*) AS n FROM stop_search WHERE outcome = $outcome "
                "GROUP BY ALL ORDER BY n DESC")


@pytest.mark.parametrize("query", [
    "DELETE FROM stop_search",
    "CREATE TABLE x AS SELECT 1",
    "SELECT 1; SELECT 2",
    "ATTACH '/tmp/x.db' AS x",
    "COPY stop_search TO '/tmp/out.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM 'data.csv'",
])
def test_a_query_that_is_not_a_read_of_the_published_relations_is_refused(query: str) -> None:
    p = lookup("national_data_office_analyst")[0].principal
    with pytest.raises(saved.QueryRefused):
        saved.check_query(query, p)


def test_a_query_reaching_data_the_user_may_not_see_is_refused() -> None:
    analyst = lookup("national_data_office_analyst")[0].principal
    with pytest.raises(AccessDenied, match="record_counts"):
        saved.check_query("WITH r AS (SELECT * FROM record_counts) SELECT count(*) FROM r", analyst)
    assert saved.check_query("WITH s AS (SELECT * FROM stop_search) SELECT count(*) FROM s", analyst) == \
        ["stop_search"]


def test_records_in_a_report_are_only_those_the_user_may_see(store: Settings) -> None:
    with get_engine(store).connect() as conn:
        wyp, _ = lookup("investigator", "WYP")
        a = saved.run_query(conn, wyp, "SELECT key, records FROM record_counts WHERE facet = 'force' ORDER BY 1")
        rv = Lookup(Principal(id="user:rv", roles=frozenset({"investigator"}), force="WYP", vetting="RV",
                              datasets=frozenset(identity.default_datasets(["investigator"]))),
                    "audit", None, Audit())
        b = saved.run_query(conn, rv, "SELECT count(*) FROM record_counts")
    assert b["rows"][0][0] < sum(n for _, n in a["rows"])  # OFFICIAL-SENSITIVE records hidden from RV vetting


def test_a_saved_report_runs_with_its_parameters_and_is_delivered_to_the_inbox(settings: Settings) -> None:
    engine = get_engine(settings)
    import_file(engine, MET)
    user = identity.create_user(engine, "analyst", roles=["national_data_office_analyst"], force="WYP",
                                vetting="SC", password="correct horse battery")
    audit = Audit()
    lk = Lookup(Principal.from_user(user), "audit", None, audit)
    with engine.connect() as conn, write_transaction(conn):
        rep = saved.save(conn, lk.principal, name="Arrests by ethnicity", query=BY_ETHNICITY,
                         params={"outcome": "Arrest"}, schedule="weekly")
    out = saved.run_saved(engine, lk, rep["id"])
    assert out["status"] == "ok"
    assert sum(n for _, n in out["rows"]) == 2564  # every arrest in the month
    assert [e.detail["kind"] for e in audit if e.action == "consultation"] == ["report"]
    assert out["delivered"]
    from leds.alerts.tables import alert_inbox

    with engine.connect() as conn:
        inbox = conn.execute(select(alert_inbox.c.owner, alert_inbox.c.kind)).all()
        assert [tuple(r) for r in inbox] == [("analyst", "report")]
        # Scheduled: due a week later, and run as its owner by run_due.
        assert saved.due(conn) == []
        assert [r["id"] for r in saved.due(conn, "2999-01-01T00:00:00Z")] == [rep["id"]]
    done = saved.run_due(engine, lambda name: lk if name == "analyst" else None, "2999-01-01T00:00:00Z")
    assert done == [{"id": rep["id"], "name": "Arrests by ethnicity", "status": "ok", "delivered": True}]


def test_another_users_report_is_not_found(settings: Settings) -> None:
    engine = get_engine(settings)
    a, _ = lookup("national_data_office_analyst", "WYP")
    b, _ = lookup("national_data_office_analyst", "MPS")
    with engine.connect() as conn, write_transaction(conn):
        rep = saved.save(conn, a.principal, name="n", query="SELECT 1 AS one", params={})
        from leds.errors import NotFound

        with pytest.raises(NotFound):
            saved.get(conn, b.principal, rep["id"])


def test_a_runaway_query_is_stopped(store: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saved, "TIME_LIMIT_S", 0.5)
    lk, _ = lookup("national_data_office_analyst")
    import_file(get_engine(store), MET)
    with get_engine(store).connect() as conn, pytest.raises(saved.QueryRefused, match="was stopped"):
        saved.run_query(conn, lk, "SELECT count(*) FROM stop_search a, stop_search b, stop_search c "
                                  "WHERE a.lat + b.lat + c.lat > 1000")

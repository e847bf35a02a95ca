"""The s62 audit trail: hash chain, signed checkpoints, tamper detection on real
SQLite and PostgreSQL, the group-commit writer, auditor queries and misuse signals."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import leds.audit.chain as chain_mod
from leds.audit import (
    AuditError,
    AuditEvent,
    AuditWriter,
    append,
    checkpoint,
    close_writers,
    disclosures_to,
    get_writer,
    looked_at_by,
    verify,
    who_looked_at,
)
from leds.audit import signals as sig
from leds.audit.chain import entry_hash
from leds.audit.keys import get_signer, key_path, public_pem
from leds.cli import app
from leds.config import Settings
from leds.db.engine import get_engine, write_transaction

from ..conftest import env_for
from ..factories import P1, P2


def consult(actor: str = "officer-1", *subjects: str, kind: str | None = None, **detail: object) -> AuditEvent:
    d = dict(detail)
    if kind:
        d["kind"] = kind
    return AuditEvent("consultation", actor, purpose="investigation", subjects=subjects or (P1,), detail=d)


def fill(engine: Engine, settings: Settings, n: int, *, batch: int = 5, every: int = 10) -> None:
    signer = get_signer(settings)
    for start in range(0, n, batch):
        with engine.connect() as conn, write_transaction(conn):
            append(conn, [consult(f"officer-{i % 3}", P1, f"NP-{i}") for i in range(start, min(n, start + batch))],
                   signer=signer, checkpoint_every=every)


def sql(engine: Engine, statement: str, **params: object) -> list:
    with engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result) if result.returns_rows else []


# --------------------------------------------------------------------------------- the chain


def test_appended_entries_form_one_chain_that_verifies(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        ids = append(conn, [consult(), AuditEvent("disclosure", "officer-2", purpose="safeguarding", subjects=(P2,),
                                                  detail={"partner": "Leeds City Council"})], settings=settings)
    with engine.connect() as conn, write_transaction(conn):
        ids += append(conn, [AuditEvent("erasure", "system", reason="retention period ended", subjects=(P1,))],
                      settings=settings)
    assert ids == [1, 2, 3]
    rows = sql(engine, "SELECT id, prev_hash, hash FROM audit_entries ORDER BY id")
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    report = verify(engine, settings)
    assert report.ok, report.problems
    assert (report.entries, report.last_entry_id, report.last_hash) == (3, 3, rows[-1].hash)
    assert report.unsigned_tail == 3


def test_an_entry_hash_can_be_recomputed_with_the_standard_library_alone(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [AuditEvent("consultation", "officer-1", purpose="investigation", reason="Op Nightjar – café",
                                 subjects=(P1, "NP-7"), detail={"query": {"surname": "Ó Briain"}, "count": 2})])
    row = sql(engine, "SELECT * FROM audit_entries")[0]._mapping
    fields = {k: row[k] for k in ("id", "at", "action", "actor", "purpose", "reason", "subjects", "detail",
                                  "prev_hash")}
    recipe = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(recipe).hexdigest() == row["hash"]
    assert row["at"].endswith("Z") and len(row["at"]) == len("2026-11-21T18:00:00.123456Z")


@pytest.mark.parametrize("event, message", [
    (AuditEvent("peeking", "officer-1"), "unknown action"),
    (AuditEvent("consultation", "officer-1", subjects=(P1,)), "purpose"),
    (AuditEvent("disclosure", "officer-1", purpose="safeguarding", subjects=(P1,)), "partner"),
    (AuditEvent("consultation", " ", purpose="investigation"), "actor must not be empty"),
    (AuditEvent("consultation", "officer-1", purpose="investigation", detail={"at": object()}), "JSON"),
    (AuditEvent("consultation", "officer-1", purpose="investigation", subjects=P1), "tuple"),  # type: ignore[arg-type]
])
def test_a_malformed_event_is_refused_with_its_reason_and_nothing_is_written(
        sqlite_settings: Settings, event: AuditEvent, message: str) -> None:
    engine = get_engine(sqlite_settings)
    with pytest.raises(ValueError, match=message), engine.connect() as conn, write_transaction(conn):
        append(conn, [consult(), event])
    assert sql(engine, "SELECT count(*) FROM audit_entries")[0][0] == 0


def test_append_in_a_transaction_that_rolls_back_leaves_no_entry(settings: Settings) -> None:
    engine = get_engine(settings)
    fill(engine, settings, 3)
    with pytest.raises(RuntimeError, match="caller failed"), engine.connect() as conn, write_transaction(conn):
        append(conn, [consult("officer-9", P2)], settings=settings)
        raise RuntimeError("caller failed after auditing")
    assert sql(engine, "SELECT count(*) FROM audit_entries")[0][0] == 3
    assert sql(engine, "SELECT count(*) FROM audit_subjects WHERE subject_key = :k", k=P2)[0][0] == 0
    with engine.connect() as conn, write_transaction(conn):
        assert append(conn, [consult()]) == [4]
    assert verify(engine, settings).ok


def test_append_outside_a_write_transaction_is_refused_with_a_clear_error(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    with engine.connect() as conn:
        with pytest.raises(AuditError, match="open write transaction"):
            append(conn, [consult()])
        with conn.begin(), pytest.raises(AuditError, match="BEGIN IMMEDIATE"):
            append(conn, [consult()])


def test_concurrent_appenders_in_their_own_transactions_keep_one_order(settings: Settings) -> None:
    engine = get_engine(settings)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(20):
                with engine.connect() as conn, write_transaction(conn):
                    append(conn, [consult(f"officer-{t}", f"NP-{t}-{i}"), consult(f"officer-{t}")],
                           settings=settings)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify(engine, settings)
    assert report.ok, report.problems
    assert report.entries == 8 * 20 * 2


def test_an_open_audit_write_does_not_block_readers(sqlite_settings: Settings) -> None:
    engine = get_engine(sqlite_settings)
    fill(engine, sqlite_settings, 2)
    with engine.connect() as writer, write_transaction(writer):
        append(writer, [consult()])
        # While the write transaction is open, another connection reads at once (WAL).
        with engine.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == 2
            assert len(who_looked_at(engine, P1)) == 2


# --------------------------------------------------------------------------------- checkpoints and keys


def test_checkpoints_are_signed_every_n_entries_and_on_demand(settings: Settings) -> None:
    engine = get_engine(settings)
    fill(engine, settings, 23, every=10)
    cps = sql(engine, "SELECT id, entry_id, count FROM audit_checkpoints ORDER BY id")
    assert [(c.id, c.entry_id, c.count) for c in cps] == [(1, 10, 10), (2, 20, 20)]
    cp = checkpoint(engine, settings)
    assert cp is not None and (cp.id, cp.entry_id) == (3, 23)
    assert checkpoint(engine, settings) is None  # the head is already signed
    report = verify(engine, settings)
    assert report.ok and report.checkpoints == 3 and report.unsigned_tail == 0


def test_the_signing_key_is_created_once_with_owner_only_permissions(sqlite_settings: Settings) -> None:
    a = get_signer(sqlite_settings)
    b = get_signer(sqlite_settings)
    assert a.key_id == b.key_id
    assert stat.S_IMODE(key_path(sqlite_settings).stat().st_mode) == 0o600


def test_an_auditor_verifies_with_the_exported_public_key_and_a_different_key_fails(
        sqlite_settings: Settings, tmp_path: Path) -> None:
    engine = get_engine(sqlite_settings)
    fill(engine, sqlite_settings, 20)
    runner = CliRunner()
    env = env_for(sqlite_settings)
    exported = runner.invoke(app, ["audit", "public-key"], env=env)
    assert exported.exit_code == 0, exported.output
    (tmp_path / "auditor.pem").write_text(exported.stdout)
    ok = runner.invoke(app, ["audit", "verify", "--public-key", str(tmp_path / "auditor.pem"), "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["checkpoints"] == 2

    other = get_signer(Settings(home=tmp_path / "elsewhere"))
    (tmp_path / "other.pem").write_bytes(public_pem(other.public))
    bad = runner.invoke(app, ["audit", "verify", "--public-key", str(tmp_path / "other.pem")], env=env)
    assert bad.exit_code == 1
    assert "FAILED" in bad.stderr and "signature does not match" in bad.stderr


# --------------------------------------------------------------------------------- tampering


def _edit_actor(engine: Engine) -> None:
    sql(engine, "UPDATE audit_entries SET actor = 'someone-else' WHERE id = 17")


def _edit_detail(engine: Engine) -> None:
    sql(engine, "UPDATE audit_entries SET detail = :d WHERE id = 17", d='{"count":0}')


def _delete_entry(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_subjects WHERE entry_id = 17")
    sql(engine, "DELETE FROM audit_entries WHERE id = 17")


def _swap_entries(engine: Engine) -> None:
    cols = "at, action, actor, purpose, reason, subjects, detail, partner, kind, prev_hash, hash"
    a, b = sql(engine, f"SELECT {cols} FROM audit_entries WHERE id IN (17, 18) ORDER BY id")  # noqa: S608
    sets = ", ".join(f"{c} = :{c}" for c in cols.split(", "))
    sql(engine, f"UPDATE audit_entries SET {sets} WHERE id = 17", **b._mapping)  # noqa: S608
    sql(engine, f"UPDATE audit_entries SET {sets} WHERE id = 18", **a._mapping)  # noqa: S608


def _insert_forged_entry(engine: Engine) -> None:
    """Make room at 17 and insert a well-formed entry that chains onto 16."""
    for table, col in (("audit_entries", "id"), ("audit_subjects", "entry_id")):
        sql(engine, f"UPDATE {table} SET {col} = {col} + 1000000 WHERE {col} >= 17")  # noqa: S608
        sql(engine, f"UPDATE {table} SET {col} = {col} - 999999 WHERE {col} > 1000000")  # noqa: S608
    prev = sql(engine, "SELECT hash FROM audit_entries WHERE id = 16")[0][0]
    at = "2026-11-21T12:00:00.000000Z"
    h = entry_hash(17, at, "consultation", "ghost", "investigation", None, "[]", "{}", prev)
    sql(engine, "INSERT INTO audit_entries (id, at, action, actor, purpose, subjects, detail, prev_hash, hash) "
                "VALUES (17, :at, 'consultation', 'ghost', 'investigation', '[]', '{}', :prev, :h)",
        at=at, prev=prev, h=h)


def _rewrite_chain_from_17(engine: Engine) -> None:
    """An attacker who edits entry 17 and recomputes every later hash: only the
    signed checkpoints can catch this."""
    sql(engine, "UPDATE audit_entries SET actor = 'someone-else' WHERE id = 17")
    rows = sql(engine, "SELECT * FROM audit_entries WHERE id >= 17 ORDER BY id")
    prev = sql(engine, "SELECT hash FROM audit_entries WHERE id = 16")[0][0]
    for r in rows:
        m = r._mapping
        h = entry_hash(m["id"], m["at"], m["action"], m["actor"], m["purpose"], m["reason"], m["subjects"],
                       m["detail"], prev)
        sql(engine, "UPDATE audit_entries SET prev_hash = :p, hash = :h WHERE id = :i", p=prev, h=h, i=m["id"])
        prev = h


def _drop_subject_row(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_subjects WHERE entry_id = 17 AND subject_key = 'NP-16'")


def _truncate_signed_tail(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_subjects WHERE entry_id >= 41")
    sql(engine, "DELETE FROM audit_entries WHERE id >= 41")


def _edit_checkpoint_hash(engine: Engine) -> None:
    sql(engine, "UPDATE audit_checkpoints SET entry_hash = :h WHERE id = 2", h="f" * 64)


def _edit_checkpoint_count(engine: Engine) -> None:
    sql(engine, "UPDATE audit_checkpoints SET count = 19 WHERE id = 2")


def _move_checkpoint(engine: Engine) -> None:
    h = sql(engine, "SELECT hash FROM audit_entries WHERE id = 25")[0][0]
    sql(engine, "UPDATE audit_checkpoints SET entry_id = 25, count = 25, entry_hash = :h WHERE id = 2", h=h)


def _delete_checkpoint(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_checkpoints WHERE id = 2")


TAMPERING = {
    "edited field": (_edit_actor, 17, "content does not match its hash"),
    "edited detail": (_edit_detail, 17, "content does not match its hash"),
    "deleted entry": (_delete_entry, 17, "missing"),
    "swapped entries": (_swap_entries, 17, "prev_hash does not match"),
    "inserted entry": (_insert_forged_entry, 18, "prev_hash does not match"),
    "rewritten chain": (_rewrite_chain_from_17, 20, "were rewritten"),
    "dropped subject row": (_drop_subject_row, 17, "audit_subjects rows disagree"),
    "truncated signed tail": (_truncate_signed_tail, 41, "deleted from the end"),
    "edited checkpoint hash": (_edit_checkpoint_hash, 20, "signature does not match"),
    "edited checkpoint count": (_edit_checkpoint_count, 20, "signature does not match"),
    "moved checkpoint": (_move_checkpoint, 25, "signature does not match"),
    "deleted checkpoint": (_delete_checkpoint, None, "checkpoint 2 is missing"),
}


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_verify_detects_tampering_in_the_database(settings: Settings, tamper: str) -> None:
    engine = get_engine(settings)
    fill(engine, settings, 50)  # checkpoints at entries 10, 20, 30, 40, 50
    assert verify(engine, settings).ok
    do, first_bad, message = TAMPERING[tamper]
    do(engine)
    report = verify(engine, settings)
    assert not report.ok
    assert report.first_bad_entry == first_bad, report.problems
    assert any(message in p for p in report.problems), report.problems


def test_verify_command_reports_the_first_broken_entry_and_exits_non_zero(settings: Settings) -> None:
    engine = get_engine(settings)
    fill(engine, settings, 30)
    _edit_actor(engine)
    result = CliRunner().invoke(app, ["audit", "verify"], env=env_for(settings))
    assert result.exit_code == 1
    assert "first broken entry: 17" in result.stderr
    assert "entry 17: content does not match its hash" in result.stderr
    as_json = CliRunner().invoke(app, ["audit", "verify", "--json"], env=env_for(settings))
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["first_bad_entry"] == 17


@pytest.mark.slow
def test_the_chain_verifies_after_100000_entries(settings: Settings) -> None:
    engine = get_engine(settings)
    signer = get_signer(settings)
    for start in range(0, 100_000, 1000):
        with engine.connect() as conn, write_transaction(conn):
            append(conn, [consult(f"officer-{i % 50}", f"NP-{i % 997}", kind="check") for i in range(start, start + 1000)],
                   signer=signer)
    progress: list[tuple[int, int]] = []
    report = verify(engine, settings, on_progress=lambda done, total: progress.append((done, total)))
    assert report.ok, report.problems
    assert report.entries == 100_000 and report.checkpoints == 100
    assert progress[-1] == (100_000, 100_000) and len(progress) > 10


# --------------------------------------------------------------------------------- group commit


def test_the_group_commit_writer_loses_nothing_and_shares_transactions(settings: Settings) -> None:
    engine = get_engine(settings)
    writer = AuditWriter(engine, settings=settings, checkpoint_every=100)
    threads, per_thread = 32, 40
    got: list[list[int]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            got[t].append(writer.record(consult(f"officer-{t}", f"NP-{t}-{i}")))

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    writer.close()
    ids = sorted(i for g in got for i in g)
    assert ids == list(range(1, threads * per_thread + 1))
    assert writer.commits < threads * per_thread  # callers shared transactions
    for t in range(threads):  # each caller's entries are in the order it made them
        assert got[t] == sorted(got[t])
        assert len(looked_at_by(engine, f"officer-{t}", limit=1000)) == per_thread
    report = verify(engine, settings)
    assert report.ok, report.problems
    assert report.checkpoints >= 12


def test_a_closed_writer_flushes_and_then_refuses(sqlite_settings: Settings) -> None:
    writer = get_writer(sqlite_settings)
    futures = [writer.submit(consult()) for _ in range(50)]
    close_writers()
    assert sorted(f.result(timeout=5) for f in futures) == list(range(1, 51))
    with pytest.raises(AuditError, match="closed"):
        writer.record(consult())
    assert get_writer(sqlite_settings) is not writer  # a fresh one after close
    close_writers()


def test_the_writer_refuses_a_bad_event_in_the_callers_thread(sqlite_settings: Settings) -> None:
    writer = AuditWriter(get_engine(sqlite_settings))
    try:
        with pytest.raises(ValueError, match="purpose"):
            writer.record(AuditEvent("consultation", "officer-1"))
        assert writer.record(consult()) == 1
    finally:
        writer.close()


# --------------------------------------------------------------------------------- auditor queries


def test_auditor_queries_find_who_looked_what_they_saw_and_disclosures(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [
            consult("officer-1", P1, "NP-1"),
            consult("officer-2", P2),
            AuditEvent("disclosure", "officer-2", purpose="safeguarding", subjects=("NP-1",),
                       detail={"partner": "Leeds City Council", "fields": ["name", "dob"]}),
            AuditEvent("disclosure", "officer-3", purpose="safeguarding", subjects=(P2,),
                       detail={"partner": "NHS Leeds"}),
            AuditEvent("alteration", "officer-1", subjects=("NP-1",)),
        ])
    assert [e.actor for e in who_looked_at(engine, "NP-1")] == ["officer-2", "officer-1"]
    assert [e.action for e in who_looked_at(engine, "NP-1", actions=None)] == \
        ["alteration", "disclosure", "consultation"]
    assert who_looked_at(engine, "NP-1", since="2999-01-01") == []
    mine = looked_at_by(engine, "officer-2")
    assert [e.id for e in mine] == [3, 2] and mine[1].subjects == [P2]
    leeds = disclosures_to(engine, "Leeds City Council")
    assert [e.id for e in leeds] == [3] and leeds[0].detail["fields"] == ["name", "dob"]
    assert leeds[0].as_dict()["purpose"] == "safeguarding"


def test_auditor_commands_answer_in_json_and_are_themselves_audited(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [consult("officer-1", P1), AuditEvent("disclosure", "officer-1", purpose="vetting",
                                                             subjects=(P1,), detail={"partner": "DBS"})])
    env = {**env_for(settings), "LEDS_ACTOR": "auditor-1"}
    runner = CliRunner()
    who = runner.invoke(app, ["audit", "who-looked-at", P1, "--json"], env=env)
    assert who.exit_code == 0, who.output
    assert [e["id"] for e in json.loads(who.stdout)] == [2, 1]
    user = runner.invoke(app, ["audit", "user", "officer-1", "--json"], env=env)
    assert [e["id"] for e in json.loads(user.stdout)] == [2, 1]
    dbs = runner.invoke(app, ["audit", "disclosures", "DBS", "--json"], env=env)
    assert [e["detail"]["partner"] for e in json.loads(dbs.stdout)] == ["DBS"]
    audited = looked_at_by(engine, "auditor-1")
    assert [e.detail["command"] for e in audited] == \
        ["leds audit disclosures", "leds audit user", "leds audit who-looked-at"]
    assert all(e.purpose == "audit" for e in audited)
    assert verify(engine, settings).ok


# --------------------------------------------------------------------------------- misuse signals


def test_a_user_consulting_someone_with_their_surname_or_postcode_raises_a_signal(settings: Settings) -> None:
    subjects = [
        sig.ConsultedSubject(P1, surnames=("O'Brien",), postcodes=("LS1 4AP",)),
        sig.ConsultedSubject(P2, surnames=("Smith-Jones",), postcodes=("ls6 2qq",)),
        sig.ConsultedSubject("NP-9", surnames=("Taylor",), postcodes=("BD1 1AA",)),
    ]
    found = sig.check_consultation("officer-1", "OBRIEN", ["LS62QQ"], subjects, entry_id=7)
    assert [(s.subject_key, s.detail["shares"]) for s in found] == [(P1, ["surname"]), (P2, ["postcode"])]
    assert sig.check_consultation("officer-1", "Jones", None, subjects)[0].subject_key == P2
    assert sig.check_consultation("officer-1", "Patel", "M1 1AE", subjects) == []
    engine = get_engine(settings)
    assert len(sig.record_signals(engine, found)) == 2
    assert sig.record_signals(engine, found) == []  # raised once only
    stored = sig.list_signals(engine, kind="personal_connection")
    assert {s.subject_key for s in stored} == {P1, P2} and all(s.entry_id == 7 for s in stored)


def test_spike_needs_count_z_score_and_ratio_against_the_users_own_baseline() -> None:
    steady = [10, 12, 9, 11, 10, 13, 8] * 4
    assert sig.spike_from_counts(steady, 14) is None
    assert sig.spike_from_counts(steady, 60)["z"] > 3
    assert sig.spike_from_counts([0] * 28, 19) is None  # below the minimum count
    assert sig.spike_from_counts([0] * 28, 20) is not None  # no baseline at all: 20 is a spike
    assert sig.spike_from_counts([40] * 28, 100, ratio=3.0) is None  # 2.5x a busy user's mean


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_spike_signals_compare_today_with_the_previous_days(settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(settings)
    today = date(2026, 11, 20)
    for back in range(1, 15):  # two weeks of 3-4 look-ups a day each
        moment = datetime(2026, 11, 20, 9, tzinfo=UTC) - timedelta(days=back)
        monkeypatch.setattr(chain_mod, "utcnow", lambda m=moment: _at(m))
        with engine.connect() as conn, write_transaction(conn):
            append(conn, [consult("steady")] * (3 + back % 2) + [consult("spiky")] * (3 + back % 2))
    monkeypatch.setattr(chain_mod, "utcnow", lambda: _at(datetime(2026, 11, 20, 10, tzinfo=UTC)))
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [consult("steady")] * 4 + [consult("spiky")] * 45)
    found = sig.spike_signals(engine, today)
    assert [s.actor for s in found] == ["spiky"]
    assert found[0].detail["today"] == 45 and found[0].detail["baseline_days"] == 28
    assert len(sig.record_signals(engine, found)) == 1 and sig.record_signals(engine, found) == []
    assert verify(engine, settings).ok


def test_looking_up_a_flagged_subject_raises_a_signal(settings: Settings) -> None:
    engine = get_engine(settings)
    with engine.connect() as conn, write_transaction(conn):
        append(conn, [consult("officer-1", P1)])  # before the flag: no signal
    env = {**env_for(settings), "LEDS_ACTOR": "auditor-1"}
    runner = CliRunner()
    missing = runner.invoke(app, ["audit", "flag", P1], env=env)
    assert missing.exit_code == 2 and "reason" in missing.output
    flagged = runner.invoke(app, ["audit", "flag", P1, "--reason", "MP's relative", "--json"], env=env)
    assert flagged.exit_code == 0, flagged.output
    with engine.connect() as conn, write_transaction(conn):
        ids = append(conn, [consult("officer-2", P1), consult("officer-3", P2)])
    listed = runner.invoke(app, ["audit", "signals", "--json", "--kind", "flagged_subject"], env=env)
    assert listed.exit_code == 0, listed.output
    out = json.loads(listed.stdout)
    assert [(s["actor"], s["entry_id"], s["detail"]["flag_reason"]) for s in out["signals"]] == \
        [("officer-2", ids[0], "MP's relative")]
    again = runner.invoke(app, ["audit", "signals", "--json"], env=env)
    assert json.loads(again.stdout)["new"] == 0
    assert looked_at_by(engine, "auditor-1", actions=("alteration",))[0].detail["kind"] == "audit_flag"


def test_many_checks_without_a_following_action_raise_a_signal(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(settings)
    base = datetime(2026, 11, 20, 9, tzinfo=UTC)

    def at(minutes: int, *events: AuditEvent) -> None:
        monkeypatch.setattr(chain_mod, "utcnow", lambda: _at(base + timedelta(minutes=minutes)))
        with engine.connect() as conn, write_transaction(conn):
            append(conn, list(events))

    for i in range(12):  # "nosy": 12 checks on different people, nothing done
        at(i, consult("nosy", f"NP-{i}", kind="check"))
    for i in range(12):  # "busy": 12 checks, each followed by a stop and search on the same person
        at(i, consult("busy", f"NP-{i}", kind="check"))
        at(i + 20, AuditEvent("collection", "busy", subjects=(f"NP-{i}",), detail={"kind": "stop_search"}))
    for i in range(12):  # "late": the action comes after the 60-minute window
        at(i, consult("late", f"NP-{i}", kind="check"))
        at(i + 90, AuditEvent("alteration", "late", subjects=(f"NP-{i}",), detail={"kind": "record_update"}))
    found = sig.unactioned_check_signals(engine, base.date(), now=base + timedelta(days=1))
    assert {s.actor: s.detail["without_action"] for s in found} == {"nosy": 12, "late": 12}
    # Checks whose window is still open are not judged yet.
    assert sig.unactioned_check_signals(engine, base.date(), now=base + timedelta(minutes=30)) == []

from __future__ import annotations

import copy
from datetime import date

import orjson
import pytest
from sqlalchemy import select

from leds.access.identity import create_user
from leds.access.policy import AccessDenied, Principal
from leds.alerts.tables import alert_inbox
from leds.audit import get_writer
from leds.audit.tables import audit_entries
from leds.config import Settings
from leds.db.engine import get_engine
from leds.errors import Conflict
from leds.sharing import service
from leds.sharing.agreement import SCHEMA, AgreementInvalid, example, parse, validate


def test_the_example_agreement_is_valid_and_the_schema_covers_the_ico_code() -> None:
    assert validate(example()) == []
    for part in ("parties", "purpose", "lawful_basis", "datasets", "record_types", "forces", "period", "handling",
                 "retention", "security", "review_date", "expires", "signatories"):
        assert part in SCHEMA["required"]
    assert "DPA 2018 Part 3" in SCHEMA["properties"]["lawful_basis"]["properties"]["regime"]["enum"]


def test_an_agreement_without_lawful_basis_retention_or_review_date_is_refused_with_every_error() -> None:
    doc = example()
    for k in ("lawful_basis", "retention", "review_date"):
        del doc[k]
    doc["record_types"]["event"]["fields"].append("Not A Field")
    doc["forces"] = ["WYP", "NOPE"]
    with pytest.raises(AgreementInvalid) as ei:
        parse(orjson.dumps(doc))
    paths = [e["path"] for e in ei.value.errors]
    assert paths == ["$.forces[1]", "$.lawful_basis", "$.record_types.event.fields[4]", "$.retention",
                     "$.review_date"]
    assert "lawful basis" in ei.value.errors[1]["message"]


def test_semantic_errors_name_their_paths() -> None:
    doc = example()
    doc["period"] = {"from": "2024-12-31", "to": "2024-01-01"}
    doc["disclosure_control"]["quasi_identifiers"] = ["category", "description"]
    doc["parties"] = [p for p in doc["parties"] if p["role"] != "recipient"] + [doc["parties"][0]]
    paths = {e["path"] for e in validate(doc)}
    assert {"$.period.to", "$.disclosure_control.quasi_identifiers[1]", "$.parties"} <= paths


def _users(settings: Settings) -> tuple[Principal, Principal]:
    eng = get_engine(settings)
    dpo = create_user(eng, "dpo1", roles=["data_protection_officer"], force="WYP", vetting="SC", password=None)
    inv = create_user(eng, "inv1", roles=["investigator"], force="WYP", vetting="SC", password=None)
    return Principal.from_user(dpo), Principal.from_user(inv)


def test_approval_needs_the_role_the_rule_table_names_and_refusals_are_audited(settings: Settings) -> None:
    dpo, inv = _users(settings)
    audit = get_writer(settings).record
    with get_engine(settings).connect() as conn:
        a = service.add_agreement(conn, "os:tester", example(), audit)
        assert a.state == "draft"
        with pytest.raises(AccessDenied, match="approve_sharing"):
            service.approve(conn, inv, a.id, audit)
        assert service.get_agreement(conn, a.id).state == "draft"
        a = service.approve(conn, dpo, a.id, audit)
        assert (a.state, a.approved_by) == ("approved", "user:dpo1")
        with pytest.raises(Conflict):
            service.add_agreement(conn, "os:tester", example(), audit)  # approved: suspend first
        a = service.suspend(conn, dpo, a.id, "recipient breached retention", audit)
        assert a.state == "suspended"
        denied = conn.execute(select(audit_entries.c.detail).where(audit_entries.c.action == "denied")).scalars().all()
    assert any("approve_sharing" in d for d in denied)


def test_an_agreement_past_its_expiry_is_expired_in_the_register(settings: Settings) -> None:
    dpo, _ = _users(settings)
    audit = get_writer(settings).record
    with get_engine(settings).connect() as conn:
        service.add_agreement(conn, "os:tester", example(), audit)
        service.approve(conn, dpo, "DSA-2026-001", audit)
        (a,) = service.list_agreements(conn, on=date(2029, 1, 1))
        assert a.state == "expired"
        assert service.list_agreements(conn, state="approved") == []


def test_reviews_falling_due_raise_one_alert_each(settings: Settings) -> None:
    dpo, _ = _users(settings)
    audit = get_writer(settings).record
    soon = copy.deepcopy(example())
    soon["id"], soon["review_date"] = "DSA-2026-002", "2027-01-15"
    with get_engine(settings).connect() as conn:
        for doc in (example(), soon):
            service.add_agreement(conn, "os:tester", doc, audit)
            service.approve(conn, dpo, doc["id"], audit, on=date(2027, 1, 1))
        raised = service.raise_review_alerts(conn, on=date(2027, 1, 1), within_days=30)
        assert [r["agreement"] for r in raised] == ["DSA-2026-002"]
        again = service.raise_review_alerts(conn, on=date(2027, 1, 1), within_days=30)
        assert again[0]["alerts"] == 0  # idempotent
        rows = conn.execute(select(alert_inbox.c.owner, alert_inbox.c.team, alert_inbox.c.kind)).all()
    assert sorted(rows, key=str) == sorted([("dpo1", None, "sharing_review"),
                                            (None, "data_protection_officer", "sharing_review")], key=str)


def test_an_agreement_with_problems_beyond_the_schema_is_a_draft_that_cannot_be_approved(settings: Settings) -> None:
    dpo, _ = _users(settings)
    audit = get_writer(settings).record
    doc = example()
    doc["review_date"] = "2029-01-01"  # after expiry
    with get_engine(settings).connect() as conn:
        a = service.add_agreement(conn, "os:tester", doc, audit)
        assert a.state == "draft" and [p["path"] for p in a.problems] == ["$.review_date"]
        with pytest.raises(Conflict, match="review_date"):
            service.approve(conn, dpo, a.id, audit)
        assert service.get_agreement(conn, a.id).state == "draft"

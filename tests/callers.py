"""Callers of the services and the API: a principal of a role and force, a look-up with its audit
sink, a client with a bearer token."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from leds.access import identity
from leds.access.lookup import Lookup
from leds.access.policy import Principal
from leds.app import create_app
from leds.config import Settings
from leds.db.engine import get_engine


def principal(role: str = "investigator", force: str = "WYP", vetting: str = "SC") -> Principal:
    return Principal(id=f"user:{role}-{force}", roles=frozenset({role}), force=force, vetting=vetting,
                     datasets=frozenset(identity.default_datasets([role])))


class Audit(list):  # type: ignore[type-arg]
    def __call__(self, event: Any) -> int:
        self.append(event)
        return len(self)


def lookup(role: str = "investigator", force: str = "WYP", purpose: str = "incident_response",
           reason: str | None = None) -> tuple[Lookup, Audit]:
    audit = Audit()
    return Lookup(principal(role, force), purpose, reason, audit), audit


def api_client(settings: Settings, role: str = "investigator", force: str = "WYP",
               scopes: list[str] | None = None) -> tuple[TestClient, dict[str, str]]:
    engine = get_engine(settings)
    name = f"{role.replace('_', '-')}-{force.lower()}"
    user = identity.get_user(engine, name) or identity.create_user(
        engine, name, roles=[role], force=force, vetting="SC", password="correct horse battery")
    token, _ = identity.issue_token(engine, user, scopes or ["check", "search", "view_person", "view_record"])
    return TestClient(create_app(settings)), {"Authorization": f"Bearer {token}"}

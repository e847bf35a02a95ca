"""The OpenAPI document is true: Schemathesis, with every check it has, against a real
``leds serve`` over a small matched sample, as a client generated from the document would
call it (a bearer token with every scope).  It must find nothing: no server error, no
undocumented status, no answer outside its schema, no schema-valid request refused, no wrong
``Allow`` header.

Also: the four look-up routes name a response schema for their 2xx answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from leds.access import identity, rules
from leds.db.engine import dispose_all, get_engine

from ..serving import sample_store, serving

pytestmark = pytest.mark.slow

PASSWORD = "contract password that is long enough"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("contract") / "home"
    settings = sample_store(home, persons=150, seed=5)
    engine = get_engine(settings)
    user = identity.create_user(engine, "contract-investigator", roles=["investigator"], force="WYP",
                                vetting="SC", password=PASSWORD)
    from datetime import timedelta

    token, _ = identity.issue_token(engine, user, list(rules.ACTIONS), timedelta(hours=2))
    dispose_all()
    with serving(settings, home.parent / "serve.log") as base:
        yield base, token


def _openapi(base: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=10) as r:
        return json.load(r)  # type: ignore[no-any-return]


def test_the_look_up_routes_name_a_response_schema_for_every_2xx_answer(service: tuple[str, str]) -> None:
    doc = _openapi(service[0])
    for path, method in [("/api/v1/checks/person", "post"), ("/api/v1/checks/vehicle", "post"),
                         ("/api/v1/search", "post"), ("/api/v1/persons/{person_id}", "get")]:
        answers = doc["paths"][path][method]["responses"]
        ok = {code: a for code, a in answers.items() if code.startswith("2")}
        assert ok, f"{method.upper()} {path} documents no 2xx answer"
        for code, a in ok.items():
            schema = a["content"]["application/json"]["schema"]
            assert "$ref" in schema or schema.get("properties"), f"{method.upper()} {path} {code}: {schema}"


def test_every_route_documents_its_error_answers(service: tuple[str, str]) -> None:
    doc = _openapi(service[0])
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            secured = bool(op.get("security")) or any(p.get("in") == "header" for p in op.get("parameters", []))
            codes = set(op["responses"])
            if secured:
                assert "401" in codes, f"{method.upper()} {path} can answer 401 but does not say so"


def test_schemathesis_finds_nothing_against_a_real_server(service: tuple[str, str], tmp_path: Path) -> None:
    # The phases that draw requests from the document: its examples, and fuzzing (positive and
    # negative).  Not "coverage": it combines each field's boundary values without the hooks in
    # st_hooks.py, which carry the rules a JSON Schema cannot state between two fields (a range's
    # order, a purpose that needs its explanation) or inside one (a PNC ID's check character).
    base, token = service
    cmd = [str(Path(sys.executable).with_name("schemathesis")), "--config-file",
           str(Path(__file__).with_name("schemathesis.toml")), "run", base + "/api/v1/openapi.json",
           "--checks", "all", "-H", f"Authorization: Bearer {token}",
           "--max-examples", "5", "--workers", "2", "--seed", "1", "--phases", "examples,fuzzing",
           "--no-color", "--max-time", "150"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "st_hooks", "PYTHONPATH": str(Path(__file__).parent)}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    report = out.stdout[-12000:] + out.stderr[-4000:]
    assert out.returncode == 0, report

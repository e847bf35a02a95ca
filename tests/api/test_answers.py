"""The look-up routes answer exactly what their response models document: every key of a
real answer is in its model, with a value of the documented type, and nothing documented
as required is missing (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leds.checks.models import PersonCheckAnswer, VehicleCheckAnswer
from leds.config import Settings
from leds.persons.models import PersonView
from leds.records.models import RecordAnswer
from leds.search.models import SearchPage

from ..callers import api_client
from ..factories import P1

REASON = {"purpose": "incident_response"}


def _exactly(model: type[BaseModel], answer: Any) -> None:
    """``answer`` validates against ``model``, and dumping it again gives the answer back
    (so no key of the answer is left out of the model)."""
    assert model.model_validate(answer).model_dump(mode="json", exclude_unset=True) == answer


def test_every_look_up_answer_is_exactly_its_response_model(store: Settings) -> None:
    client, auth = api_client(store)

    def post(path: str, body: dict[str, Any]) -> Any:
        r = client.post(path, headers=auth, json={**body, **REASON})
        assert r.status_code == 200, r.text
        return r.json()

    def get(path: str) -> Any:
        r = client.get(path, headers=auth, params=REASON)
        assert r.status_code == 200, r.text
        return r.json()

    checked = post("/api/v1/checks/person", {"surname": "Smith", "forename": "John", "dob": "1984-03-07"})
    assert checked["candidates"] and checked["summary"]["markers"] and checked["summary"]["status"]["bail"]
    _exactly(PersonCheckAnswer, checked)
    nobody = post("/api/v1/checks/person", {"surname": "Nobodyatall"})
    assert nobody["candidates"] == [] and nobody["summary"] is None
    _exactly(PersonCheckAnswer, nobody)
    vehicle = post("/api/v1/checks/vehicle", {"vrm": "A812CDE"})
    assert vehicle["vehicles"][0]["people"]
    _exactly(VehicleCheckAnswer, vehicle)
    found = post("/api/v1/search", {"surname": "S*"})
    assert found["results"] and found["facets"]["force"]
    _exactly(SearchPage, found)
    person = get(f"/api/v1/persons/{P1}")
    assert person["timeline"] and person["associations"]["vehicles"] and person["associations"]["addresses"]
    _exactly(PersonView, person)
    record = get(f"/api/v1/records/{P1}")
    _exactly(RecordAnswer, record)


def test_records_and_provenance_are_one_answer_and_provenance_is_documented_as_the_alias(store: Settings) -> None:
    client, auth = api_client(store)
    record = client.get(f"/api/v1/records/{P1}", headers=auth, params=REASON).json()
    assert client.get(f"/api/v1/provenance/{P1}", headers=auth, params=REASON).json() == record
    # Each older caller still finds what it read: the record's fields, or the record nested.
    assert record["data"] == record["record"]["data"] and record["versions"][0]["sequence"] == 1
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/api/v1/provenance/{rkey}"]["get"]["summary"].startswith("Alias of GET /api/v1/records/")


def test_openapi_names_the_response_schema_of_every_look_up(sqlite_settings: Settings) -> None:
    client, _ = api_client(sqlite_settings)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {("/api/v1/checks/person", "post"): "PersonCheckAnswer",
                ("/api/v1/checks/vehicle", "post"): "VehicleCheckAnswer",
                ("/api/v1/search", "post"): "SearchPage",
                ("/api/v1/persons/{person_id}", "get"): "PersonView",
                ("/api/v1/records/{rkey}", "get"): "RecordAnswer",
                ("/api/v1/provenance/{rkey}", "get"): "RecordAnswer"}
    for (path, method), model in expected.items():
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, path

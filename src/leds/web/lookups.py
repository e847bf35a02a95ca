"""The look-up pages: person check, vehicle check, search, the person page and the
record page.  They call the domains' services (checks, search, persons, records)
directly, with a :class:`~leds.access.lookup.Lookup` carrying the user's reason.
Bad input is shown on the form in an error summary (400); a refusal or a missing
person or record goes up as a :class:`~leds.errors.LedsError` to a GOV.UK error page
(:mod:`.errors`: 400, 403, 404), never a 500."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from leds.access.deps import app_engine, app_settings
from leds.access.lookup import Lookup
from leds.access.policy import PurposeRequired
from leds.audit import AuditEvent, get_writer
from leds.checks.models import PersonQuery, SearchQuery, VehicleQuery
from leds.checks.service import person_check, vehicle_check
from leds.documents.service import mentioning
from leds.errors import BadRequest
from leds.persons.service import person_view
from leds.records.service import record_view
from leds.search.service import search
from leds.standard.codes import DATASETS, FORCES

from . import reason
from .errors import error_page
from .render import CONTROL, Errors, pages, render
from .session import WebUser, check_csrf, csrf_ok, current_user

router = APIRouter(include_in_schema=False)

MAX_ID = 200
SEX = {"M": "Male", "F": "Female", "X": "Indeterminate", "U": "Not known"}

# Field name -> (the id its error links to, its label in messages)
PERSON_FIELDS = {"surname": ("surname", "Surname"), "forename": ("forename", "Forename"),
                 "dob": ("dob-day", "Date of birth"), "age_from": ("age_from", "Lowest age"),
                 "age_to": ("age_to", "Highest age"), "sex": ("sex", "Sex"), "pnc_id": ("pnc_id", "PNC ID"),
                 "postcode": ("postcode", "Postcode")}
VEHICLE_FIELDS = {"vrm": ("vrm", "Registration mark")}
SEARCH_FIELDS = {**PERSON_FIELDS, "phonetic": ("phonetic", "Sounds like"),
                 "height_from": ("height_from", "Lowest height"), "height_to": ("height_to", "Highest height"),
                 "marks": ("marks", "Marks, scars or tattoos"), "district": ("district", "Postcode district"),
                 "force": ("force", "Force"), "dataset": ("dataset", "Dataset"), "text": ("text", "Text"),
                 "page": ("surname", "Page")}


def _form_dict(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def read_date(form: Mapping[str, str], name: str, label: str, errors: Errors) -> date | None:
    """A GOV.UK date input (name-day, name-month, name-year) as a date; None if empty."""
    parts = [(form.get(f"{name}-{p}") or "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    missing = [p for p, v in zip(("day", "month", "year"), parts, strict=True) if not v]
    if missing:
        errors.add(f"{name}-{missing[0]}", f"{label} must include a {missing[0]}")
        return None
    if not all(p.isdigit() and len(p) <= 4 for p in parts) or len(parts[2]) != 4:
        errors.add(f"{name}-day", f"{label} must be a real date, like 27 3 1985")
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        errors.add(f"{name}-day", f"{label} must be a real date, like 27 3 1985")
        return None


def _message(err: Mapping[str, Any], label: str) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "string_too_long":
        return f"{label} must be {ctx.get('max_length')} characters or fewer"
    if kind in ("int_parsing", "int_from_float"):
        return f"{label} must be a whole number"
    if kind == "greater_than_equal":
        return f"{label} must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"{label} must be {ctx.get('le')} or less"
    if kind == "literal_error":
        return f"Choose a {label.lower()} on the list"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if label.startswith("Date") and "in the future" in msg:
        return f"{label} must be today or in the past"
    if label.startswith("Date") and " is before " in msg:
        return f"{label} must be after {msg.rsplit(' ', 1)[-1]}"
    return msg[:1].upper() + msg[1:] if msg else f"Check the {label.lower()}"


def validation_errors(exc: ValidationError, fields: Mapping[str, tuple[str, str]], errors: Errors,
                      first: str) -> None:
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if isinstance(x, str)]
        name = next((x for x in loc if x in fields), None)
        fid, label = fields[name] if name else (first, "")
        errors.add(fid, _message(err, label))


def _values(form: Mapping[str, str], names: list[str]) -> dict[str, Any]:
    """Form fields for a query model: empty fields left out."""
    return {n: form[n].strip() for n in names if (form.get(n) or "").strip()}


def _refused(request: Request, me: WebUser, action: str) -> Response:
    """The role does not allow ``action``: audited, and a 403 page that says so."""
    get_writer(app_settings(request)).record(AuditEvent(
        action="denied", actor=me.principal.id, detail={"attempted": action, "why": "role", "channel": "web"}))
    words = {"check": "run checks", "search": "search", "view_person": "open a person's page",
             "view_record": "open source records"}
    return error_page(request, 403, f"Your role does not allow you to {words.get(action, action)}. "
                      "Your attempt has been recorded.")


def run(request: Request, me: WebUser, why: reason.Reason, fn: Callable[[Any, Lookup], Any],
        errors: Errors, first_field: str) -> Any:
    """Run a service call and return its answer, or None with a field problem added to
    ``errors`` for the form to show.  Any other refusal or error (a LedsError) goes up
    to the error page (:mod:`.errors`)."""
    engine = app_engine(request)
    try:
        with engine.connect() as conn:
            out = fn(conn, Lookup(me.principal, why.purpose, why.text, get_writer(app_settings(request)).record))
    except PurposeRequired:
        errors.add("purpose", reason.MISSING)
        return None
    except BadRequest as exc:
        fid = SEARCH_FIELDS[exc.field][0] if exc.field in SEARCH_FIELDS else \
            "vrm" if exc.field == "vrm" else first_field
        errors.add(fid, exc.message[:1].upper() + exc.message[1:])
        return None
    except ValidationError as exc:
        validation_errors(exc, SEARCH_FIELDS, errors, first_field)
        return None
    reason.remember(engine, me, why)
    return out


def validated_run(request: Request, me: WebUser, why: reason.Reason | None, errors: Errors,
                  model: type[BaseModel], fields: Mapping[str, tuple[str, str]], values: dict[str, Any],
                  service: Callable[[Any, Lookup, Any], Any]) -> Any:
    """Validate the form into the service's query model (errors go on the page), then,
    with a reason and no errors, run the look-up."""
    try:
        q = model.model_validate(values)
    except ValidationError as exc:
        validation_errors(exc, fields, errors, "surname")
        return None
    if why is None or errors:
        return None
    return run(request, me, why, lambda conn, lk: service(conn, lk, q), errors, "surname")


def check_page(path: str, template: str, title: str,
               handle: Callable[[Request, WebUser, dict[str, str]], Response]) -> None:
    """A check's two routes: the empty form (GET) and the posted form (POST, CSRF-checked)."""

    @router.get(path, name=f"{template}-form")
    def form_page(request: Request) -> Response:
        me = current_user(request)
        if not me.may("check"):
            return _refused(request, me, "check")
        return render(request, template, me=me, title=title, form={},
                      reason_values=reason.picker_values(None, me), result=None)

    @router.post(path, name=f"{template}-post")
    async def posted(request: Request) -> Response:
        form = _form_dict(await request.form())
        me = await run_in_threadpool(current_user, request)
        check_csrf(me, form.get("csrf_token"))
        return await run_in_threadpool(handle, request, me, form)


# -- person check ------------------------------------------------------------------------
def _person_check(request: Request, me: WebUser, form: dict[str, str]) -> Response:
    if not me.may("check"):
        return _refused(request, me, "check")
    errors = Errors()
    form = errors.refuse_control(form)
    values = _values(form, ["surname", "forename", "age_from", "age_to", "sex", "pnc_id", "postcode"])
    dob = read_date(form, "dob", "Date of birth", errors)
    why = reason.read(form, errors)
    result = validated_run(request, me, why, errors, PersonQuery, PERSON_FIELDS,
                           {**values, **({"dob": dob} if dob else {})}, person_check)
    return render(request, "check_person.html", me=me, status_code=400 if errors else 200, errors=errors,
                  title="Person check", form=form, reason_values=reason.picker_values(form, me),
                  result=result, why=why)


# -- vehicle check -----------------------------------------------------------------------
def _vehicle_check(request: Request, me: WebUser, form: dict[str, str]) -> Response:
    if not me.may("check"):
        return _refused(request, me, "check")
    errors = Errors()
    form = errors.refuse_control(form)
    q = None
    vrm = (form.get("vrm") or "").strip()
    if not vrm:
        errors.add("vrm", "Enter a registration mark")
    else:
        try:
            q = VehicleQuery(vrm=vrm)
        except ValidationError as exc:
            validation_errors(exc, VEHICLE_FIELDS, errors, "vrm")
    why = reason.read(form, errors)
    result = None
    if q is not None and why is not None and not errors:
        result = run(request, me, why, lambda conn, lk: vehicle_check(conn, lk, q), errors, "vrm")
    return render(request, "check_vehicle.html", me=me, status_code=400 if errors else 200, errors=errors,
                  title="Vehicle check", form=form, reason_values=reason.picker_values(form, me),
                  result=result, why=why)


check_page("/check/person", "check_person.html", "Person check", _person_check)
check_page("/check/vehicle", "check_vehicle.html", "Vehicle check", _vehicle_check)


# -- search --------------------------------------------------------------------------------
@router.get("/search")
def search_page(request: Request) -> Response:
    me = current_user(request)
    if not me.may("search"):
        return _refused(request, me, "search")
    form = dict(request.query_params)
    if not form:
        return render(request, "search.html", me=me, title="Search", form={}, result=None,
                      reason_values=reason.picker_values(None, me), forces=FORCES, datasets=DATASETS)
    if not csrf_ok(me, form.get("csrf_token")):
        # A search in a link someone else made (or from an ended session): show it
        # filled in for the user to check and send, never run it as it stands.
        return render(request, "search.html", me=me, title="Search", form=form, result=None, confirm=True,
                      reason_values=reason.picker_values(form, me), forces=FORCES, datasets=DATASETS)
    errors = Errors()
    form = errors.refuse_control(form)
    values = _values(form, ["surname", "forename", "age_from", "age_to", "sex", "height_from", "height_to",
                            "marks", "district", "force", "dataset", "text", "page"])
    if form.get("phonetic"):
        values["phonetic"] = True
    dob = read_date(form, "dob", "Date of birth", errors)
    why = reason.read(form, errors)
    result = validated_run(request, me, why, errors, SearchQuery, SEARCH_FIELDS,
                           {**values, **({"dob": dob} if dob else {})}, search)
    pagination = None
    if result and result["pages"] > 1:
        base = {k: v for k, v in form.items() if k != "page"}
        pagination = pages(result["total"], result["page"], result["per_page"],
                           lambda n: "/search?" + urlencode({**base, "page": n}))
    return render(request, "search.html", me=me, status_code=400 if errors else 200, errors=errors,
                  title="Search", form=form, result=result, why=why, pagination=pagination,
                  reason_values=reason.picker_values(form, me), forces=FORCES, datasets=DATASETS)


# -- the person page and the record page -------------------------------------------------
def view_page(request: Request, action: str, key: str, missing: str, asking: str,
              fn: Callable[[Any, Lookup], Any], template: str, title: str, result_as: str,
              **context: Any) -> Response:
    """A page that opens one thing by its id (a person, a record): role, id, reason, look-up."""
    me = current_user(request)
    if not me.may(action):
        return _refused(request, me, action)
    if len(key) > MAX_ID or CONTROL.search(key):
        return error_page(request, 404, missing, title="Not found")
    why = reason.for_view(request, me, asking)
    if isinstance(why, Response):
        return why
    errors = Errors()
    result = run(request, me, why, fn, errors, "purpose")
    if result is None:
        return reason.ask(request, me, asking, None, errors, 400)
    return render(request, template, me=me, title=title, why=why, change_href="?change_reason=1",
                  **context, **{result_as: result})


def _with_missing(conn: Any, lk: Lookup, view: dict[str, Any]) -> dict[str, Any]:
    """The person's live missing episodes, for the MISSING banner at the top of the page."""
    from leds.missing.service import missing_for_check

    keys = [r["rkey"] for r in view.get("records", [])]
    return {**view, "missing": missing_for_check(conn, lk, keys, None, "view_person")}


@router.get("/person/{person_id:path}")
def person_page(request: Request, person_id: str) -> Response:
    return view_page(request, "view_person", person_id, "There is no such person, or not one you may see.",
                     "Open a person's page", lambda conn, lk: _with_missing(conn, lk, {
                         **person_view(conn, lk, person_id), "documents": mentioning(conn, lk, person_id)}),
                     "person.html", "Person", "s", person_id=person_id)


@router.get("/record/{rkey:path}")
def record_page(request: Request, rkey: str) -> Response:
    return view_page(request, "view_record", rkey, "There is no such record, or not one you may see.",
                     "Open a source record", lambda conn, lk: record_view(conn, lk, rkey),
                     "record.html", "Source record", "r", rkey=rkey)

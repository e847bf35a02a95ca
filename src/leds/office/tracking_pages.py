"""Benefits realisation and delivery tracking in the web app: the benefit profiles and the
objectives with their risks, and the forms that keep them (a profile in the plan's template, a
measurement, an objective and its RAG, a risk with its mitigation).

Each form posts to a page here, which reads the fields into the API's own request models
(``BenefitIn``, ``MeasurementIn``, ``ObjectiveIn``, ``RiskIn``) and calls the same service
functions as ``/api/v1/benefits`` and ``/api/v1/objectives``: no rule is checked twice.  A
refused field comes back in a GOV.UK error summary, the field highlighted and the input kept
(400).  The forms and their buttons are shown to the roles with ``manage_benefits``; a post by
any other role is refused (403) before anything is read."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection

from leds.access.deps import app_engine
from leds.errors import LedsError, NotFound
from leds.web.errors import error_page
from leds.web.lookups import read_date
from leds.web.render import CONTROL, Errors, render
from leds.web.session import WebUser, check_csrf, current_user

from . import benefits, maturity, objectives
from .models import BenefitIn, MeasurementIn, ObjectiveIn, RiskIn
from .pages import _clean, _form, _user

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
BEN_REF = re.compile(r"^BEN_\d{3,5}$")
OBJ_REF = re.compile(r"^[0-9]{1,2}\.[0-9]{1,2}$")
MANAGE = "manage_benefits"
REFUSED = "Only the data office (a role with manage_benefits) keeps benefit profiles, objectives and risks."
DONE = {"created": "added", "updated": "updated", "measured": "measurement recorded", "risk": "risk added"}

# A model's field -> (the id of the element its error links to, its name in a message).  The
# ones in CHOICES are radios or lists ("Choose the ..."), the others typed ("Enter the ...").
BENEFIT_FIELDS = {"ref": ("ref", "reference"), "title": ("title", "title"), "rationale": ("rationale", "rationale"),
                  "owner": ("owner", "benefits owner"), "category": ("category", "category"),
                  "measure": ("measure", "measure"), "unit": ("unit", "unit"),
                  "calculation": ("calculation", "calculation and source"), "baseline": ("baseline", "baseline"),
                  "target": ("target", "target"), "stage": ("stage", "realisation stage"),
                  "rag": ("rag", "RAG status"), "computed": ("computed", "computed measure")}
MEASUREMENT_FIELDS = {"day": ("when-day", "date of the measurement"), "value": ("value", "value"),
                      "note": ("note", "note")}
OBJECTIVE_FIELDS = {"ref": ("ref", "objective number"), "strand": ("strand", "strand"), "title": ("title", "title"),
                    "owner": ("owner", "owner"), "rag": ("rag", "RAG status"), "progress": ("progress", "progress"),
                    "due": ("due-day", "due date")}
RISK_FIELDS = {"description": ("description", "risk"), "likelihood": ("likelihood", "likelihood"),
               "impact": ("impact", "impact"), "mitigation": ("mitigation", "mitigation"),
               "owner": ("owner", "risk owner")}
CHOICES = {"category", "rag", "computed", "likelihood", "impact"}
EXAMPLES: dict[tuple[type[BaseModel], str], str] = {(BenefitIn, "ref"): "BEN_005", (ObjectiveIn, "ref"): "2.3"}


# -- reading a form into the API's model -------------------------------------------------------
def _message(model: type[BaseModel], name: str, label: str, err: Mapping[str, Any]) -> str:
    """A GOV.UK error message for one of pydantic's refusals ("Enter the baseline: ...")."""
    kind, ctx = str(err.get("type", "")), err.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and not err.get("input")):
        why = (model.model_fields[name].description or "") if name in model.model_fields else ""
        verb = "Choose" if name in CHOICES else "Enter"
        return f"{verb} the {label}" + (f": {why.removeprefix('Required: ').rstrip('.')}"
                                        if why.startswith("Required: ") else "")
    if kind == "float_parsing":
        return f"The {label} must be a number, like 12 or 0.5"
    if kind in ("int_parsing", "int_from_float"):
        return f"The {label} must be a whole number"
    if kind == "string_too_long":
        return f"The {label} must be {ctx.get('max_length')} characters or fewer"
    if kind == "string_pattern_mismatch" and name in CHOICES:
        return f"Choose the {label} from the list"
    if kind == "string_pattern_mismatch":
        return f"Enter the {label} in the form {EXAMPLES.get((model, name), 'shown in the hint')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"The {label} must be {'at least ' + str(ctx['ge']) if 'ge' in ctx else 'at most ' + str(ctx['le'])}"
    if kind in ("enum", "literal_error"):
        return f"Choose the {label} from the list"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return msg[:1].upper() + msg[1:] if msg else f"Check the {label}"


def _read(model: type[M], values: dict[str, Any], fields: Mapping[str, tuple[str, str]], errors: Errors) -> M | None:
    """``values`` as the API's request model, or None with each refused field in ``errors``
    (in the order of the page, as the error summary lists them)."""
    body = None
    try:
        body = model.model_validate(values)
    except ValidationError as exc:
        first = next(iter(fields.values()))[0]
        for err in exc.errors():
            name = next((str(x) for x in err.get("loc", ()) if str(x) in fields), None)
            if name is None:
                errors.add(first, _message(model, "", "", err))
            else:
                errors.add(fields[name][0], _message(model, name, fields[name][1], err))
    order = [fid.split("-")[0] for fid, _ in fields.values()]
    errors.items = dict(sorted(errors.items.items(), key=lambda kv: order.index(kv[0].split("-")[0])
                               if kv[0].split("-")[0] in order else len(order)))
    return None if errors else body


def _filled(form: Mapping[str, str], names: tuple[str, ...], errors: Errors) -> dict[str, str]:
    """The named fields, trimmed and without control characters (each such field refused);
    an empty field is left out, so that the model says it is needed (or takes its default)."""
    values = errors.refuse_control({n: (form.get(n) or "").strip() for n in names})
    return {k: v for k, v in values.items() if v}


def _shown(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """What was typed, to show back on a refused form (control characters are never echoed)."""
    return {n: CONTROL.sub("", (form.get(n) or "").strip()) for n in names}


def _write(request: Request, fn: Callable[[Connection], Any], fields: Mapping[str, tuple[str, str]],
           errors: Errors, *, read: Callable[[Connection], Any] | None = None, adding: bool = False,
           taken: str = "") -> Response | None:
    """Run a service write in one transaction.  A refusal naming a field of the form goes into
    ``errors``; any other (e.g. a benefit that is not there) is an error page.  The services
    create or update; ``read`` (the thing by its reference) keeps the forms apart: adding
    never overwrites (``taken``), and changing never creates (404)."""
    try:
        with maturity.writing(app_engine(request)) as conn:
            if read is not None and adding and _exists(read, conn):
                errors.add(fields["ref"][0], taken)
                return None
            if read is not None and not adding:
                read(conn)
            fn(conn)
    except LedsError as e:
        if e.field is None or e.field not in fields:
            return error_page(request, e.status_code, e.message)
        errors.add(fields[e.field][0], e.message[:1].upper() + e.message[1:])
    return None


def _exists(read: Callable[[Connection], Any], conn: Connection) -> bool:
    try:
        read(conn)
    except NotFound:
        return False
    return True


async def _posted(request: Request) -> tuple[dict[str, str], WebUser | Response]:
    """The form and its user: a bad CSRF token is refused (403), as is a role without
    ``manage_benefits``, before anything is read from the store."""
    form = _form(await request.form())
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may(MANAGE):
        return form, error_page(request, 403, REFUSED)
    return form, me


def _today() -> dict[str, str]:
    d = datetime.now(UTC).date()
    return {"when-day": str(d.day), "when-month": str(d.month), "when-year": str(d.year)}


def _done(request: Request) -> dict[str, str] | None:
    """The success banner after a form (its ref checked, its wording fixed here)."""
    q = request.query_params
    done, ref = _clean(q, "done", "", 16), _clean(q, "ref", "", 12)
    if done in DONE and (BEN_REF.match(ref) or OBJ_REF.match(ref)):
        return {"ref": ref, "what": DONE[done]}
    return None


# -- benefits ------------------------------------------------------------------------------------
@router.get("/office/benefits")
def benefits_page(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    with app_engine(request).connect() as conn:
        rows = benefits.list_benefits(conn)
    return render(request, "office_benefits.html", me=me, title="Benefits realisation", rows=rows,
                  computed=benefits.COMPUTED, done=_done(request))


@router.post("/office/benefits/refresh")
async def benefits_refresh(request: Request) -> Response:
    form = _form(await request.form())
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may(MANAGE):
        return error_page(request, 403, "Only a role with manage_benefits records measurements.")

    def go() -> None:
        with maturity.writing(app_engine(request)) as conn:
            benefits.refresh(conn, me.principal.id)

    await run_in_threadpool(go)
    return RedirectResponse("/office/benefits", status_code=303)


def _next_ref(request: Request) -> str:
    with app_engine(request).connect() as conn:
        taken = [int(b["ref"][4:]) for b in benefits.list_benefits(conn)]
    return f"BEN_{max(taken, default=0) + 1:03d}"


def _benefit_form(request: Request, me: WebUser, form: Mapping[str, Any], ref: str | None,
                  errors: Errors | None = None) -> Response:
    title = f"Change benefit {ref}" if ref else "Add a benefit profile"
    return render(request, "office_benefit_form.html", me=me, title=title, form=form, ref=ref, errors=errors,
                  status_code=400 if errors else 200, computed=benefits.COMPUTED)


def _benefit_values(b: Mapping[str, Any]) -> dict[str, str]:
    """A stored profile as the form's fields."""
    out = {k: "" if b.get(k) is None else str(b[k]) for k in BENEFIT_FIELDS}
    out.update(baseline=f"{b['baseline']:g}", target=f"{b['target']:g}")
    return out


@router.get("/office/benefits/new")
def new_benefit_page(request: Request) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    return _benefit_form(request, me, {"ref": _next_ref(request), "rag": "amber"}, None)


@router.get("/office/benefits/{ref}/edit")
def edit_benefit_page(request: Request, ref: str) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    try:
        with app_engine(request).connect() as conn:
            b = benefits.get(conn, ref)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    return _benefit_form(request, me, _benefit_values(b), ref)


async def _save_benefit(request: Request, ref: str | None) -> Response:
    form, me = await _posted(request)
    if isinstance(me, Response):
        return me
    if ref is not None and not BEN_REF.match(ref):
        return error_page(request, 404, f"no benefit {ref[:20]}")
    errors = Errors()
    values: dict[str, Any] = _filled(form, tuple(BENEFIT_FIELDS), errors)
    if ref is not None:
        values["ref"] = ref  # a profile's reference does not change
    body = _read(BenefitIn, values, BENEFIT_FIELDS, errors)

    if body is not None:
        b = body
        refused = await run_in_threadpool(
            lambda: _write(request, lambda c: benefits.save(c, me.principal, b), BENEFIT_FIELDS, errors,
                           read=lambda c: benefits.get(c, b.ref), adding=ref is None,
                           taken=f"{b.ref} already exists: choose another reference, or change that profile "
                                 "from the benefits page"))
        if refused is not None:
            return refused
        if not errors:
            done = "updated" if ref else "created"
            return RedirectResponse(f"/office/benefits?done={done}&ref={b.ref}#{b.ref}", status_code=303)
    shown = {**_shown(form, tuple(BENEFIT_FIELDS)), **({"ref": ref} if ref else {})}
    return _benefit_form(request, me, shown, ref, errors)


@router.post("/office/benefits/new")
async def new_benefit_post(request: Request) -> Response:
    return await _save_benefit(request, None)


@router.post("/office/benefits/{ref}/edit")
async def edit_benefit_post(request: Request, ref: str) -> Response:
    return await _save_benefit(request, ref)


def _measurement_form(request: Request, me: WebUser, ref: str, form: Mapping[str, Any],
                      errors: Errors | None = None) -> Response:
    try:
        with app_engine(request).connect() as conn:
            b = benefits.get(conn, ref)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    return render(request, "office_measurement_form.html", me=me, title=f"Record a measurement of {ref}", b=b,
                  form=form, errors=errors, status_code=400 if errors else 200)


@router.get("/office/benefits/{ref}/measurements/new")
def new_measurement_page(request: Request, ref: str) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    return _measurement_form(request, me, ref, _today())


@router.post("/office/benefits/{ref}/measurements/new")
async def new_measurement_post(request: Request, ref: str) -> Response:
    form, me = await _posted(request)
    if isinstance(me, Response):
        return me
    if not BEN_REF.match(ref):
        return error_page(request, 404, f"no benefit {ref[:20]}")
    errors = Errors()
    values: dict[str, Any] = _filled(form, ("value", "note"), errors)
    day = read_date(form, "when", "The date of the measurement", errors)
    if day is not None:
        values["day"] = day.isoformat()
    body = _read(MeasurementIn, values, MEASUREMENT_FIELDS, errors)
    if body is not None:
        m = body
        refused = await run_in_threadpool(
            _write, request, lambda c: benefits.measure(c, me.principal, ref, m), MEASUREMENT_FIELDS, errors)
        if refused is not None:
            return refused
        if not errors:
            return RedirectResponse(f"/office/benefits?done=measured&ref={ref}#{ref}", status_code=303)
    shown = _shown(form, ("when-day", "when-month", "when-year", "value", "note"))
    return await run_in_threadpool(_measurement_form, request, me, ref, shown, errors)


# -- objectives and risks --------------------------------------------------------------------------
@router.get("/office/objectives")
def objectives_page(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    with app_engine(request).connect() as conn:
        report = objectives.quarterly_report(conn, None)
    return render(request, "office_objectives.html", me=me, title="Delivery tracking", report=report,
                  done=_done(request))


@router.get("/office/objectives/report.md")
def objectives_report(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    q = _clean(request.query_params, "quarter", "", 7) or None
    with app_engine(request).connect() as conn:
        report = objectives.quarterly_report(conn, q)
    return Response(report["markdown"], media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="delivery-{report["quarter"]}.md"'})


def _objective_form(request: Request, me: WebUser, form: Mapping[str, Any], ref: str | None,
                    errors: Errors | None = None) -> Response:
    with app_engine(request).connect() as conn:
        strands = list(dict.fromkeys(o["strand"] for o in objectives.list_objectives(conn)))
    title = f"Update objective {ref}" if ref else "Add an objective"
    return render(request, "office_objective_form.html", me=me, title=title, form=form, ref=ref, strands=strands,
                  errors=errors, status_code=400 if errors else 200)


@router.get("/office/objectives/new")
def new_objective_page(request: Request) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    return _objective_form(request, me, {}, None)


@router.get("/office/objectives/{ref}/edit")
def edit_objective_page(request: Request, ref: str) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    try:
        with app_engine(request).connect() as conn:
            o = objectives.get(conn, ref)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    form = {k: str(o.get(k) or "") for k in OBJECTIVE_FIELDS}
    if o.get("due"):
        year, month, day = str(o["due"]).split("-")
        form.update({"due-day": str(int(day)), "due-month": str(int(month)), "due-year": year})
    return _objective_form(request, me, form, ref)


async def _save_objective(request: Request, ref: str | None) -> Response:
    form, me = await _posted(request)
    if isinstance(me, Response):
        return me
    if ref is not None and not OBJ_REF.match(ref):
        return error_page(request, 404, f"no objective {ref[:20]}")
    errors = Errors()
    values: dict[str, Any] = _filled(form, ("ref", "strand", "title", "owner", "rag", "progress"), errors)
    if ref is not None:
        values["ref"] = ref
    due = read_date(form, "due", "The due date", errors)
    if due is not None:
        values["due"] = due.isoformat()
    body = _read(ObjectiveIn, values, OBJECTIVE_FIELDS, errors)

    if body is not None:
        o = body
        refused = await run_in_threadpool(
            lambda: _write(request, lambda c: objectives.save(c, me.principal, o), OBJECTIVE_FIELDS, errors,
                           read=lambda c: objectives.get(c, o.ref), adding=ref is None,
                           taken=f"Objective {o.ref} already exists: choose another number, or update it from "
                                 "the delivery tracking page"))
        if refused is not None:
            return refused
        if not errors:
            done = "updated" if ref else "created"
            return RedirectResponse(f"/office/objectives?done={done}&ref={o.ref}#objective-{o.ref}",
                                    status_code=303)
    shown = _shown(form, (*OBJECTIVE_FIELDS, "due-day", "due-month", "due-year"))
    if ref:
        shown["ref"] = ref
    return await run_in_threadpool(_objective_form, request, me, shown, ref, errors)


@router.post("/office/objectives/new")
async def new_objective_post(request: Request) -> Response:
    return await _save_objective(request, None)


@router.post("/office/objectives/{ref}/edit")
async def edit_objective_post(request: Request, ref: str) -> Response:
    return await _save_objective(request, ref)


def _risk_form(request: Request, me: WebUser, ref: str, form: Mapping[str, Any],
               errors: Errors | None = None) -> Response:
    try:
        with app_engine(request).connect() as conn:
            o = objectives.get(conn, ref)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    return render(request, "office_risk_form.html", me=me, title=f"Add a risk to objective {ref}", o=o, form=form,
                  errors=errors, status_code=400 if errors else 200)


@router.get("/office/objectives/{ref}/risks/new")
def new_risk_page(request: Request, ref: str) -> Response:
    me = _user(request, MANAGE)
    if isinstance(me, Response):
        return me
    return _risk_form(request, me, ref, {})


@router.post("/office/objectives/{ref}/risks/new")
async def new_risk_post(request: Request, ref: str) -> Response:
    form, me = await _posted(request)
    if isinstance(me, Response):
        return me
    if not OBJ_REF.match(ref):
        return error_page(request, 404, f"no objective {ref[:20]}")
    errors = Errors()
    values: dict[str, Any] = _filled(form, ("description", "likelihood", "impact", "mitigation", "owner"), errors)
    body = _read(RiskIn, {**values, "objective": ref}, RISK_FIELDS, errors)
    if body is not None:
        r = body
        refused = await run_in_threadpool(
            _write, request, lambda c: objectives.add_risk(c, me.principal, r), RISK_FIELDS, errors)
        if refused is not None:
            return refused
        if not errors:
            return RedirectResponse(f"/office/objectives?done=risk&ref={ref}#objective-{ref}", status_code=303)
    return await run_in_threadpool(_risk_form, request, me, ref, _shown(form, tuple(RISK_FIELDS)), errors)

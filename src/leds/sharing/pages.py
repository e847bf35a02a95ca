"""The data sharing toolkit in the web app: the register, guidance, an agreement wizard built
from the published schema, each agreement with its exports and their signed manifests.

Any signed-in user may read the register and the guidance; proposing an agreement needs a role
with ``export`` or ``approve_sharing``; approving and suspending need ``approve_sharing``;
running an export needs ``export``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leds.access.deps import app_engine, app_settings, audit_sink
from leds.errors import LedsError
from leds.web.errors import error_page
from leds.web.render import CONTROL, Errors, render
from leds.web.session import check_csrf, current_user

from . import service
from .agreement import SCHEMA, AgreementInvalid, example

router = APIRouter(include_in_schema=False)
SECTION_MAX = 20_000


def _sections(values: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One wizard step per top-level property of the schema, in the schema's order: its title,
    what it must say, whether it is required, and its value as text (JSON for objects and lists)."""
    ex = example()
    out = []
    for name, spec in SCHEMA["properties"].items():
        if values is not None:
            text = values.get(name, "")
        else:
            v = ex.get(name, "")
            text = v if isinstance(v, str) else json.dumps(v, indent=2)
        kind = spec.get("type", "string")
        out.append({"name": name, "label": name.replace("_", " ").capitalize(), "required": name in SCHEMA["required"],
                    "hint": spec.get("description", ""), "json": kind in ("object", "array"),
                    "multiline": kind in ("object", "array"), "text": text,
                    "fields": sorted(spec.get("properties", {})) if kind == "object" else []})
    return out


@router.get("/sharing")
def register_page(request: Request) -> Response:
    me = current_user(request)
    with app_engine(request).connect() as conn:
        agreements = service.list_agreements(conn)
        due = {a.id for a in service.reviews_due(conn)}
    counts = {s: sum(1 for a in agreements if a.state == s) for s in service.STATES}
    return render(request, "sharing_register.html", me=me, title="Data sharing agreements", agreements=agreements,
                  due=due, counts=counts)


@router.get("/sharing/guidance")
def guidance_page(request: Request) -> Response:
    me = current_user(request)
    return render(request, "sharing_guidance.html", me=me, title="Data sharing: guidance", required=SCHEMA["required"])


@router.get("/sharing/new")
def wizard_page(request: Request) -> Response:
    me = current_user(request)
    return render(request, "sharing_wizard.html", me=me, title="New data sharing agreement", sections=_sections())


@router.post("/sharing/new")
async def wizard_post(request: Request) -> Response:
    me = current_user(request)
    form = await request.form()
    check_csrf(me, str(form.get("csrf_token", "")))
    if not (me.may("export") or me.may("approve_sharing")):
        return error_page(request, 403, "Your roles do not include proposing a data sharing agreement")
    errors = Errors()
    values = {n: str(form.get(n, ""))[:SECTION_MAX] for n in SCHEMA["properties"]}
    values = errors.refuse_control(values)
    doc: dict[str, Any] = {}
    for s in _sections(values):
        text = s["text"].strip()
        if not text:
            continue
        if s["json"]:
            try:
                doc[s["name"]] = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                errors.add(s["name"], f"{s['label']}: not valid JSON ({exc})")
        elif s["name"] == "version":
            doc[s["name"]] = int(text) if text.isdigit() else text
        else:
            doc[s["name"]] = text
    if not errors:
        try:
            with app_engine(request).connect() as conn:
                a = service.add_agreement(conn, me.principal.id, doc, audit_sink(app_settings(request)))
            return RedirectResponse(f"/sharing/{a.id}", status_code=303)
        except AgreementInvalid as exc:
            by_section: dict[str, list[str]] = {}
            for e in exc.errors:
                top = e["path"].removeprefix("$.").split(".")[0].split("[")[0] or "id"
                by_section.setdefault(top if top in SCHEMA["properties"] else "id", []).append(
                    f"{e['path']}: {e['message']}")
            for name in SCHEMA["properties"]:
                if name in by_section:
                    errors.add(name, "; ".join(by_section[name]))
        except LedsError as exc:
            errors.add("id", exc.message)
    return render(request, "sharing_wizard.html", me=me, title="New data sharing agreement",
                  sections=_sections(values), errors=errors, status_code=400)


@router.get("/sharing/{agreement_id}")
def agreement_page(request: Request, agreement_id: str) -> Response:
    me = current_user(request)
    try:
        with app_engine(request).connect() as conn:
            service.refresh_states(conn)
            a = service.get_agreement(conn, agreement_id[:40])
            exports = service.exports_of(conn, a.id)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "sharing_agreement.html", me=me, title=f"Agreement {a.id}", a=a, exports=exports,
                  doc_json=json.dumps(a.document, indent=2))


def _act(request: Request, agreement_id: str, fn: Any) -> Response:
    try:
        with app_engine(request).connect() as conn:
            fn(conn)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return RedirectResponse(f"/sharing/{agreement_id}", status_code=303)


@router.post("/sharing/{agreement_id}/approve")
def approve_post(request: Request, agreement_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    sink = audit_sink(app_settings(request))
    return _act(request, agreement_id, lambda c: service.approve(c, me.principal, agreement_id[:40], sink))


@router.post("/sharing/{agreement_id}/suspend")
def suspend_post(request: Request, agreement_id: str, reason: Annotated[str, Form(max_length=2000)] = "",
                 csrf_token: Annotated[str, Form()] = "") -> Response:
    me = current_user(request)
    check_csrf(me, csrf_token)
    if CONTROL.search(reason):
        return error_page(request, 400, "Remove the character that is not allowed (a control character such as NUL)")
    sink = audit_sink(app_settings(request))
    return _act(request, agreement_id, lambda c: service.suspend(c, me.principal, agreement_id[:40], reason, sink))


@router.post("/sharing/{agreement_id}/export")
def export_post(request: Request, agreement_id: str, csrf_token: Annotated[str, Form()] = "") -> Response:
    from leds.audit.keys import get_signer

    from .export import run_export
    from .views import export_dir

    me = current_user(request)
    check_csrf(me, csrf_token)
    if not me.may("export"):
        return error_page(request, 403, "Your roles do not include export")
    settings = app_settings(request)
    aid = agreement_id[:40]
    return _act(request, aid, lambda c: run_export(c, get_signer(settings), me.principal.id, aid,
                                                   export_dir(settings, aid), audit_sink(settings)))


@router.get("/sharing/exports/{export_id}")
def export_page(request: Request, export_id: int) -> Response:
    me = current_user(request)
    try:
        with app_engine(request).connect() as conn:
            e = service.get_export(conn, export_id)
    except LedsError as exc:
        return error_page(request, exc.status_code, exc.message)
    return render(request, "sharing_export.html", me=me, title=f"Export {e['id']}", e=e,
                  manifest_json=json.dumps(e["manifest"], indent=2))

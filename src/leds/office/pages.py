"""The data office's portal pages: the services catalogue (the home of the office's users),
the national maturity dashboard, completing a round (with what leds holds beside each
question), commissioning requests (the similar requests shown before submitting; scoring and
deciding).  Benefit profiles and delivery objectives, with their forms, are in
``tracking_pages``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from leds.access.deps import app_engine, app_settings
from leds.errors import LedsError
from leds.reports.charts import bar_chart
from leds.standard.codes import FORCES
from leds.web.errors import error_page
from leds.web.render import CONTROL, Errors, render
from leds.web.session import WebUser, check_csrf, current_user

from . import catalogue, commissioning, maturity
from .evidence import held
from .models import Assessment, DecisionIn, RequestIn, ScoresIn

router = APIRouter(include_in_schema=False)
TAGS = ("red", "orange", "yellow", "turquoise", "green")


def heat_tag(value: float | None, top: int) -> str:
    """The GOV.UK tag colour of a heat-map cell: five bands of the scale (the number is shown too)."""
    if value is None:
        return "grey"
    return TAGS[min(4, int(5 * value / (top + 1e-9)))] if top else "grey"


def _form(raw: Any) -> dict[str, str]:
    return {k: v for k, v in raw.multi_items() if isinstance(v, str)}


def _clean(q: Any, key: str, default: str = "", size: int = 64) -> str:
    v = q.get(key) or default
    return v if len(v) <= size and not CONTROL.search(v) else default


def _user(request: Request, action: str = "view_office") -> WebUser | Response:
    me = current_user(request)
    if not me.may(action):
        return error_page(request, 403, "Your role does not give you this part of the data office's portal.")
    return me


# -- the catalogue ---------------------------------------------------------------------------
@router.get("/office")
def home(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    groups: dict[str, list[dict[str, Any]]] = {}
    for s in catalogue.SERVICES:
        groups.setdefault(s["group"], []).append(s)
    return render(request, "office_home.html", me=me, title="Data office services", groups=groups,
                  coverage=catalogue.coverage())


# -- maturity --------------------------------------------------------------------------------
@router.get("/office/maturity")
def dashboard_page(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    q = request.query_params
    fid = _clean(q, "framework", "force-data-strategy")
    try:
        with app_engine(request).connect() as conn:
            frameworks = maturity.list_frameworks(conn)
            d = maturity.dashboard(conn, fid)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    force = _clean(q, "force", "", 8)
    force = force if force in d["by_force"] else (me.force if me.force in d["by_force"] else "")
    top = d["scale"][-1]["level"]
    national = [(t["title"], d["national"]["topics"][t["id"]]) for t in d["topics"]]
    chart = bar_chart("national-chart", "National mean level by topic", national, max_value=float(top))
    return render(request, "office_dashboard.html", me=me, title="National data maturity", d=d, top=top,
                  heat_tag=heat_tag, chart=chart, force=force, frameworks={f["id"]: f["title"] for f in frameworks},
                  forces=FORCES)


def _assess_context(request: Request, me: WebUser, fid: str, force: str, label: str) -> dict[str, Any]:
    with app_engine(request).connect() as conn:
        fw = maturity.get_framework(conn, fid)
        current = {}
        for r in maturity.list_rounds(conn, force=force, framework=fid):
            if r["label"] == label:
                current = {a["question"]: a for a in maturity.get_round(conn, r["id"])["answers"]}
                break
        evidence = held(conn, force).get(force, {})
    return {"fw": fw, "current": current, "evidence": evidence, "force": force, "label": label}


@router.get("/office/maturity/assess")
def assess_page(request: Request) -> Response:
    me = _user(request, "assess_maturity")
    if isinstance(me, Response):
        return me
    q = request.query_params
    fid = _clean(q, "framework", "force-data-strategy")
    force = _clean(q, "force", me.force or "", 8)
    label = _clean(q, "label", "", 40)
    try:
        ctx = _assess_context(request, me, fid, force, label)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    return render(request, "office_assess.html", me=me, title="Complete a maturity round", form={},
                  forces=FORCES, **ctx)


@router.post("/office/maturity/assess")
async def assess_post(request: Request) -> Response:
    form = _form(await request.form())
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("assess_maturity"):
        return error_page(request, 403, "Only a role with assess_maturity completes a maturity round.")
    fid, force, label = form.get("framework", ""), form.get("force", ""), form.get("label", "").strip()
    errors = Errors()
    answers = []
    try:
        with app_engine(request).connect() as conn:
            fw = maturity.get_framework(conn, fid)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    for qn in fw.questions:
        level = form.get(f"level-{qn.id}", "")
        if level == "":
            continue
        answers.append({"question": qn.id, "level": int(level) if level.lstrip("-").isdigit() else -1,
                        "evidence": form.get(f"evidence-{qn.id}", ""), "link": form.get(f"link-{qn.id}") or None})
    body: Assessment | None = None
    try:
        body = Assessment.model_validate({"framework": fid, "force": force, "label": label, "answers": answers,
                                          "submit": form.get("action") == "submit"})
    except ValidationError as e:
        for err in e.errors():
            loc = err["loc"]
            msg = str(err["msg"]).removeprefix("Value error, ")
            if loc and loc[0] == "answers" and len(loc) > 1:
                name = str(loc[2]) if len(loc) > 2 else "evidence"
                errors.add(f"{name}-{answers[int(loc[1])]['question']}", msg)
            else:
                errors.add(str(loc[0]) if loc else "label", msg)
    if body is not None:
        try:
            with maturity.writing(app_engine(request)) as conn:
                r = maturity.save_round(conn, me.principal, body)
            done = "submitted" if r["status"] == "submitted" else "saved"
            return RedirectResponse(f"/office/maturity/assess?framework={fid}&force={force}&label={label}&done={done}",
                                    status_code=303)
        except LedsError as e:
            where = next((f"evidence-{qn.id}" for qn in fw.questions if e.message.startswith(qn.id + ":")), None)
            errors.add(where or e.field or "label", e.message)
    ctx = await run_in_threadpool(_assess_context, request, me, fid, force, label)
    ctx["current"] = {a["question"]: a for a in answers}
    return render(request, "office_assess.html", me=me, title="Complete a maturity round", errors=errors,
                  status_code=400, form=form, forces=FORCES, **ctx)


# -- commissioning ---------------------------------------------------------------------------
@router.get("/office/commissioning")
def requests_page(request: Request) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    with app_engine(request).connect() as conn:
        rows = commissioning.list_requests(conn)
    return render(request, "office_requests.html", me=me, title="Commissioning requests", rows=rows)


@router.get("/office/commissioning/new")
def new_request_page(request: Request) -> Response:
    me = _user(request, "request_commissioning")
    if isinstance(me, Response):
        return me
    return render(request, "office_request_new.html", me=me, title="Ask the data office", form={}, similar=None,
                  priorities=["low", "medium", "high", "critical"])


@router.post("/office/commissioning/new")
async def new_request_post(request: Request) -> Response:
    form = _form(await request.form())
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("request_commissioning"):
        return error_page(request, 403, "Your role does not submit commissioning requests.")
    errors = Errors()
    values = {k: form.get(k, "").strip() for k in ("title", "problem", "portfolio", "priority", "evidence")}
    body: RequestIn | None = None
    try:
        body = RequestIn.model_validate(values)
    except ValidationError as e:
        for err in e.errors():
            errors.add(str(err["loc"][0]), "Enter this" if err["type"] in ("string_too_short", "enum") and
                       not values.get(str(err["loc"][0])) else err["msg"])
    home = app_settings(request).home
    if body is not None and form.get("action") == "submit" and form.get("checked") == "1":
        def go() -> int:
            with maturity.writing(app_engine(request)) as conn:
                return int(commissioning.submit(conn, me.principal, body)["id"])
        rid = await run_in_threadpool(go)
        return RedirectResponse(f"/office/commissioning/{rid}?done=submitted", status_code=303)

    def look() -> list[dict[str, Any]]:
        with app_engine(request).connect() as conn:
            return commissioning.similar(conn, values["title"], values["problem"], home=home)

    similar = await run_in_threadpool(look) if (values["title"] or values["problem"]) else []
    return render(request, "office_request_new.html", me=me, title="Ask the data office", form=values,
                  similar=similar, errors=errors, status_code=400 if errors else 200,
                  checked=not errors, priorities=["low", "medium", "high", "critical"])


def _request_page(request: Request, me: WebUser, rid: int, errors: Errors | None = None,
                  status_code: int = 200) -> Response:
    try:
        with app_engine(request).connect() as conn:
            r = commissioning.get(conn, rid)
            similar = commissioning.similar(conn, r["title"], r["problem"], exclude=rid,
                                            home=app_settings(request).home)
    except LedsError as e:
        return error_page(request, e.status_code, e.message)
    return render(request, "office_request.html", me=me, title=f"{r['ref']}: {r['title']}", r=r, similar=similar,
                  criteria=commissioning.CRITERIA, categories=commissioning.CATEGORIES, errors=errors,
                  status_code=status_code, done=_clean(request.query_params, "done"))


@router.get("/office/commissioning/{rid:int}")
def request_page(request: Request, rid: int) -> Response:
    me = _user(request)
    if isinstance(me, Response):
        return me
    return _request_page(request, me, rid)


@router.post("/office/commissioning/{rid:int}")
async def request_post(request: Request, rid: int) -> Response:
    form = _form(await request.form())
    me = await run_in_threadpool(current_user, request)
    check_csrf(me, form.get("csrf_token"))
    if not me.may("decide_commissioning"):
        return error_page(request, 403, "Only a role with decide_commissioning scores and decides requests.")
    errors = Errors()
    try:
        with maturity.writing(app_engine(request)) as conn:
            if form.get("action") == "score":
                scores = [{"criterion": c, "score": int(form[f"score-{c}"]) if form.get(f"score-{c}", "").isdigit()
                           else 0, "rationale": form.get(f"rationale-{c}", "").strip() or " "}
                          for c in commissioning.CRITERIA if form.get(f"score-{c}")]
                if not scores:
                    raise LedsError("Score at least one criterion", field="scores")
                commissioning.score(conn, me.principal, rid, ScoresIn.model_validate({"scores": scores}))
            else:
                dup = form.get("duplicate_of", "").removeprefix("REQ-").lstrip("0")
                commissioning.decide(conn, me.principal, rid, DecisionIn.model_validate({
                    "decision": form.get("decision", ""), "category": form.get("category") or None,
                    "note": form.get("note", "").strip(), "duplicate_of": int(dup) if dup.isdigit() else None}))
    except ValidationError as e:
        err = e.errors()[0]
        errors.add(str(err["loc"][0]) if err["loc"] else "decision", str(err["msg"]).removeprefix("Value error, "))
    except LedsError as e:
        errors.add(e.field or "decision", e.message)
    if errors:
        return _request_page(request, me, rid, errors, 400)
    return RedirectResponse(f"/office/commissioning/{rid}?done={form.get('action') or 'decided'}", status_code=303)

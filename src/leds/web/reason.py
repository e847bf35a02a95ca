"""The reason picker on every look-up form: radios of the published purposes
(``leds.access.rules.PURPOSES``), each purpose that needs an explanation with
its own text box revealed when chosen.  The session remembers the last reason
given so the form can offer it again; it never invents one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine

from leds.access import identity, rules

from .render import CONTROL, CONTROL_MESSAGE, Errors, render
from .session import WebUser, csrf_ok

MAX_REASON = 500
MISSING = "Select a reason for this look-up"


@dataclass(frozen=True)
class Reason:
    purpose: str
    text: str | None

    @property
    def label(self) -> str:
        return str(rules.PURPOSES[self.purpose]["label"])


def field(purpose: str) -> str:
    """The id and name of a purpose's explanation box."""
    return f"reason-{purpose.replace('_', '-')}"


def read(form: Mapping[str, str], errors: Errors) -> Reason | None:
    """The reason sent with a form, or None with the problem added to ``errors``."""
    purpose = (form.get("purpose") or "").strip()
    if purpose not in rules.PURPOSES:
        errors.add("purpose", MISSING)
        return None
    text = (form.get(field(purpose)) or "").strip() or None
    label = rules.PURPOSES[purpose]["label"]
    if text and CONTROL.search(text):
        errors.add(field(purpose), CONTROL_MESSAGE)
        return None
    if rules.PURPOSES[purpose]["needs_text"] and not text:
        errors.add(field(purpose), f"Enter the case or reference for ‘{label}’")
        return None
    if text and len(text) > MAX_REASON:
        errors.add(field(purpose), f"The explanation must be {MAX_REASON} characters or fewer")
        return None
    return Reason(purpose, text)


def remembered(me: WebUser) -> Reason | None:
    p = me.session.purpose
    return Reason(p, me.session.purpose_text) if p in rules.PURPOSES else None


def remember(engine: Engine, me: WebUser, reason: Reason) -> None:
    if (me.session.purpose, me.session.purpose_text) != (reason.purpose, reason.text):
        identity.remember_purpose(engine, me.session, reason.purpose, reason.text)


def picker_values(form: Mapping[str, str] | None, me: WebUser) -> dict[str, str]:
    """What the picker shows: what was just sent, else the remembered reason."""
    if form and form.get("purpose"):
        return {k: CONTROL.sub("", v) for k, v in form.items() if k == "purpose" or k.startswith("reason-")}
    r = remembered(me)
    return {"purpose": r.purpose, field(r.purpose): r.text or ""} if r else {}


def for_view(request: Request, me: WebUser, heading: str) -> Reason | Response:
    """The reason for opening a page reached by a link (a person, a record, the
    review queue): given in the address by our own reason form (with the session's
    CSRF token), else the session's remembered one,
    else a page that asks for it (400 with an error summary when it was asked and
    not given)."""
    q = request.query_params
    if "purpose" in q or "asked" in q:
        if not csrf_ok(me, q.get("csrf_token")):
            # A reason in a link someone else made (or from an ended session) is not the
            # user's own choice: show it for them to confirm, never use it as it stands.
            return ask(request, me, heading, dict(q), Errors(), 200)
        errors = Errors()
        got = read(q, errors)
        if got is not None:
            return got
        return ask(request, me, heading, dict(q), errors, 400)
    if "change_reason" not in q:
        r = remembered(me)
        if r is not None:
            return r
    return ask(request, me, heading, None, Errors(), 200)


def ask(request: Request, me: WebUser, heading: str, sent: Mapping[str, str] | None, errors: Errors,
        status_code: int) -> Response:
    return render(request, "reason.html", me=me, status_code=status_code, errors=errors, title=heading,
                  action=request.url.path, values=picker_values(sent, me))

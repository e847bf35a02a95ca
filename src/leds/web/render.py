"""Jinja2 (autoescape on) with GOV.UK Frontend's macros, and the page context
every template gets: who is signed in, the navigation their roles allow, and
the errors to summarise."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from leds.access import rules

from .session import WebUser

SERVICE_NAME = "Law Enforcement Data Service"
# Characters no one types into a form (NUL and the other C0 controls but tab and newlines):
# refused with a message, and never stored, audited or echoed back.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "Remove the character that is not allowed (a control character such as NUL)"

# (path, label, the action that opens it; None for everyone signed in)
NAV: tuple[tuple[str, str, str | None], ...] = (
    ("/", "Home", None),
    ("/check/person", "Person check", "check"),
    ("/check/vehicle", "Vehicle check", "check"),
    ("/search", "Search", "search"),
    ("/missing", "Missing persons", "view_missing"),
    ("/review", "Match review", "review_matches"),
    ("/audit", "Audit", "view_audit"),
    ("/retention", "Retention", "review_retention"),
    ("/quality", "Data quality", "view_data_quality"),
    ("/reports", "Reports", "view_reports"),
    ("/anpr", "ANPR", "anpr"),
    ("/office", "Data office", "view_office"),
    ("/documents", "Case documents", "search_documents"),
    ("/sharing", "Data sharing", None),
)

env = Environment(
    loader=ChoiceLoader([
        PackageLoader("leds.web", "templates"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals.update(PURPOSES=rules.PURPOSES, ROLES=rules.ROLES,
                   SEX={"M": "Male", "F": "Female", "X": "Indeterminate", "U": "Not known"})


@dataclass
class Errors:
    """Field id -> message, in the order the fields appear on the page."""

    items: dict[str, str]

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self.items = dict(items or {})

    def add(self, field: str, message: str) -> None:
        self.items.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, field: str) -> dict[str, str] | None:
        """The ``errorMessage`` param of a GOV.UK macro, or None."""
        return {"text": self.items[field]} if field in self.items else None

    def refuse_control(self, values: Mapping[str, str]) -> dict[str, str]:
        """An error for each field holding a control character; returns the values without them
        (for showing back)."""
        for k, v in values.items():
            if CONTROL.search(v):
                self.add(k, CONTROL_MESSAGE)
        return {k: CONTROL.sub("", v) for k, v in values.items()}

    def summary(self) -> list[dict[str, str]]:
        return [{"text": m, "href": f"#{f}"} for f, m in self.items.items()]


def nav_for(me: WebUser | None, path: str) -> list[dict[str, Any]]:
    if me is None:
        return []
    out = []
    for href, label, action in NAV:
        if action is None or me.may(action):
            current = path == href or (href != "/" and path.startswith(href + "/"))
            out.append({"href": href, "text": label, "current": current})
    return out


def render(request: Request, template: str, *, me: WebUser | None, status_code: int = 200,
           errors: Errors | None = None, **context: Any) -> HTMLResponse:
    errors = errors or Errors()
    html = env.get_template(template).render(
        service_name=SERVICE_NAME, me=me, nav=nav_for(me, request.url.path), errors=errors,
        error_list=errors.summary(), request_path=request.url.path, alerts_unread=_alerts_unread(request, me),
        **context)
    return HTMLResponse(html, status_code=status_code)


def _alerts_unread(request: Request, me: WebUser | None) -> int | None:
    """The unread alerts in every page's menu (leds.alerts), or None."""
    if me is None or getattr(request.app.state, "engine", None) is None:
        return None
    from leds.alerts.inbox import unread_for_page

    return unread_for_page(request.app.state.engine, me.principal)


def pages(total: int, page: int, per_page: int, href: Callable[[int], str]) -> dict[str, Any] | None:
    """The GOV.UK pagination component's params, or None for a single page."""
    last = max(1, -(-total // per_page))
    if last <= 1:
        return None
    shown = sorted({1, last, page - 1, page, page + 1} & set(range(1, last + 1)))
    items: list[dict[str, Any]] = []
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": href(n), "current": n == page})
    out: dict[str, Any] = {"items": items}
    if page > 1:
        out["previous"] = {"href": href(page - 1)}
    if page < last:
        out["next"] = {"href": href(page + 1)}
    return out

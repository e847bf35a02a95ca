"""The web app: server-rendered pages in the GOV.UK Design System, over the same
services and the same access choke point as the REST API.

:func:`install` adds the pages, the locally served GOV.UK Frontend assets, the
security headers and the error pages to the FastAPI app.  Each page module has a
module-level ``router``; its handlers find the store and the settings on
``request.app.state`` (set by :func:`leds.app.create_app`).  Imports flow one way:
``signin`` <- ``errors`` <- ``pages``, ``review``, ``lookups`` (all over ``render``,
``session`` and ``reason``).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from leds.config import Settings
from leds.domains import present

# Domains with pages of their own: each module has a module-level ``router`` (an APIRouter of
# page routes) and adds its menu entry to ``leds.web.render.NAV``.  A domain that does not
# exist yet is skipped.
PAGE_DOMAINS = (
    "leds.alerts.pages",
    "leds.missing.pages",
    "leds.retention.pages",
    "leds.quality.pages",
    "leds.reports.pages",
    "leds.sharing.pages",
    "leds.opendata.pages",
    "leds.anpr.pages",
    "leds.documents.pages",
    "leds.office.pages",
    "leds.office.tracking_pages",
)


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    from . import assets, errors, lookups, pages, review, signin
    from .security import SecurityHeaders

    assets.mount(app, settings)  # fails at start, saying to run scripts/setup.sh, when the assets are missing
    for own in (signin, pages, review, lookups):
        app.include_router(own.router)
    for module in present(PAGE_DOMAINS):
        app.include_router(module.router)
    errors.install(app)
    app.add_middleware(SecurityHeaders)

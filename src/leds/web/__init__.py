"""The web app: server-rendered pages in the GOV.UK Design System, over the same
services and the same access choke point as the REST API.

:func:`install` adds the pages, the locally served GOV.UK Frontend assets, the
security headers and the error pages to the FastAPI app.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from leds.config import Settings


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    from . import assets, errors, pages
    from .security import SecurityHeaders

    assets.mount(app)  # fails at start, saying to run scripts/setup.sh, when the assets are missing
    app.include_router(pages.build_router(settings, engine))
    errors.install(app, engine)
    app.add_middleware(SecurityHeaders)

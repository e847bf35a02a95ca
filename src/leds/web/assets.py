"""GOV.UK Frontend's assets, served from this machine under ``/assets`` (no CDN).

``scripts/setup.sh`` installs them with ``npm ci`` into ``web/node_modules``,
pinned by ``web/package-lock.json``.  The setting ``web_assets`` (``LEDS_WEB_ASSETS``) may
point elsewhere (a folder holding ``govuk-frontend/dist/govuk``), for installs outside a
checkout.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from leds.config import Settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


class AssetsMissing(RuntimeError):
    pass


def frontend_dir(settings: Settings) -> Path:
    """``…/govuk-frontend/dist/govuk``; raises :class:`AssetsMissing` with what to do."""
    root = settings.web_assets or HERE.parents[2] / "web" / "node_modules"
    dist = root / "govuk-frontend" / "dist" / "govuk"
    if not (dist / "govuk-frontend.min.css").is_file() or not (dist / "assets" / "fonts").is_dir():
        raise AssetsMissing(f"GOV.UK Frontend's assets are missing (looked in {dist}): "
                            "run `bash scripts/setup.sh`, which installs them with npm ci")
    return dist


def mount(app: FastAPI, settings: Settings) -> None:
    dist = frontend_dir(settings)
    # More specific mounts first: Starlette matches routes in order.
    app.mount("/assets/app", StaticFiles(directory=STATIC), name="app-assets")
    app.mount("/assets/frontend", StaticFiles(directory=dist), name="govuk-frontend")
    # The stylesheet refers to /assets/fonts/… and /assets/images/…
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="govuk-assets")

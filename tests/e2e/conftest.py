"""The browser for every test in this folder: one headless Chromium (Debian's, at
/usr/bin/chromium) driven by Playwright, for the whole session.

Playwright's sync API runs its own event loop: two of them alive at once fail ("Sync API
inside the asyncio loop"), so every browser test takes this one ``browser`` (and
``new_page``), never a sync_playwright() of its own.  Each test module defines ``server``,
its own ``leds serve`` (tests/serving.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # Playwright adds --headless and a fresh profile


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `bash scripts/setup.sh` "
                    "(it installs Debian's chromium with apt-get)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run `bash scripts/setup.sh`", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any, server: str) -> Iterator[Any]:
    """Makes pages in fresh browser contexts (separate cookies), each watched for
    Content-Security-Policy violations and script errors."""
    contexts = []
    problems: list[str] = []

    def make(viewport: tuple[int, int] = (1280, 900)) -> Any:
        ctx = browser.new_context(base_url=server, viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and (
            "Content Security Policy" in m.text or "Uncaught" in m.text) else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert problems == [], f"errors in the browser console: {problems}"



"""Response headers for the web pages, and the size limit on form posts.

A pure ASGI middleware: it only adds headers, so streamed API requests and
responses pass through untouched.  The API's own documentation page
(``/api/v1/docs``) keeps FastAPI's defaults; every other response gets a strict
Content-Security-Policy (no inline script or style, nothing from elsewhere),
cannot be framed, and personal pages are never cached.
"""

from __future__ import annotations

from typing import Any

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
MAX_FORM_BYTES = 64 << 10  # far more than any form here needs

_COMMON = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def _is_web(path: str) -> bool:
    return not path.startswith("/api/")


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_web(scope["path"]):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if scope["method"] == "POST":
            length = dict(scope.get("headers") or ()).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
                await _too_large(send)
                return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                           or path.startswith("/assets/")]
                headers += _COMMON + [(b"content-security-policy", CSP.encode())]
                if not path.startswith("/assets/"):
                    headers += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _too_large(send: Any) -> None:
    body = (b"<!DOCTYPE html><html lang=en><title>Request too large</title>"
            b"<h1>The form you sent is too large</h1><p>Go back and shorten what you entered.</p></html>")
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *_COMMON, (b"content-security-policy", CSP.encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})

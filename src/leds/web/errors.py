"""Error pages for the web app: GOV.UK-style pages with a clear 4xx, never a
stack trace.  Paths under ``/api/`` keep FastAPI's JSON errors."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from leds.access.policy import AccessDenied, PurposeRequired
from leds.access.views import SESSION_COOKIE

from .render import render
from .session import CsrfRefused, SignInRequired, optional_user

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with what you entered",
    401: "Sign in to continue",
    403: "You cannot see this page",
    404: "Page not found",
    405: "Page not found",
    413: "What you entered is too long",
    500: "Sorry, there is a problem with the service",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, engine: Engine, status_code: int, message: str,
               title: str | None = None) -> Response:
    me = optional_user(request, engine)
    return render(request, "error.html", me=me, status_code=status_code,
                  title=title or TITLES.get(status_code, "There is a problem"), message=message)


def install(app: FastAPI, engine: Engine) -> None:
    @app.exception_handler(SignInRequired)
    def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        # A page asked for: go and sign in, then come back.  A form sent: it cannot be
        # replayed after signing in, so say so with a 401 and the sign-in form.
        if request.method == "GET":
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = "/sign-in?" + ("expired=1&" if exc.expired else "") + "next=" + quote(nxt, safe="")
            response: Response = RedirectResponse(target, status_code=303)
        else:
            from .pages import sign_in_page

            response = sign_in_page(request, expired=True, status_code=401)
        if exc.expired:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return error_page(request, engine, 403, "This form was not sent from a page of this service, or the page "
                          "was open too long. Go back, reload the page and try again.",
                          title="This form has expired")

    @app.exception_handler(AccessDenied)
    def access_denied(request: Request, exc: AccessDenied) -> Response:
        # Pages catch refusals themselves; this is the safety net.  The policy's message names the rule.
        if _is_api(request):
            raise exc  # the API's routes answer their own refusals; leave anything else as it was
        if isinstance(exc, PurposeRequired):
            return error_page(request, engine, 400, "Select a reason for this look-up, then try again.")
        return error_page(request, engine, 403, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return await http_exception_handler(request, exc)
        messages = {404: "If you typed the web address, check it is correct. If you pasted it, check you "
                         "copied the entire address.",
                    405: "If you typed the web address, check it is correct."}
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in (404, 405) else None
        return error_page(request, engine, exc.status_code, detail or messages.get(exc.status_code, ""))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        return error_page(request, engine, 400, "Part of the web address or form is not valid. Go back and "
                          "check what you entered.")

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Any:
        log.exception("unhandled error on %s", request.url.path)
        if _is_api(request):
            return PlainTextResponse("Internal Server Error", status_code=500)  # Starlette's own answer
        return error_page(request, engine, 500, "Try again later.")

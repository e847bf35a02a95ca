"""Error pages for the web app: GOV.UK-style pages with a clear 4xx, never a
stack trace.  Paths under ``/api/`` keep their JSON errors: the one error map
(:func:`leds.access.deps.api_error_response`) for a :class:`~leds.errors.LedsError`,
FastAPI's own answers for the rest.

A page handler raises a :class:`~leds.errors.LedsError` (or lets the service's
through) and the user sees its status and message on an error page; it catches
errors itself only to show them on the form, in an error summary."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leds.access.deps import SESSION_COOKIE, allowed_methods, api_error_response
from leds.access.policy import PurposeRequired
from leds.errors import LedsError

from .render import render
from .session import CsrfRefused, SignInRequired, optional_user
from .signin import sign_in_page

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with what you entered",
    401: "Sign in to continue",
    403: "You cannot see this page",
    404: "Page not found",
    405: "Page not found",
    409: "That cannot be done now",
    413: "What you entered is too long",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is not ready",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, status_code: int, message: str, title: str | None = None) -> Response:
    return render(request, "error.html", me=optional_user(request), status_code=status_code,
                  title=title or TITLES.get(status_code, "There is a problem"), message=message)


def _sentence(message: str) -> str:
    """A service's message ("no such person, or not one you may see") as a sentence on a page."""
    message = message.strip()
    if not message:
        return message
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        # A page asked for: go and sign in, then come back.  A form sent: it cannot be
        # replayed after signing in, so say so with a 401 and the sign-in form.
        if request.method == "GET":
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = "/sign-in?" + ("expired=1&" if exc.expired else "") + "next=" + quote(nxt, safe="")
            response: Response = RedirectResponse(target, status_code=303)
        else:
            response = sign_in_page(request, expired=True, status_code=401)
        if exc.expired:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return error_page(request, 403, "This form was not sent from a page of this service, or the page "
                          "was open too long. Go back, reload the page and try again.",
                          title="This form has expired")

    @app.exception_handler(LedsError)
    def leds_error(request: Request, exc: LedsError) -> Response:
        # The one map: the API answers JSON; a page shows the status and the message (the
        # policy's message names the rule, a service's never names data the user may not see).
        if _is_api(request):
            return api_error_response(exc)
        if isinstance(exc, PurposeRequired):
            return error_page(request, 400, "Select a reason for this look-up, then try again.")
        return error_page(request, exc.status_code, _sentence(exc.message),
                          title="Not found" if exc.status_code == 404 else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            if exc.status_code == 405:
                exc = StarletteHTTPException(405, exc.detail, headers={"Allow": allowed_methods(request)})
            return await http_exception_handler(request, exc)
        messages = {404: "If you typed the web address, check it is correct. If you pasted it, check you "
                         "copied the entire address.",
                    405: "If you typed the web address, check it is correct."}
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in (404, 405) else None
        return error_page(request, exc.status_code, detail or messages.get(exc.status_code, ""))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        return error_page(request, 400, "Part of the web address or form is not valid. Go back and "
                          "check what you entered.")

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Any:
        log.exception("unhandled error on %s", request.url.path)
        if _is_api(request):
            return PlainTextResponse("Internal Server Error", status_code=500)  # Starlette's own answer
        return error_page(request, 500, "Try again later.")

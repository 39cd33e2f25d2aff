"""The web application, mounted under ``/`` beside the API at ``/api/v1``.

It is a sub-application so that its errors are pages, not problem details:
an unknown session goes to the login form, a refusal is a friendly 403 page,
a missing person a 404 page. Security headers keep the pages to their own
scripts and styles and out of other sites' frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpesel.access.gate import Forbidden, Gate
from openpesel.errors import NotFound, OpenPeselError
from openpesel.http.problems import problem
from openpesel.http.ratelimit import TokenBucket
from openpesel.web import (
    pages_audit,
    pages_auth,
    pages_certificates,
    pages_events,
    pages_examiner,
    pages_fingerprints,
    pages_office,
    pages_resident,
    pages_verification,
)
from openpesel.web.i18n import choose
from openpesel.web.purposes import Purpose
from openpesel.web.render import page
from openpesel.web.session import (
    CSRF_COOKIE,
    LANG_COOKIE,
    LoginRequired,
    PurposeRequired,
    Viewer,
    current_principal,
    set_cookie,
)

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _here(request: Request) -> str:
    return quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


def create_web_app(gate: Gate, bucket: TokenBucket | None = None) -> FastAPI:
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.gate = gate
    web.state.bucket = bucket  # logins share the API's rate limit
    web.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")),
              name="static")

    @web.middleware("http")
    async def language_and_headers(request: Request,
                                   call_next: Callable[[Request], Awaitable[Response]],
                                   ) -> Response:
        asked = request.query_params.get("lang")
        request.state.lang = choose(asked, request.cookies.get(LANG_COOKIE))
        response = await call_next(request)
        if asked == request.state.lang:
            set_cookie(response, request, LANG_COOKIE, request.state.lang, 365 * 86400)
        new_csrf = getattr(request.state, "new_csrf", None)
        if new_csrf:
            set_cookie(response, request, CSRF_COOKIE, new_csrf)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @web.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={_here(request)}", status_code=303)

    @web.exception_handler(PurposeRequired)
    async def to_purpose(request: Request, _exc: PurposeRequired) -> Response:
        return RedirectResponse(f"/purpose?next={_here(request)}", status_code=303)

    @web.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, "You may not see this page", str(exc))

    @web.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, "Not found", str(exc))

    @web.exception_handler(OpenPeselError)
    async def refused(request: Request, exc: OpenPeselError) -> Response:
        return _error(request, 422, "The register refused this", str(exc))

    @web.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return _error(request, 422, "The register refused this",
                      f"Some values in the address or form are not valid: {where}.")

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):  # an API client keeps its problem details
            slug = "not-found" if exc.status_code == 404 else "http"
            return problem(exc.status_code, slug, str(exc.detail))
        title = "Not found" if exc.status_code == 404 else "Error"
        return _error(request, exc.status_code, title, str(exc.detail))

    for module in (pages_auth, pages_office, pages_events, pages_fingerprints, pages_resident,
                   pages_audit, pages_examiner, pages_certificates,
                   pages_verification):
        web.include_router(module.router)
    return web


def _error(request: Request, status: int, title: str, detail: str) -> Response:
    who = current_principal(request)
    v = Viewer(who, request.state.lang, Purpose()) if who else None
    return page(request, "error.html", v, status=status, title=title, detail=detail)

"""RFC 9457 problem details: every error the API returns has one shape.

``type`` is a stable relative URI per kind of problem, so a client can branch
on it without parsing the human-readable ``detail``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpesel.access.credentials import LoginThrottled
from openpesel.errors import OpenPeselError

MEDIA_TYPE = "application/problem+json"
"""Each error class carries its own status and slug (``http_status``, ``problem_type``,
declared beside it in ``errors.py`` and each layer's errors): there is no table here."""

_TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 413: "Request too large",
           422: "Unprocessable request", 429: "Too many requests", 503: "Unavailable"}


def problem(status: int, slug: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": _TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(OpenPeselError)
    async def register_error(_request: Request, exc: OpenPeselError) -> JSONResponse:
        response = problem(exc.http_status, exc.problem_type, str(exc))
        if isinstance(exc, LoginThrottled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                  for e in exc.errors()]
        first = errors[0] if errors else {"where": "request", "problem": "invalid"}
        return problem(422, "validation", f"{first['where']}: {first['problem']}",
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large",
                429: "too-many-requests"}.get(exc.status_code, "http")
        return problem(exc.status_code, slug, str(exc.detail))

    @app.exception_handler(RecursionError)
    async def too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        # JSON nested a thousand deep exhausts the decoder's stack, or a later walk's: the
        # request's fault wherever it was noticed, so a 422 and never a 500.
        return problem(422, "nested-too-deeply", "The request's JSON is nested too deeply.")

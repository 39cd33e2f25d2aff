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

from openpesel.access.audit import AuditError
from openpesel.access.credentials import AuthError, LoginThrottled
from openpesel.access.gate import Forbidden
from openpesel.errors import (
    ConcurrencyConflict,
    ImportFailed,
    InvalidData,
    InvalidEvent,
    InvalidNumber,
    NotInitialised,
    OpenPeselError,
    PersonNotFound,
    PoolExhausted,
    RegisterError,
    StorageError,
    StorageFull,
    StorageUnavailable,
)

MEDIA_TYPE = "application/problem+json"

# (class, HTTP status, problem slug); the first match wins, so subclasses come first.
_MAP: list[tuple[type[OpenPeselError], int, str]] = [
    (InvalidNumber, 422, "invalid-pesel"),
    (InvalidEvent, 422, "invalid-event"),
    (ImportFailed, 422, "import-refused"),
    (InvalidData, 422, "invalid-data"),
    (PersonNotFound, 404, "not-found"),
    (PoolExhausted, 409, "pool-exhausted"),
    (RegisterError, 409, "refused-by-register"),
    (LoginThrottled, 429, "login-throttled"),
    (AuthError, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (AuditError, 422, "audit"),
    (ConcurrencyConflict, 409, "concurrent-change"),
    (NotInitialised, 503, "not-initialised"),
    (StorageFull, 503, "storage-full"),
    (StorageUnavailable, 503, "storage-unavailable"),
    (StorageError, 503, "storage"),
    (OpenPeselError, 400, "bad-request"),
]

_TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 413: "Request too large",
           422: "Unprocessable request", 429: "Too many requests", 503: "Unavailable"}


def problem(status: int, slug: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": _TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _biometric_problems() -> None:
    """Fingerprint errors: bad scans are the caller's to fix (422)."""
    from openpesel.biometrics.errors import BiometricsError, ExtractorUnavailable

    if not any(cls is BiometricsError for cls, _, _ in _MAP):
        _MAP[-1:-1] = [(ExtractorUnavailable, 503, "extractor-unavailable"),
                       (BiometricsError, 422, "fingerprint")]


def install(app: FastAPI) -> None:
    _biometric_problems()
    @app.exception_handler(OpenPeselError)
    async def register_error(_request: Request, exc: OpenPeselError) -> JSONResponse:
        status, slug = next((st, sl) for cls, st, sl in _MAP if isinstance(exc, cls))
        response = problem(status, slug, str(exc))
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

"""The application: middleware, error shapes and routers, built around one ``Gate``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Gate
from openpesel.access.signing import load_or_create_key
from openpesel.api import (
    problems,
    routes_adjudication,
    routes_admin,
    routes_fingerprints,
    routes_me,
    routes_register,
)
from openpesel.api.deps import RateLimited
from openpesel.api.ratelimit import TokenBucket
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store

MAX_BODY = 1 << 20
"""A request body over 1 MiB is refused before it is read."""


def build_gate(settings: Settings, register: Register | None = None) -> Gate:
    if register is None:
        store = Store(settings.url())
        store.initialise()
        register = Register(store)
    key = load_or_create_key(settings.data_dir / "audit-signing-key.pem")
    return Gate(register, AuditLog(key), image_dir=settings.data_dir / "fingerprints")


def create_app(gate: Gate, rate_per_s: float = 500.0, burst: int = 1000) -> FastAPI:
    app = FastAPI(
        title="OpenPESEL",
        version="1.0.0",
        summary="An open population register with accountable access.",
        description="Every read or write of personal data names a principal, a role and a "
                    "purpose (X-Purpose), is checked, and leaves an audit entry the person "
                    "concerned can read. Errors are RFC 9457 problem details.",
    )
    app.state.gate = gate
    app.state.bucket = TokenBucket(rate_per_s, burst)
    problems.install(app)

    @app.exception_handler(RateLimited)
    async def too_many(_request: Request, _exc: RateLimited) -> Response:
        response = problems.problem(429, "too-many-requests",
                                    "Too many requests from this principal; slow down.")
        response.headers["Retry-After"] = "1"
        return response

    @app.middleware("http")
    async def limit_body(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return problems.problem(413, "too-large",
                                    f"A request body may have at most {MAX_BODY} bytes.")
        return await call_next(request)

    for module in (routes_register, routes_me, routes_admin, routes_fingerprints,
                   routes_adjudication):
        app.include_router(module.router, prefix="/api/v1")
    from openpesel.web.app import create_web_app

    app.mount("/", create_web_app(gate, app.state.bucket))  # the web pages, after the API
    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` (several workers): settings come from the environment."""
    settings = Settings()
    return create_app(build_gate(settings), settings.rate_per_s, settings.rate_burst)

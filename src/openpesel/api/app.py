"""The application: middleware, error shapes and routers, built around one ``Gate``."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline

from openpesel.access.gate import Gate
from openpesel.access.wiring import build_gate as build_gate  # re-exported: tests import it
from openpesel.access.witness import signing_lifespan
from openpesel.api import (
    contract,
    problems,
    routes_adjudication,
    routes_admin,
    routes_fingerprints,
    routes_me,
    routes_register,
    routes_witness,
)
from openpesel.api.deps import RateLimited
from openpesel.api.edge import MAX_BODY, Edge
from openpesel.api.ratelimit import TokenBucket
from openpesel.api.warmup import warming
from openpesel.config import Settings


def create_app(gate: Gate, rate_per_s: float = 500.0, burst: int = 1000,
               warm_up: bool = True) -> FastAPI:
    # FastAPIOffline serves /docs and /redoc with Swagger UI and ReDoc from its own package,
    # not a CDN: a registry office's network may have no internet (issue 13, item 9).
    app = FastAPIOffline(
        title="OpenPESEL",
        version="1.0.0",
        summary="An open population register with accountable access.",
        description="Every read or write of personal data names a principal, a role and a "
                    "purpose (X-Purpose), is checked, and leaves an audit entry the person "
                    "concerned can read. Errors are RFC 9457 problem details.",
        lifespan=warming(signing_lifespan(gate.store, gate.audit, gate.clock), warm_up),
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

    app.add_middleware(Edge, max_body=MAX_BODY)  # the body limit; no-store and nosniff

    for module in (routes_register, routes_me, routes_admin, routes_fingerprints,
                   routes_adjudication, routes_witness):
        app.include_router(module.router, prefix="/api/v1")
    contract.install(app)  # 405 for undeclared methods; the documented event union
    from openpesel.web.app import create_web_app

    app.mount("/", create_web_app(gate, app.state.bucket))  # the web pages, after the API
    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` (several workers): settings come from the environment."""
    settings = Settings()
    return create_app(build_gate(settings), settings.rate_per_s, settings.rate_burst)

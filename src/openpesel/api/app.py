"""The HTTP API: its routers, error shapes and rate limit, around one ``Gate``.

Only the API: the composition root (``openpesel.bootstrap.asgi``) builds the
gate, wraps this app in the edge and its lifespan, and mounts the web pages
beside it, so that the API and the web never import each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from starlette.types import Lifespan

from openpesel.access.gate import Gate
from openpesel.api import (
    contract,
    routes_adjudication,
    routes_admin,
    routes_fingerprints,
    routes_me,
    routes_register,
    routes_verification,
    routes_witness,
)
from openpesel.api.deps import RateLimited
from openpesel.http import problems
from openpesel.http.ratelimit import TokenBucket


def create_api(gate: Gate, bucket: TokenBucket, lifespan: Lifespan[FastAPI] | None = None,
               ) -> FastAPI:
    """The API under ``/api/v1``; ``lifespan`` is the server's (the composition root's)."""
    # FastAPIOffline serves /docs and /redoc with Swagger UI and ReDoc from its own package,
    # not a CDN: a registry office's network may have no internet (issue 13, item 9).
    app = FastAPIOffline(
        title="OpenPESEL",
        version=version("openpesel"),  # the package's, not a number kept by hand
        summary="An open population register with accountable access.",
        description="Every read or write of personal data names a principal, a role and a "
                    "purpose (X-Purpose), is checked, and leaves an audit entry the person "
                    "concerned can read. Errors are RFC 9457 problem details.",
        lifespan=_flushing(gate, lifespan),
    )
    app.state.gate = gate
    app.state.bucket = bucket
    problems.install(app)

    @app.exception_handler(RateLimited)
    async def too_many(_request: Request, _exc: RateLimited) -> Response:
        response = problems.problem(429, "too-many-requests",
                                    "Too many requests from this principal; slow down.")
        response.headers["Retry-After"] = "1"
        return response

    for module in (routes_register, routes_me, routes_admin, routes_fingerprints,
                   routes_adjudication, routes_witness, routes_verification):
        app.include_router(module.router, prefix="/api/v1")
    contract.install(app)  # 405 for undeclared methods; the documented event union
    return app


def _flushing(gate: Gate, inner: Lifespan[FastAPI] | None) -> Lifespan[FastAPI]:
    """``inner``, and as the server stops, the audit entries still queued for group commit
    committed before ``inner`` ends (which signs the last head over them)."""
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if inner is not None:
                await stack.enter_async_context(inner(app))
            try:
                yield
            finally:
                await asyncio.to_thread(gate.close)
    return lifespan

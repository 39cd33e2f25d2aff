"""The server: the API at ``/api/v1`` and the web pages at ``/``, in one ASGI application.

Built here rather than in ``api`` so that neither adapter imports the other:
the API does not know it has pages beside it, and the pages share its rate
limit and edge through :mod:`openpesel.http`. The lifespan belongs to the
server, not to either adapter: tree heads are signed for what both append,
and the fingerprint warm-up serves both.
"""

from __future__ import annotations

from fastapi import FastAPI

from openpesel.access.gate import Gate
from openpesel.access.witness import signing_lifespan
from openpesel.api.app import create_api
from openpesel.api.warmup import warming
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.http.edge import MAX_BODY, Edge
from openpesel.http.ratelimit import TokenBucket
from openpesel.web.app import create_web_app

__all__ = ["app_from_environment", "create_app"]


def create_app(gate: Gate, rate_per_s: float = 500.0, burst: int = 1000,
               warm_up: bool = True) -> FastAPI:
    """The whole server around ``gate``; ``warm_up=False`` skips the fingerprint warm-up."""
    bucket = TokenBucket(rate_per_s, burst)  # one budget: API calls and web logins alike
    lifespan = warming(signing_lifespan(gate.store, gate.audit, gate.clock), warm_up)
    app = create_api(gate, bucket, lifespan)
    app.add_middleware(Edge, max_body=MAX_BODY)  # around the pages too: body limit, no-store
    app.mount("/", create_web_app(gate, bucket))  # after the API's routes, which come first
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` (``openpesel serve``, several workers): settings from the
    environment."""
    settings = Settings()
    return create_app(build_gate(settings), settings.rate_per_s, settings.rate_burst)

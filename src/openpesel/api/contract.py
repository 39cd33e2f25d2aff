"""What the OpenAPI document promises beyond the routes' own signatures.

Two things FastAPI does not do by itself:

* An undeclared method on an API path (``TRACE /api/v1/abis``) is answered
  405 with an ``Allow`` header, as RFC 9110 asks. Without this the web app
  mounted at ``/`` caught it and answered 404, so a client could not tell a
  wrong method from a wrong path.
* ``POST /events`` is documented as a discriminated union on ``kind``, one
  schema per kind with that kind's payload (``models.EVENT_KINDS``), although
  the route parses the looser ``EventIn`` so that a mistyped kind or field is
  refused in the register's own words.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from fastapi import FastAPI
from pydantic import Field, TypeAdapter
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from openpesel.api.models import EVENT_KINDS
from openpesel.http import problems

PREFIX = "/api/v1"
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
_REFS = "#/components/schemas/{model}"


def _allowed(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods the API's routes serve at this request's path (HEAD comes with GET).

    Asked of the routes themselves, so included routers and path converters count.
    """
    return [method for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL
                   for route in routes)]


def _event_union(schema: dict[str, Any]) -> None:
    """Document ``POST /events``'s body as one schema per kind, discriminated by ``kind``."""
    union: Any = Annotated[Union[tuple(EVENT_KINDS)], Field(discriminator="kind")]  # noqa: UP007
    body = TypeAdapter(union).json_schema(ref_template=_REFS)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in body.pop("$defs", {}).items():
        components.setdefault(name, definition)
    operation = schema["paths"][f"{PREFIX}/events"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = body


class _NoSuchOperation:
    """What an API path answers when no declared operation takes the request."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = _allowed(self.routes, scope)
        if not allowed:
            response = problems.problem(404, "not-found", "No such API endpoint.")
        else:
            response = problems.problem(
                405, "method-not-allowed",
                f"{scope['method']} is not allowed here; allowed: {', '.join(allowed)}.")
            response.headers["Allow"] = ", ".join(allowed)
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Call after the API routers are included and before anything is mounted at ``/``."""
    api_routes = list(app.router.routes)

    # An ASGI app, not a function, so the route takes every method, even ones no list
    # names (QUERY); a function endpoint would take GET only.
    app.router.routes.append(Route(PREFIX + "/{rest:path}", _NoSuchOperation(api_routes),
                                   include_in_schema=False))
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _event_union(generate())
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]

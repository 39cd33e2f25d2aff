"""The HTTP edge: how much of a request is read, and what every response carries.

A pure ASGI middleware rather than ``@app.middleware("http")``: the body limit
must count bytes as the server hands them over. Checking ``Content-Length``
alone let a chunked body (which has none) through, and 300 MiB sent that way
was read in full before anything looked at it. Starlette's own limiter
(``max_body_size``) counts too, but answers text/plain and overrides the
problem+json the API promises, so the few lines live here.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openpesel.http import problems

MAX_BODY = 1 << 20
"""A request body over 1 MiB is refused: by its Content-Length before a byte is read, and
a chunked one as it arrives, at the first chunk that crosses the limit."""

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
"""On every response: personal data must not stay in a browser's or a proxy's cache, and a
body must never be sniffed into a type a browser would run."""


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing passes it on
    (it turns any other error there into a 400) to the app's problem+json handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"A request body may have at most {limit} bytes.")


class Edge:
    """Around the whole app, web pages included: one limit and one set of headers for all.

    A body cut short leaves bytes on the socket, so that response says
    ``Connection: close``; otherwise the server would go on reading (and
    discarding) the rest of a 300 MiB upload.
    """

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = cut = False

        async def send_marked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in NO_STORE.items():
                    headers.setdefault(name, value)
                if cut:  # the rest of the body is unread: close, or the server reads it all
                    headers["Connection"] = "close"
            await send(message)

        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            cut = True
            await self._refuse(scope, receive, send_marked)
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received, cut
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    cut = True
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, receive_counted, send_marked)
        except BodyTooLarge:  # read outside a route (a mounted page's form): answered here
            if started:
                raise
            await self._refuse(scope, receive, send_marked)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = BodyTooLarge(self.max_body)
        await problems.problem(413, "too-large", str(exc.detail))(scope, receive, send)

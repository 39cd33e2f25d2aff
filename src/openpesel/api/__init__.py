"""The HTTP API (FastAPI): a thin adapter over the accountable ``Gate``.

``openpesel.bootstrap.asgi`` serves it, with the web pages beside it.
"""

from openpesel.api.app import create_api

__all__ = ["create_api"]

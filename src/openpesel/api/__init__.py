"""The HTTP API (FastAPI): a thin adapter over the accountable ``Gate``."""

from openpesel.api.app import create_app

__all__ = ["create_app"]

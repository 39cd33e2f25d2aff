"""``openpesel serve``: the API and the web pages, through the composition root."""

from __future__ import annotations

from openpesel.cli.console import clear_errors, gate_for
from openpesel.errors import CannotServe


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the HTTP API (OpenAPI document at /openapi.json)."""
    import uvicorn

    with clear_errors():
        gate_for()  # fail here, with a clear line, if the register is not ready
        _check_port(host, port)
        try:
            uvicorn.run("openpesel.bootstrap.asgi:app_from_environment", factory=True, host=host,
                        port=port, workers=workers, log_level="info")
        except SystemExit as exc:  # uvicorn's own "startup failed" is 3, our "bad number"
            if exc.code not in (None, 0):
                raise CannotServe(f"The server on {host}:{port} failed to start.") from None


def _check_port(host: str, port: int) -> None:
    """Refuse a taken port up front: uvicorn would log a traceback and exit 3."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CannotServe(
                f"Cannot serve on {host}:{port}: {exc.strerror}. Is another server (the demo?) "
                "running? Stop it, or pick another port with --port.") from None

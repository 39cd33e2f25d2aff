"""``openpesel serve``: the API and the web pages, through the composition root.

On PostgreSQL the server runs one worker process per core by default: Python
runs one thread at a time, so a worker per core is what lets a request's CPU
work run beside another's. Each worker builds its own gate and connection pool
(``OPENPESEL_POOL_SIZE``), so nothing is shared between them but the database.
SQLite is served by one worker: it has one writer, and a second process would
only queue behind it for the write lock (docs/benchmarks.md measured 372
checks/s with two against 457/s with one), so several are refused.

No line is logged per request unless ``--access-log`` asks for it: uvicorn's
access log formats and writes a line for every request on the event loop,
CPU taken from the requests themselves (docs/profiles/issue17.md). Every
access to personal data is in the audit log anyway, with far more than a path.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from openpesel.cli.console import clear_errors, gate_for
from openpesel.errors import CannotServe


def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int | None, typer.Option(
              min=1, help="Worker processes. PostgreSQL: one per core by default; "
                          "SQLite: one (its only choice).")] = None,
          access_log: Annotated[bool, typer.Option(
              "--access-log", help="Log a line per HTTP request (off by default: it costs "
                                   "CPU on every request; accesses are audited anyway).")]
          = False) -> None:
    """Serve the HTTP API (OpenAPI document at /openapi.json)."""
    import uvicorn

    with clear_errors():
        gate = gate_for()  # fail here, with a clear line, if the register is not ready
        count = worker_count(gate.store.engine.dialect.name, workers)
        gate.store.dispose()  # each worker opens its own; this process only supervises them
        _check_port(host, port)
        try:
            uvicorn.run("openpesel.bootstrap.asgi:app_from_environment", factory=True, host=host,
                        port=port, workers=count, log_level="info",
                        access_log=access_log)
        except SystemExit as exc:  # uvicorn's own "startup failed" is 3, our "bad number"
            if exc.code not in (None, 0):
                raise CannotServe(f"The server on {host}:{port} failed to start.") from None


def worker_count(dialect: str, requested: int | None) -> int:
    """How many worker processes serve a store of ``dialect``; refuses several on SQLite."""
    if dialect != "postgresql":
        if requested is not None and requested > 1:
            raise CannotServe(
                f"Cannot serve SQLite with {requested} workers: it has one writer, so one "
                "worker serves it fastest. Leave --workers out, or put the register on "
                "PostgreSQL (OPENPESEL_DATABASE_URL) to run several.")
        return 1
    return requested or os.cpu_count() or 1


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

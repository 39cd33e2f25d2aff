"""The tests' throw-away PostgreSQL servers, run by pytest-postgresql's executor.

The session's shared server is ``pg_server`` in tests/conftest.py; the fault
test that pulls the database away mid-request (tests/faults/test_resource_loss.py)
gets one of its own here, which it can crash and start again. Both run
``tests/support/pg_ctl``, which finds Debian's binaries at run time and runs
them as the ``postgres`` user under root.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from port_for import get_port
from pytest_postgresql.executors import PostgreSQLExecutor

PG_CTL = Path(__file__).with_name("pg_ctl")

# A test server needs no crash safety from the disk: pg_ctl is started with -F
# (fsync off) by pytest-postgresql, and these spare it the rest of the waiting.
_FAST = "-c full_page_writes=off -c max_connections=60"
FAST = _FAST + " -c synchronous_commit=off"
# For a server the test crashes itself: a commit it acknowledged must be in its WAL.
DURABLE = _FAST


def url_of(server: PostgreSQLExecutor, database: str = "postgres") -> str:
    """The SQLAlchemy URL of a database on ``server``."""
    return f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{database}"


class CrashableServer(PostgreSQLExecutor):
    """A server that can go away as in a crash and come back on the same data."""

    def crash(self) -> None:
        """Stop it at once, as a crash or a pulled cable would: ``pg_ctl stop -m immediate``."""
        subprocess.run([self.executable, "stop", "-D", self.datadir, "-m", "immediate"],
                       check=True, capture_output=True)
        self._clear_process()  # the executor's record of the launcher; start() makes a new one


@contextmanager
def crashable_server(folder: Path) -> Iterator[CrashableServer]:
    """A durable server of the caller's own, its data under ``folder`` (which must not exist)."""
    folder.mkdir()
    port = get_port(None)
    assert port is not None, "no free port for PostgreSQL"
    server = CrashableServer(
        executable=str(PG_CTL), host="127.0.0.1", port=port,
        datadir=str(folder / "data"), unixsocketdir=tempfile.gettempdir(),
        logfile=str(folder / "log"), startparams="-w", dbname="tests",
        postgres_options=DURABLE)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.clean_directory()

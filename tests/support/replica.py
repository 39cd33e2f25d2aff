"""A PostgreSQL primary and a real streaming replica of it, for the read-routing tests.

The primary is a throw-away server of the test's own (``wal_level=replica``);
the replica is ``pg_basebackup -R`` of it, which writes ``standby.signal`` and
the ``primary_conninfo`` that makes it stream, started as a hot standby on
another port. Both run through ``tests/support/pg_ctl`` like every test server,
and ``pg_basebackup`` as the same user (``postgres`` under root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from port_for import get_port
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy import create_engine

from tests.support.postgres import DURABLE, PG_CTL, url_of

PRIMARY = DURABLE + " -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on"


def _tool(name: str) -> str:
    """A PostgreSQL program beside the ``pg_ctl`` the wrapper runs."""
    found = subprocess.run(["sh", "-c", f"command -v {name} || ls -d /usr/lib/postgresql/*/bin/"
                            f"{name} | sort -V | tail -n 1"], capture_output=True, text=True)
    path = found.stdout.strip().splitlines()[-1] if found.stdout.strip() else ""
    assert path, f"PostgreSQL's {name} is missing"
    return path


def _server(folder: Path, name: str, options: str) -> PostgreSQLExecutor:
    port = get_port(None)
    assert port is not None, "no free port for PostgreSQL"
    return PostgreSQLExecutor(
        executable=str(PG_CTL), host="127.0.0.1", port=port, datadir=str(folder / name),
        unixsocketdir=tempfile.gettempdir(), logfile=str(folder / f"{name}.log"),
        startparams="-w", dbname="tests", postgres_options=options)


@contextmanager
def primary_and_replica(folder: Path) -> Iterator[tuple[PostgreSQLExecutor, PostgreSQLExecutor]]:
    """A running primary and its streaming replica, data under ``folder`` (must not exist)."""
    folder.mkdir()
    primary = _server(folder, "primary", PRIMARY)
    primary.start()
    replica = _server(folder, "replica", DURABLE + " -c hot_standby=on")
    try:
        command = [_tool("pg_basebackup"), "-D", replica.datadir, "-R", "-X", "stream",
                   "-h", "127.0.0.1", "-p", str(primary.port), "-U", primary.user]
        if os.geteuid() == 0:  # the data must be the server user's, as pg_ctl's wrapper does
            shutil.chown(folder, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)
        replica._directory_initialised = True  # its data is the base backup: no initdb
        replica.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


def caught_up(primary: PostgreSQLExecutor, replica: PostgreSQLExecutor,
              timeout_s: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    ends = [create_engine(url_of(server)) for server in (primary, replica)]
    try:
        with ends[0].connect() as conn:
            target = conn.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar_one()
        deadline = time.monotonic() + timeout_s
        with ends[1].connect() as conn:
            while not conn.exec_driver_sql(
                    "SELECT pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn", {"lsn": target}
            ).scalar_one():
                conn.rollback()
                assert time.monotonic() < deadline, "the replica did not catch up"
                time.sleep(0.05)
    finally:
        for engine in ends:
            engine.dispose()

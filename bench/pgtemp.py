"""A real, throw-away PostgreSQL server for the benchmarks: initdb and pg_ctl in a temp dir.

PostgreSQL refuses to run as root, so under root (as in CI) the server runs
as the ``postgres`` user that Debian's package creates. It listens only on a
Unix socket inside its own directory: nothing else on the machine can reach it,
and nothing it does can clash with another server.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url


def pg_bin(tool: str) -> str:
    found = shutil.which(tool) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {tool} is missing; `make test` installs Debian's "
                           "postgresql package.")
    return found


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throw-away server; yield a SQLAlchemy URL for its ``postgres`` database."""
    url = create(Path(tempfile.mkdtemp(prefix="openpesel-pg-")))
    start(url)
    try:
        yield url
    finally:
        stop(url)
        shutil.rmtree(_root(url), ignore_errors=True)


def create(root: Path) -> str:
    """initdb a cluster under ``root`` (which must exist); return the URL it will serve."""
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(_as_server_user([pg_bin("initdb"), "-D", str(data), "-U", "postgres",
                                    "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    return url_for(root)


def url_for(root: Path) -> str:
    return f"postgresql+psycopg://postgres@/postgres?host={root / 'sock'}"


def _root(url: str) -> Path:
    """The server's directory, from the socket directory its URL names."""
    return Path(str(make_url(url).query["host"])).parent


def start(url: str, settings: Mapping[str, str] | None = None) -> None:
    """(Re)start the server behind ``url``; waits until it takes connections.

    Without ``settings`` it runs as a throw-away test server (``fsync`` off);
    with them, those settings alone are added to PostgreSQL's defaults, which
    are durable: the national-scale benchmark runs a server as production would.
    """
    root = _root(url)
    base = f"-c listen_addresses='' -c unix_socket_directories={root / 'sock'} "
    if settings is None:
        options = base + ("-c fsync=off -c full_page_writes=off -c max_connections=60"
                          " -c synchronous_commit=off")
    else:
        options = base + " ".join(f"-c {k}={v}" for k, v in settings.items())
    subprocess.run(_as_server_user([pg_bin("pg_ctl"), "-D", str(root / "data"), "-o", options,
                                    "-l", str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)


def stop(url: str) -> None:
    """Stop it at once, as a crash or a pulled cable would: ``pg_ctl stop -m immediate``."""
    subprocess.run(_as_server_user([pg_bin("pg_ctl"), "-D", str(_root(url) / "data"), "-m",
                                    "immediate", "stop"]), capture_output=True)



@contextmanager
def replica_of(primary: str) -> Iterator[str]:
    """A streaming replica of the running server behind ``primary``; yields its URL.

    ``pg_basebackup -R`` copies the primary into a directory of its own and writes
    ``standby.signal`` and the ``primary_conninfo`` (the primary's socket) that make
    it stream; it then runs as a hot standby until the block ends.
    """
    root = Path(tempfile.mkdtemp(prefix="openpesel-pg-replica-"))
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "sock", "postgres")
    url = url_for(root)
    try:
        subprocess.run(_as_server_user([
            pg_bin("pg_basebackup"), "-D", str(root / "data"), "-R", "-X", "stream",
            "-h", str(_root(primary) / "sock"), "-U", "postgres"]), check=True,
            capture_output=True)
        start(url)
        yield url
    finally:
        stop(url)
        shutil.rmtree(root, ignore_errors=True)

"""Engines for the two stores, and the one place driver errors are translated.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes: a writer takes
the database's write lock before it reads anything, so two allocations can
never read the same pool counter. Reads begin deferred and never block
writers. PostgreSQL locks the rows it is about to change (``FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc as sa_exc
from sqlalchemy.engine import make_url

from openpesel.errors import (
    ConcurrencyConflict,
    InvalidData,
    NotInitialised,
    StorageError,
    StorageFull,
    StorageUnavailable,
)

BUSY_TIMEOUT_MS = 60_000

# SQLite result codes (the low byte of ``sqlite_errorcode``) and PostgreSQL SQLSTATE classes
# that mean "the resource is gone", not "the request is wrong".
_SQLITE_FULL = 13
_SQLITE_GONE = {10, 14, 26}  # IOERR, CANTOPEN, NOTADB
_PG_FULL = "53100"  # disk_full
_PG_GONE = ("08", "57P")  # connection exception; operator intervention (shutdown)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.get_backend_name() != "sqlite":
        raise StorageError(f"Unsupported database {parsed.get_backend_name()!r}; "
                           "use a SQLite file or a PostgreSQL URL.")
    engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver exceptions into the register's own, once, at the storage edge."""
    try:
        yield
    except sa_exc.TimeoutError as exc:  # the pool: every connection busy for pool_timeout
        raise StorageUnavailable("The register is too busy: no database connection came free "
                                 "in time; nothing was written. Try again.") from exc
    except sa_exc.DBAPIError as exc:
        # SQLite rolls a whole transaction back on SQLITE_FULL, so the savepoint's own
        # rollback then fails ("no such savepoint"): the cause is earlier in the chain.
        cause: BaseException | None = exc
        for _ in range(8):
            if isinstance(cause, sa_exc.DBAPIError):
                _raise_lost_resource(cause, exc)
            cause = cause.__context__ if cause is not None else None
        text = str(exc.orig).lower()
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            raise NotInitialised() from exc
        if "locked" in text or "deadlock" in text or "could not serialize" in text:
            raise ConcurrencyConflict() from exc
        if "append-only" in text:
            raise StorageError(
                "The register's logs are append-only; their entries are never changed.") from exc
        if isinstance(exc, sa_exc.DataError):
            raise InvalidData(f"The database cannot store this value: {exc.orig}") from exc
        if isinstance(exc, sa_exc.IntegrityError):
            raise ConcurrencyConflict(
                "The change collided with another at the same moment (a unique key); try again."
            ) from exc
        raise StorageError(f"The register's database failed: {exc.orig}") from exc


def _raise_lost_resource(exc: sa_exc.DBAPIError, raised: sa_exc.DBAPIError) -> None:
    """A full disk or a database that went away: say so, without the driver's words.

    Both are transient: the engine's pool drops the dead connection (and
    PostgreSQL's ``pool_pre_ping`` tests the others), so the next request after
    the resource is back succeeds without restarting the process.
    """
    orig = exc.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    if (sqlite_code is not None and sqlite_code & 0xFF == _SQLITE_FULL) or \
            sqlstate.startswith(_PG_FULL):
        raise StorageFull() from raised
    if exc.connection_invalidated or sqlstate.startswith(_PG_GONE) or (
            sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_GONE) or (
            isinstance(exc, sa_exc.OperationalError) and sqlstate == "" and sqlite_code is None):
        raise StorageUnavailable() from raised

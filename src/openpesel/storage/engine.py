"""Engines for the two stores, and the one place driver errors are translated.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes: a writer takes
the database's write lock before it reads anything, so two allocations can
never read the same pool counter. Reads begin deferred and never block
writers. PostgreSQL locks the rows it is about to change (``FOR UPDATE``).

Both engines begin their transactions themselves (the ``begin`` event): psycopg
runs in autocommit mode and we send ``BEGIN`` or ``BEGIN READ ONLY``, the round
trip psycopg would send anyway. That first statement is also the only liveness
check: there is no ping before each transaction (``pool_pre_ping`` cost a round
trip per request). A connection that died while pooled fails its ``BEGIN``, with
nothing done yet, so ``Store`` retries once on a fresh one (``begun``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event, exc as sa_exc
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
_PG_RETRY = ("40001", "40P01")  # serialization failure (recovery conflict too); deadlock


@dataclass(frozen=True)
class PoolSize:
    """A PostgreSQL engine's connections, per process (each server worker has its own).

    A request holds one connection for one transaction at a time, and a worker
    runs one Python thread at a time, so a few connections keep a worker busy;
    more only add PostgreSQL backends competing for the same cores. A server of
    ``W`` workers opens at most ``W * (size + overflow)`` connections to each
    database (primary, replica), which must stay under ``max_connections``
    (100 by default): 5 + 5 allows 10 workers.
    """

    size: int = 5
    overflow: int = 5
    timeout_s: float = 30.0


SQLITE_POOL = PoolSize(size=20, overflow=20, timeout_s=BUSY_TIMEOUT_MS / 1000)
"""SQLite's connections, sized for the server's thread pool (anyio's 40 threads).

SQLAlchemy's default (5, and 10 more that are closed when given back) made a
busy server open and close connections all the time, each paying for its
``PRAGMA``s, and queue for the pool. A SQLite connection is cheap to keep
open: 20 stay, and up to 20 more while every thread holds one."""

# How the transaction begins, by the ``read_only`` execution option ``Store.read`` sets.
_SQLITE_BEGIN = {False: "BEGIN IMMEDIATE", True: "BEGIN DEFERRED"}
_PG_BEGIN = {False: "BEGIN", True: "BEGIN READ ONLY"}

# SQLite's settings on each new connection. WAL lets readers run beside the one writer;
# synchronous=NORMAL syncs at checkpoints, not at every commit (in WAL mode a crash loses
# no committed transaction; a power cut may lose the last few). mmap_size, cache_size and
# temp_store were each measured and left out: none made lookups clearly faster, and mmap
# doubled their p99 (docs/benchmarks.md, "SQLite settings").
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                  f"busy_timeout={BUSY_TIMEOUT_MS}")


def make_engine(url: str, pool: PoolSize | None = None,
                connect_timeout_s: int | None = None) -> Engine:
    """An engine for ``url``; ``pool`` and ``connect_timeout_s`` apply to PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        pool = pool or PoolSize()
        connect: dict[str, Any] = {"autocommit": True}  # we send BEGIN ourselves, below
        if connect_timeout_s is not None:
            connect["connect_timeout"] = connect_timeout_s
        engine = create_engine(parsed, pool_size=pool.size, max_overflow=pool.overflow,
                               pool_timeout=pool.timeout_s, connect_args=connect)
        _begin_with(engine, _PG_BEGIN)
        return engine
    if parsed.get_backend_name() != "sqlite":
        raise StorageError(f"Unsupported database {parsed.get_backend_name()!r}; "
                           "use a SQLite file or a PostgreSQL URL.")
    engine = create_engine(parsed, pool_size=SQLITE_POOL.size, max_overflow=SQLITE_POOL.overflow,
                           pool_timeout=SQLITE_POOL.timeout_s,
                           connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    _begin_with(engine, _SQLITE_BEGIN)
    return engine


def _begin_with(engine: Engine, statements: dict[bool, str]) -> None:
    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        begin_on_driver(conn, statements[bool(conn.get_execution_options().get("read_only"))])


def begin_on_driver(conn: Connection, statement: str) -> None:
    """Send ``statement`` (a ``BEGIN``) on the driver's connection, not through SQLAlchemy.

    ``exec_driver_sql`` costs about 50 µs of CPU a call (its events, context and
    result), and every transaction begins with one. A driver error is wrapped as
    SQLAlchemy would wrap it, a dead connection invalidated, so ``begun`` still
    sees ``connection_invalidated`` and retries on a fresh connection.
    """
    raw = conn.connection.dbapi_connection
    try:
        raw.execute(statement)  # type: ignore[union-attr]  # sqlite3's and psycopg's own
    except conn.dialect.loaded_dbapi.Error as exc:
        raise driver_error(conn, exc, statement, ()) from exc


def driver_error(conn: Connection, exc: Exception, statement: str,
                 params: Any) -> sa_exc.StatementError:
    """A driver's error as SQLAlchemy would raise it, having done what SQLAlchemy does with a
    lost connection: drop it and every connection pooled before it (the server restarted, so
    they are all dead), so that ``begun``'s one retry gets a fresh one."""
    dead = conn.dialect.is_disconnect(cast(Any, exc), conn.connection.dbapi_connection, None)
    if dead:
        conn.engine.pool._invalidate(conn.connection, exc)  # SQLAlchemy's own step, as above
        conn.invalidate(exc)
    return sa_exc.DBAPIError.instance(statement, params, exc, conn.dialect.loaded_dbapi.Error,
                                      connection_invalidated=dead, dialect=conn.dialect)


@contextmanager
def begun(engine: Engine, *, read_only: bool) -> Iterator[Connection]:
    """A connection in a transaction that has begun, committed on a clean exit.

    A pooled connection whose server went away (a restart, a failover, an idle
    time-out) fails at ``BEGIN``, before anything was done; SQLAlchemy then drops
    it and every connection pooled before it, and this begins once more on a
    fresh one. A failure after ``BEGIN`` is not retried: the caller's work may
    have been done.
    """
    for attempt in (1, 2):
        conn = engine.connect().execution_options(read_only=read_only)
        try:
            transaction = conn.begin()
            break
        except sa_exc.DBAPIError as exc:
            conn.close()
            if attempt == 2 or not exc.connection_invalidated:
                raise
    with conn, transaction:
        yield conn


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
        # 40001 also ends a replica's read that replay had to cancel (a recovery conflict).
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        if "locked" in text or "deadlock" in text or sqlstate in _PG_RETRY:
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

    Both are transient: the engine's pool drops the dead connection and those
    pooled before it, and ``begun`` retries a ``BEGIN`` that found one dead, so
    the next request after the resource is back succeeds without restarting the
    process.
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

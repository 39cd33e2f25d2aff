"""The register's storage: a ``Store`` hands out sessions, one per transaction.

``Store.read()`` and ``Store.write()`` hand out a session bound to one
transaction. Everything a use case does happens inside one of them, so an
event, its number assignment and its projections commit together or not at
all. The session's class is the engine's (``storage/session.py``), picked
once here; its parts live in modules of their own (the event log, numbers,
projections, vocabulary, name search, secrets, audit records).

With a ``replica_url`` (a PostgreSQL streaming replica of the primary, docs/
replication.md), ``read()`` transactions run on the replica and ``write()``
ones, audit entries among them, on the primary. A context that has written
(one request: an asyncio task, or one call into the thread pool) reads on the
primary from then on, so it sees its own writes; other requests may see the
replica's lag. A replica that cannot be reached is left alone for a while and
its reads go to the primary, with one warning in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, exc as sa_exc, inspect

from openpesel.errors import StorageError
from openpesel.storage.engine import PoolSize, begun, make_engine, translated_errors
from openpesel.storage.secrets import LOCAL_SECRETS, TOKEN_KEY
from openpesel.storage.session import StoreTransaction, session_class

__all__ = ["LOCAL_SECRETS", "TOKEN_KEY", "Store", "StoreTransaction"]
"""``Store``, and what other modules still import from here rather than from its home."""

log = logging.getLogger(__name__)

REPLICA_RETRY_S = 5.0
"""How long reads stay on the primary after the replica could not be reached."""
REPLICA_CONNECT_TIMEOUT_S = 2
"""A replica that does not answer within this is taken as down (its reads go to the primary)."""

_wrote: ContextVar[bool] = ContextVar("openpesel_wrote", default=False)
"""Whether this context (a request) wrote: its reads then go to the primary."""


class Store:
    """A register database: SQLite file by default, PostgreSQL by URL."""

    def __init__(self, url: str, *, replica_url: str | None = None,
                 pool: PoolSize | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool)
        self.replica: Engine | None = None
        if replica_url:
            self.replica = make_engine(replica_url, pool, REPLICA_CONNECT_TIMEOUT_S)
            if self.replica.dialect.name != "postgresql" or self.engine.dialect.name != \
                    "postgresql":
                raise StorageError("A read replica is a PostgreSQL streaming replica of a "
                                   "PostgreSQL primary (docs/replication.md).")
        self._replica_down_until = 0.0
        self._session = session_class(self.engine.dialect.name)
        self.vocabulary: set[str] = set()
        self.secrets: dict[str, bytes] = {}

    def initialise(self) -> None:
        """Create or upgrade the schema and the register's secrets; safe to repeat."""
        with translated_errors(), self.engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option(
                "script_location", str(resources.files("openpesel.storage") / "migrations"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            self._session(conn).make_secrets()

    def renew_secret(self, name: str) -> None:
        """Replace a local secret (the token key after a restore): what it signed stops working."""
        with self.write() as s:
            s.renew_secret(name)
        self.secrets.pop(name, None)

    def initialised(self) -> bool:
        with translated_errors():
            return bool(inspect(self.engine).has_table("register_meta"))

    @contextmanager
    def write(self) -> Iterator[StoreTransaction]:
        """A write transaction on the primary; this context's reads follow it there."""
        _wrote.set(True)
        with translated_errors():
            with begun(self.engine, read_only=False) as conn:
                session = self._session(conn, self.vocabulary, self.secrets)
                yield session
            self.vocabulary.update(session.pending_names)

    @contextmanager
    def read(self, *, primary: bool = False) -> Iterator[StoreTransaction]:
        """A read-only transaction: on the replica if there is one, unless ``primary``
        or this context has written (read your own writes)."""
        with translated_errors(), self._read_connection(primary) as conn:
            yield self._session(conn, secrets=self.secrets)

    @contextmanager
    def _read_connection(self, primary: bool) -> Iterator[Connection]:
        with ExitStack() as stack:
            conn = None
            if self.replica is not None and not primary and not _wrote.get() and \
                    time.monotonic() >= self._replica_down_until:
                conn = self._on_replica(self.replica, stack)
            if conn is None:
                conn = stack.enter_context(begun(self.engine, read_only=True))
            yield conn

    def _on_replica(self, replica: Engine, stack: ExitStack) -> Connection | None:
        """A read transaction begun on the replica, or None (logged) if it cannot be reached."""
        try:
            return stack.enter_context(begun(replica, read_only=True))
        except sa_exc.DBAPIError as exc:
            self._replica_down_until = time.monotonic() + REPLICA_RETRY_S
            log.warning("The read replica cannot be reached (%s); its reads go to the primary "
                        "for %.0f s.", str(exc.orig).strip().splitlines()[0], REPLICA_RETRY_S)
            return None

    def secret(self, name: str) -> bytes:
        if name not in self.secrets:
            with self.read() as s:
                s.secret(name)
        return self.secrets[name]

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()

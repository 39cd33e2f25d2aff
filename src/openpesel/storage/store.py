"""The register's storage: a ``Store`` hands out sessions, one per transaction.

``Store.read()`` and ``Store.write()`` hand out a session bound to one
transaction. Everything a use case does happens inside one of them, so an
event, its number assignment and its projections commit together or not at
all. The session's class is the engine's (``storage/session.py``), picked
once here; its parts live in modules of their own (the event log, numbers,
projections, vocabulary, name search, secrets, audit records).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from openpesel.storage.engine import make_engine, translated_errors
from openpesel.storage.secrets import LOCAL_SECRETS, TOKEN_KEY
from openpesel.storage.session import StoreTransaction, session_class

__all__ = ["LOCAL_SECRETS", "TOKEN_KEY", "Store", "StoreTransaction"]
"""``Store``, and what other modules still import from here rather than from its home."""


class Store:
    """A register database: SQLite file by default, PostgreSQL by URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
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
        with translated_errors():
            with self.engine.begin() as conn:
                session = self._session(conn, self.vocabulary, self.secrets)
                yield session
            self.vocabulary.update(session.pending_names)

    @contextmanager
    def read(self) -> Iterator[StoreTransaction]:
        with translated_errors(), self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                yield self._session(conn, secrets=self.secrets)

    def secret(self, name: str) -> bytes:
        if name not in self.secrets:
            with self.read() as s:
                s.secret(name)
        return self.secrets[name]

    def dispose(self) -> None:
        self.engine.dispose()

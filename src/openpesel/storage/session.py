"""A session: one transaction's view of the register, one class per engine.

``StoreTransaction`` gathers the parts, each a module with one job: the event log,
numbers, projections, the name vocabulary and index, secrets and the audit
records. Where SQLite and PostgreSQL differ, the part has a PostgreSQL
subclass, and ``PostgresTransaction`` is made of those; the ``Store`` picks the
class once, from its engine (``session_class``), so no method asks which
engine it runs on. A session implements the register's ports
(``registry/ports.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql

from openpesel.storage.audit_log import AuditRecords, PostgresAuditRecords
from openpesel.storage.event_log import PostgresEventLog
from openpesel.storage.numbers import PostgresNumbers
from openpesel.storage.projections import PostgresProjections, Projections
from openpesel.storage.search_index import NameSearch, PostgresNameSearch


class StoreTransaction(Projections, NameSearch, AuditRecords):
    """One transaction's view of the register (SQLite's, and what both engines share)."""

    def __init__(self, conn: Connection, vocabulary: set[str] | None = None,
                 secrets: dict[str, bytes] | None = None) -> None:
        super().__init__(conn)
        # Register secrets never change after ``init``: read each once per Store.
        self.secrets = secrets if secrets is not None else {}
        # Names known to be in the vocabulary (committed); names added by this
        # transaction join it only when the transaction commits.
        self.vocabulary = vocabulary if vocabulary is not None else set()
        self.pending_names: list[str] = []
        self._unchecked: set[str] = set()


class SqliteTransaction(StoreTransaction):
    """SQLite's session: the shared parts as they are (BEGIN IMMEDIATE serialises writers)."""


class PostgresTransaction(PostgresEventLog, PostgresProjections, PostgresNumbers,
                          PostgresNameSearch, PostgresAuditRecords, StoreTransaction):
    """PostgreSQL's session: row locks, and fewer round trips on the write path."""

    postgres: ClassVar[bool] = True

    def dialect_insert(self, table: Table) -> Any:
        return postgresql.insert(table)


def session_class(dialect_name: str) -> type[StoreTransaction]:
    """The session class for an engine, by its dialect's name."""
    return PostgresTransaction if dialect_name == "postgresql" else SqliteTransaction

"""Driver SQL on the hot path: ``RawSql`` statements and the transaction that runs them.

Every session of the register (``storage/session.py``) is a ``Transaction``:
the connection of one transaction, and the driver's own cursor on it for the
statements each registration runs. The per-concern parts of a session (log,
numbers, projections, vocabulary, secrets, audit records) extend this class,
and each engine's session class picks the engine's variant of each part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, NoReturn

from sqlalchemy import JSON, Column, Connection, Dialect, Table
from sqlalchemy.dialects import sqlite

from openpesel.storage.engine import driver_error

Processor = Callable[[Any], Any]

ROWS = Column("rows", JSON)
"""A parameter holding rows as a JSON list of objects: psycopg adapts one JSON text
several times faster than the arrays ``unnest`` would take."""


class RawSql:
    """A statement on the write path, written once as the driver's own SQL.

    A birth runs about ten statements, so their overhead is the budget: building
    a SQLAlchemy construct per call costs about 130 µs of CPU, running a prebuilt
    one about 25 µs, ``exec_driver_sql`` about 55 µs on psycopg and the driver's
    own cursor about 19 µs (``Transaction.run``). Values pass through the columns'
    own bind processors, so what is stored is byte for byte what SQLAlchemy
    would store (SQLite's UUID hex, date and JSON text).

    ``?`` is a parameter bound as the matching column. PostgreSQL gets explicit
    casts, as SQLAlchemy renders them, so its prepared statements keep one plan
    whatever the Python types. (The SQL is compiled once per dialect and cached.)
    """

    def __init__(self, sql: str, *columns: Column[Any],
                 returns: Sequence[Column[Any]] = ()) -> None:
        self.sql = " ".join(sql.split())
        self.columns = columns
        self.returns = tuple(returns)
        self._compiled: dict[str, tuple[str, list[Processor | None]]] = {}
        self._readers: dict[str, list[Processor | None]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, list[Processor | None]]:
        pieces = self.sql.split("?")
        if len(pieces) != len(self.columns) + 1:
            raise TypeError(f"{len(pieces) - 1} parameters for {len(self.columns)} columns")
        out = [pieces[0]]
        for column, piece in zip(self.columns, pieces[1:], strict=True):
            if dialect.name == "postgresql":
                out.append("%s::" + re.sub(r"\(.*\)", "", column.type.compile(dialect=dialect)))
            else:
                out.append("?")
            out.append(piece)
        return "".join(out), [column.type.dialect_impl(dialect).bind_processor(dialect)
                              for column in self.columns]

    def bind(self, dialect: Dialect, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        sql, processors = compiled
        return sql, tuple(v if p is None else p(v)
                          for v, p in zip(values, processors, strict=True))

    def read(self, dialect: Dialect, row: Sequence[Any]) -> tuple[Any, ...]:
        """A row as SQLAlchemy would hand it back: each value through the result
        processor of its column in ``returns`` (SQLite's datetime text, say)."""
        readers = self._readers.get(dialect.name)
        if readers is None:
            readers = self._readers[dialect.name] = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.returns]
        return tuple(v if p is None else p(v) for v, p in zip(row, readers, strict=True))


class Transaction:
    """One transaction's connection, and the driver's cursor for ``RawSql`` statements.

    ``postgres`` and ``dialect_insert`` are the engine's, fixed by the session
    class the ``Store`` picks once (``storage/session.py``), so no method asks
    which engine it runs on.
    """

    postgres: ClassVar[bool] = False

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cursor: Any = None

    def run(self, hot: RawSql, *values: Any) -> Any:
        """Run a ``RawSql`` statement in this transaction on the driver's cursor; returns it.

        Rows come back as the driver gives them (tuples, SQLite's UUIDs as hex).
        Driver errors are wrapped as SQLAlchemy would wrap them, so
        ``translated_errors`` turns them into the register's own.
        """
        sql, params = hot.bind(self.conn.dialect, values)
        return self._execute(sql, params, many=False)

    def one(self, hot: RawSql, *values: Any) -> tuple[Any, ...] | None:
        """The first row of a ``RawSql`` query, read through its ``returns`` columns."""
        row = self.run(hot, *values).fetchone()
        return None if row is None else hot.read(self.conn.dialect, row)

    def run_many(self, hot: RawSql, rows: Iterable[Sequence[Any]]) -> None:
        """Run a ``RawSql`` statement once per row (one round trip on psycopg)."""
        dialect = self.conn.dialect
        bound = [hot.bind(dialect, row) for row in rows]
        if bound:
            self._execute(bound[0][0], [params for _, params in bound], many=True)

    def _execute(self, sql: str, params: Any, many: bool) -> Any:
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        cursor = self._cursor
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            self._raise_wrapped(exc, sql, params)
        return cursor

    def _raise_wrapped(self, exc: Exception, sql: str, params: Any) -> NoReturn:
        """What SQLAlchemy does with a driver error: wrap it, and drop dead connections."""
        raise driver_error(self.conn, exc, sql, params) from exc

    def dialect_insert(self, table: Table) -> Any:
        """The engine's INSERT, which knows ON CONFLICT (SQLite's here)."""
        return sqlite.insert(table)

    def _insert_ignore(self, table: Table, **values: Any) -> None:
        """Insert a row unless its key is there already."""
        self.conn.execute(self.dialect_insert(table).values(**values).on_conflict_do_nothing())

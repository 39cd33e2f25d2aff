"""The bulk loader's writer: a chunk of ready rows into the register's tables, per engine.

``population.bulk`` numbers and builds a chunk's rows in plain Python; this
module is all the SQL it needs, so the loader holds no SQL of its own:

- reading what a chunk is numbered from (the pool counters, the next
  ``seq``, which numbers are already held) inside the chunk's transaction;
- writing the rows with ``executemany`` on SQLite and ``COPY`` on PostgreSQL,
  where one statement per table and chunk, not per row, is the whole point;
- the ``load_progress`` bookkeeping that makes a killed load resumable: a
  chunk and its progress row commit in one transaction.

As with the sessions, each engine has its own class (``writer_for`` picks
one from the engine), so no method asks which engine it runs on. New names
join the vocabulary through the sessions' own ``Vocabulary``.

``load_progress`` is created here (``CREATE TABLE IF NOT EXISTS``): it is
bookkeeping of this tool, not part of the register's schema, so it has no
migration.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql

from openpesel.registry.projection import PERSON_FIELDS
from openpesel.storage.engine import translated_errors
from openpesel.storage.packing import PAYLOADS, RECORDS, pack_texts
from openpesel.storage.vocabulary import Vocabulary

PROGRESS_DDL = """CREATE TABLE IF NOT EXISTS load_progress (
    seed BIGINT NOT NULL,
    size BIGINT NOT NULL,
    chunk_size INTEGER NOT NULL,
    chunk_index INTEGER NOT NULL,
    as_of VARCHAR(10) NOT NULL,
    residents INTEGER NOT NULL,
    events INTEGER NOT NULL,
    done_at VARCHAR(40) NOT NULL,
    PRIMARY KEY (seed, size, chunk_size, chunk_index)
)"""

Pools = dict[tuple[str, str], int]
"""Pool counters: (birth date in ISO form, sex) -> numbers issued."""


@dataclass
class ChunkRows:
    """Everything one chunk writes, as plain values both drivers accept, in column order
    (``persons``: ``registry.projection.PERSON_FIELDS``)."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    persons: list[tuple[Any, ...]] = field(default_factory=list)
    names: list[tuple[str, str, str, str, str, str | None]] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ChunkDone:
    """A chunk an earlier run committed, and the load it belonged to."""

    size: int
    chunk: int
    index: int
    as_of: str


def writer_for(engine: Engine) -> type[BulkWriter]:
    """The writer class for an engine, by its dialect's name."""
    return PostgresBulkWriter if engine.dialect.name == "postgresql" else BulkWriter


def chunks_done(engine: Engine, seed: int) -> list[ChunkDone]:
    """The chunks of population ``seed`` already committed, by any earlier run."""
    with translated_errors(), engine.begin() as conn:
        conn.exec_driver_sql(PROGRESS_DDL)
        rows = conn.exec_driver_sql(
            "SELECT size, chunk_size, chunk_index, as_of FROM load_progress "
            f"WHERE seed = {int(seed)}").all()
    return [ChunkDone(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]


def all_pools(engine: Engine) -> Pools:
    """Every pool's counter as committed now: what the first chunk is numbered from."""
    with translated_errors(), engine.connect() as conn:
        return {(str(d), str(s)): int(n) for d, s, n in conn.exec_driver_sql(
            "SELECT birth_date, sex, issued FROM pesel_pools")}


class BulkWriter(Vocabulary):
    """One chunk's transaction on SQLite (and what both engines share).

    SQLite writes in the loader's own process, so a writer thread would only
    take turns with the preparing one for the GIL: ``pipelined`` is False.
    """

    pipelined: ClassVar[bool] = False
    """Whether the next chunk should be prepared while this one is written."""

    def __init__(self, conn: Connection, vocabulary: set[str]) -> None:
        super().__init__(conn)
        self.raw: Any = conn.connection.driver_connection
        self.vocabulary = vocabulary
        self.pending_names: list[str] = []

    @classmethod
    @contextmanager
    def chunk(cls, engine: Engine, vocabulary: set[str]) -> Iterator[BulkWriter]:
        """A write transaction that holds the pools: per-event allocations wait for it.

        ``vocabulary`` (the store's names known to be committed) learns the
        chunk's new names once the chunk commits.
        """
        with translated_errors():
            with engine.begin() as conn:
                writer = cls(conn, vocabulary)
                writer._hold_pools()
                yield writer
            vocabulary.update(writer.pending_names)

    @staticmethod
    def now() -> str:
        """Transaction time in the form the engine's column stores (SQLite: naive UTC)."""
        return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @classmethod
    def reserve_seqs(cls, engine: Engine, count: int) -> Sequence[int]:
        """Event numbers for a chunk prepared ahead of its transaction.

        SQLite's are only assumed to follow the last event; ``seqs_hold``
        checks that under the write lock.
        """
        with translated_errors(), engine.connect() as conn:
            first = int(conn.exec_driver_sql(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM events").scalar_one())
        return range(first, first + count)

    def _hold_pools(self) -> None:
        # The engine's transactions begin IMMEDIATE: the write lock is held already.
        self.cursor().execute("PRAGMA cache_size = -200000")

    def cursor(self) -> Any:
        return self.raw.cursor()

    def _q(self, sql: str) -> str:
        """Statements are written with ``?``, SQLite's own marks."""
        return sql

    def done(self, seed: int, size: int, chunk: int, index: int) -> bool:
        cur = self.cursor()
        cur.execute(self._q("SELECT 1 FROM load_progress WHERE seed = ? AND size = ? AND "
                            "chunk_size = ? AND chunk_index = ?"), (seed, size, chunk, index))
        return cur.fetchone() is not None

    def pools(self, first: str, last: str) -> Pools:
        """The counters of the pools born ``first`` to ``last`` (ISO dates), as committed."""
        cur = self.cursor()
        cur.execute(self._q("SELECT birth_date, sex, issued FROM pesel_pools WHERE birth_date "
                            "BETWEEN ? AND ?"), (first, last))
        return {(str(d), str(s)): int(n) for d, s, n in cur.fetchall()}

    def held(self, pesels: list[str]) -> set[str]:
        """Which of ``pesels`` someone already holds (or held)."""
        cur = self.cursor()
        cur.execute("SELECT pesel FROM pesel_assignments WHERE pesel IN "
                    "(SELECT value FROM json_each(?))", (json.dumps(pesels),))
        return {str(r[0]) for r in cur.fetchall()}

    def seqs_hold(self, seqs: Sequence[int]) -> bool:
        """Whether event numbers reserved before the transaction are still free."""
        return self._next_seq() == seqs[0]

    def seqs(self, count: int) -> Sequence[int]:
        """Event numbers taken under the write lock."""
        first = self._next_seq()
        return range(first, first + count)

    def _next_seq(self) -> int:
        cur = self.cursor()
        cur.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events")
        return int(cur.fetchone()[0])

    def _insert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" for _ in columns.split(","))
            self.cursor().executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def _set_counters(self, rows: list[tuple[str, str, int]]) -> None:
        self.cursor().executemany(
            "INSERT INTO pesel_pools (birth_date, sex, issued) VALUES (?, ?, ?) "
            "ON CONFLICT (birth_date, sex) DO UPDATE SET issued = excluded.issued", rows)

    def write(self, rows: ChunkRows, counters: Mapping[tuple[str, str], int]) -> None:
        """Write a chunk's rows, its new names and its pools' new counters.

        Payloads and records arrive as the JSON text the proof checked, and are
        packed here, as the columns' type packs them on every other path."""
        payloads = pack_texts((e[3] for e in rows.events), PAYLOADS)
        self._insert("events", "seq, person_id, kind, payload, effective_date, recorded_at, "
                     "authority, document_ref",
                     [(*e[:3], packed, *e[4:]) for e, packed in zip(rows.events, payloads,
                                                                     strict=True)])
        self._insert("pesel_assignments", "pesel, person_id, assigned_seq", rows.assignments)
        records = pack_texts((p[-1] for p in rows.persons), RECORDS)
        self._insert("persons", ", ".join(PERSON_FIELDS),
                     [(*p[:-1], packed) for p, packed in zip(rows.persons, records,
                                                             strict=True)])
        # With sex, birth date and place written here, migration 0005's trigger has
        # nothing to copy from ``persons`` for each name.
        self._insert("person_names", "name_norm, person_id, role, sex, birth_date, teryt",
                     rows.names)
        self._insert("person_links", "person_id, relation, other_id", rows.links)
        self._add_to_vocabulary(rows.vocabulary)
        if counters:
            self._set_counters([(d, s, n) for (d, s), n in sorted(counters.items())])

    def mark_done(self, seed: int, size: int, chunk: int, index: int, as_of: datetime.date,
                  residents: int, events: int) -> None:
        """The chunk's progress row: it commits with the chunk, so a re-run skips it."""
        self.cursor().execute(self._q(
            "INSERT INTO load_progress (seed, size, chunk_size, chunk_index, as_of, residents, "
            "events, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            (seed, size, chunk, index, as_of.isoformat(), residents, events, self.now()))


class PostgresBulkWriter(BulkWriter):
    """One chunk's transaction on PostgreSQL: ``COPY``, and seqs reserved with ``nextval``.

    The server writes in its own process, so the loader prepares chunk k+1
    while a thread hands it chunk k: both cores work.
    """

    postgres: ClassVar[bool] = True
    pipelined: ClassVar[bool] = True

    def dialect_insert(self, table: Table) -> Any:
        return postgresql.insert(table)

    @staticmethod
    def now() -> str:
        return datetime.datetime.now(datetime.UTC).isoformat(sep=" ")

    @classmethod
    def reserve_seqs(cls, engine: Engine, count: int) -> Sequence[int]:
        """Event numbers taken with ``nextval``: the chunk's whatever happens since."""
        with translated_errors(), engine.begin() as conn:
            return cls(conn, set()).seqs(count)

    def _hold_pools(self) -> None:
        # Blocks writers of the pools (per-event allocations), not their readers.
        self.cursor().execute("LOCK TABLE pesel_pools IN EXCLUSIVE MODE")

    def _q(self, sql: str) -> str:
        """psycopg wants ``%s`` where the statements say ``?``."""
        return sql.replace("?", "%s")

    def held(self, pesels: list[str]) -> set[str]:
        cur = self.cursor()
        cur.execute("SELECT pesel FROM pesel_assignments WHERE pesel = ANY(%s)", (pesels,))
        return {str(r[0]) for r in cur.fetchall()}

    def seqs_hold(self, seqs: Sequence[int]) -> bool:
        return True  # reserved with nextval: no one else can have taken them

    def seqs(self, count: int) -> Sequence[int]:
        cur = self.cursor()
        cur.execute("SELECT nextval(pg_get_serial_sequence('events', 'seq')) "
                    "FROM generate_series(1, %s)", (count,))
        return sorted(int(r[0]) for r in cur.fetchall())

    def _copy(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        with self.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _insert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._copy(table, columns, rows)

    def _set_counters(self, rows: list[tuple[str, str, int]]) -> None:
        # A chunk moves tens of thousands of pools: COPY them aside, then one upsert.
        self.cursor().execute("CREATE TEMP TABLE IF NOT EXISTS bulk_pesel_pools "
                              "(LIKE pesel_pools) ON COMMIT DELETE ROWS")
        self._copy("bulk_pesel_pools", "birth_date, sex, issued", rows)
        self.cursor().execute(
            "INSERT INTO pesel_pools (birth_date, sex, issued) SELECT birth_date, sex, issued "
            "FROM bulk_pesel_pools ON CONFLICT (birth_date, sex) "
            "DO UPDATE SET issued = excluded.issued")

"""Compact storage: records and payloads packed, and the indexes no query uses dropped.

A register of 38.5 million residents took about 2.9 KB a resident, so it did
not fit this project's machine (about 70 GB free). Most of those bytes were
JSON key names repeated in every row, and indexes that nothing read:

- ``persons.record`` and ``events.payload`` become packed JSON
  (``storage/packing.py``): the same JSON text, compressed with a zstd
  dictionary; about 1 KB becomes about 150 bytes, and 200 about 45. The text
  inside is byte for byte the text stored before (``json.dumps``'s form), so
  the log's meaning is untouched. On PostgreSQL the columns become ``bytea``.
- ``persons``' unique index on ``pesel``: every lookup by number goes through
  ``pesel_assignments``, whose primary key already makes a number unique (and
  keeps retired ones). SQLite's stays, built into its table: removing it would
  copy the table.
- ``ix_persons_birth_date``: birth dates are searched in the name keys'
  index, and filters on ``persons`` only ever apply to rows found by id.
- ``ix_pesel_assignments_person_id``: nothing asks for a person's numbers by
  id; a record lists its former numbers itself.

**The event log is rewritten in place here, once.** Its triggers refuse any
UPDATE; the migration lifts them for its own statement and puts them back in
the same transaction. Each payload is packed from its exact stored text and
nothing else changes (``tests/storage/test_compact_storage.py`` compares
every event of an old register before and after).

Registers created at this revision or later have the packed columns from
the start; the work below then finds nothing to do.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import Connection, inspect

from openpesel.storage.packing import PAYLOADS, RECORDS, pack_text, unpack_text

revision = "0009"
down_revision = "0008"

_BATCH = 5000
_COLUMNS = (("persons", "record"), ("events", "payload"))
_UNUSED = (("persons", "ix_persons_birth_date", "birth_date"),
           ("pesel_assignments", "ix_pesel_assignments_person_id", "person_id"))
_SQLITE_TRIGGERS = ["""CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"""]


def _indexes(conn: Connection, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(conn).get_indexes(table)}


def _repack(conn: Connection, table: str, key: str, column: str, dict_id: int | None) -> None:
    """Pack every plain JSON value of ``table.column`` (``dict_id`` None: unpack every packed
    one), by keyset, ``_BATCH`` rows a statement."""
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    last: Any = None
    while True:
        where = "" if last is None else f"WHERE {key} > {mark}"
        cursor.execute(f"SELECT {key}, {column} FROM {table} {where} ORDER BY {key} "
                       f"LIMIT {_BATCH}", () if last is None else (last,))
        rows = cursor.fetchall()
        if not rows:
            return
        if dict_id is None:
            packed: list[tuple[Any, Any]] = [
                (unpack_text(v).encode() if postgres else unpack_text(v), k)
                for k, v in rows if not _plain(v)]
        else:
            packed = [(pack_text(unpack_text(v), dict_id), k) for k, v in rows if _plain(v)]
        if packed:
            cursor.executemany(f"UPDATE {table} SET {column} = {mark} WHERE {key} = {mark}",
                               packed)
        last = rows[-1][0]


def _plain(value: Any) -> bool:
    """Whether a stored value is plain JSON text (the first byte of packed ones is an id)."""
    return bytes(value[:1]) == b"{" if isinstance(value, (bytes, memoryview)) else True


def _rewrite_log(conn: Connection, dict_ids: tuple[int | None, int | None]) -> None:
    """(Un)pack records and payloads, the log's UPDATE triggers lifted for this alone."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE events DISABLE TRIGGER events_no_change")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
    _repack(conn, "persons", "person_id", "record", dict_ids[0])
    _repack(conn, "events", "seq", "payload", dict_ids[1])
    if postgres:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_no_change")
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for table, column in _COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea "
                       f"USING convert_to({column}::text, 'UTF8')")
        op.execute("ALTER TABLE persons DROP CONSTRAINT IF EXISTS persons_pesel_key")
    _rewrite_log(conn, (RECORDS, PAYLOADS))
    for table, index, _ in _UNUSED:
        if index in _indexes(conn, table):
            op.drop_index(index, table_name=table)


def downgrade() -> None:
    """Back to plain JSON and the old indexes: tests make "an older register" this way."""
    conn = op.get_bind()
    _rewrite_log(conn, (None, None))
    if conn.dialect.name == "postgresql":
        for table, column in _COLUMNS:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json "
                       f"USING convert_from({column}, 'UTF8')::json")
        op.execute("ALTER TABLE persons ADD CONSTRAINT persons_pesel_key UNIQUE (pesel)")
    for table, index, column in _UNUSED:
        if index not in _indexes(conn, table):
            op.create_index(index, table, [column])

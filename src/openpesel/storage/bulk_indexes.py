"""A load into an empty register builds its secondary indexes after the data, not row by row.

Why: inserting 38.5 million residents' keys into B-trees one by one writes
every index page many times, at random, and leaves the trees about 70 % full.
Building an index once, from sorted data, writes each page once and packs it
(PostgreSQL: 90 %). Measured in ``docs/benchmarks.md``: the load is faster
and the register smaller.

Only a load that starts on an empty register does this (``defer``); on a
register in use the indexes stay, as clerks need them. What was dropped is
written down in ``load_deferred`` first, in the same transaction, so a load
killed half-way finds it there when it is run again, and ``restore`` builds
exactly what was dropped. Until then the register answers slowly: a load
into an empty register owns it until it finishes.

The triggers that copy a bearer's sex, birth date and TERYT onto name keys
(migration 0005) are set aside too: the bulk writer writes those columns
itself, and on PostgreSQL the per-row trigger would probe ``person_names``
for every resident inserted.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from openpesel.storage.engine import translated_errors

DEFERRED_DDL = """CREATE TABLE IF NOT EXISTS load_deferred (
    name VARCHAR(80) PRIMARY KEY,
    restore TEXT NOT NULL
)"""

INDEXES = ("ix_events_person_seq", "ix_person_names_search", "ix_person_names_person",
           "ix_persons_place", "ix_person_links_other", "ix_person_links_person")
"""Secondary indexes a bulk load writes: the primary keys stay (numbers are checked
against ``pesel_assignments``' while loading)."""

_POSTGRES_TRIGGER = ("persons_search_keys",
                     "ALTER TABLE persons ENABLE TRIGGER persons_search_keys",
                     "ALTER TABLE persons DISABLE TRIGGER persons_search_keys")
_SQLITE_TRIGGERS = ("persons_search_keys_insert",)


def _empty(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM persons LIMIT 1").first() is None


def _set_aside(conn: Connection) -> list[tuple[str, str]]:
    """Drop what ``defer`` defers; returns (name, statement that restores it)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        rows = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = ANY(%(names)s)", {"names": list(INDEXES)}).all()
    else:
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND name IN "
            f"({', '.join('?' for _ in INDEXES + _SQLITE_TRIGGERS)})",
            INDEXES + _SQLITE_TRIGGERS).all()
    aside = [(str(name), str(sql)) for name, sql in rows]
    for name, _ in aside:
        kind = "TRIGGER" if name in _SQLITE_TRIGGERS else "INDEX"
        conn.exec_driver_sql(f"DROP {kind} {name}")
    if postgres:
        name, enable, disable = _POSTGRES_TRIGGER
        conn.exec_driver_sql(disable)
        aside.append((name, enable))
    return aside


def defer(engine: Engine) -> bool:
    """Set the secondary indexes aside if the register is empty; whether they are aside
    (now, or since a load that was killed)."""
    postgres = engine.dialect.name == "postgresql"
    mark = "%(name)s, %(restore)s" if postgres else ":name, :restore"
    with translated_errors(), engine.begin() as conn:
        conn.exec_driver_sql(DEFERRED_DDL)
        if conn.exec_driver_sql("SELECT 1 FROM load_deferred LIMIT 1").first() is not None:
            return True
        if not _empty(conn):
            return False
        aside = _set_aside(conn)
        for name, restore in aside:
            conn.exec_driver_sql(f"INSERT INTO load_deferred (name, restore) VALUES ({mark})",
                                 {"name": name, "restore": restore} if postgres else
                                 (name, restore))
        return bool(aside)


def restore(engine: Engine) -> int:
    """Build what ``defer`` set aside, one at a time (each commits with its row's removal);
    returns how many."""
    postgres = engine.dialect.name == "postgresql"
    with translated_errors(), engine.begin() as conn:
        conn.exec_driver_sql(DEFERRED_DDL)
        pending = conn.exec_driver_sql("SELECT name, restore FROM load_deferred").all()
    for name, statement in pending:
        with translated_errors(), engine.begin() as conn:
            if postgres:
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
            conn.exec_driver_sql(str(statement).replace("CREATE INDEX ", "CREATE INDEX IF NOT "
                                                        "EXISTS ", 1))
            conn.exec_driver_sql("DELETE FROM load_deferred WHERE name = "
                                 + ("%(name)s" if postgres else "?"),
                                 {"name": name} if postgres else (name,))
    if pending and postgres:
        with translated_errors(), engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return len(pending)

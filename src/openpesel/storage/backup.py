"""Backups with each engine's own tools, and a digest to prove a restore is faithful.

- SQLite: the online backup API copies a consistent snapshot while writers go
  on (WAL readers never block them).
- PostgreSQL: ``pg_dump`` in custom format (one consistent snapshot) and
  ``pg_restore`` into an empty database.

Neither carries ``local_secrets`` (the token key): whoever holds a backup
could otherwise mint bearer tokens for the live register. A restore makes a
fresh token key, so tokens issued before it stop working there too.

``digest`` hashes the log, the number assignments, the projections and the
audit log in a fixed order, so "the restored register is the same" is one
comparison.
"""

from __future__ import annotations

import glob
import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from openpesel.errors import StorageError
from openpesel.storage.auth_tables import local_secrets
from openpesel.storage.store import LOCAL_SECRETS, Store

DIGESTED = [
    ("events", "seq"), ("pesel_assignments", "pesel"), ("pesel_pools", "birth_date, sex"),
    ("persons", "person_id"), ("person_names", "person_id, name_norm, role"),
    ("person_links", "person_id, relation"), ("reservations", "pesel"),
    ("audit_entries", "idx"), ("audit_heads", "id"),
]


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise StorageError(f"PostgreSQL's {name} is missing; install Debian's postgresql-client.")
    return found


def _libpq(store: Store) -> str:
    url = make_url(store.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(store: Store) -> str:
    database = make_url(store.url).database
    if not database:
        raise StorageError("An in-memory SQLite register cannot be backed up.")
    return database


def backup(store: Store, target: Path) -> None:
    """Write a consistent copy of the register to ``target`` while it stays in use."""
    if target.exists():
        raise StorageError(f"{target} exists; a backup never overwrites a file.")
    if store.engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(store))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
            _leave_out_local_secrets(copy)
        finally:
            copy.close()
            source.close()
        return
    done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner",
                           f"--exclude-table-data={local_secrets.name}", "--file",
                           str(target), _libpq(store)], capture_output=True, text=True)
    if done.returncode != 0:
        raise StorageError(f"pg_dump failed: {done.stderr.strip()}")


def _leave_out_local_secrets(copy: sqlite3.Connection) -> None:
    """Delete the copy's local secrets, overwriting their bytes (not just unlinking the row)."""
    copy.execute("PRAGMA secure_delete = ON")
    present = copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (local_secrets.name,)).fetchone()
    with copy:
        if present:
            copy.execute(f"DELETE FROM {local_secrets.name}")


def restore(source: Path, store: Store) -> None:
    """Restore a backup into an empty register (a new SQLite file, an empty database).

    The restored register gets fresh local secrets (the token key): the backup
    carries none, and one made before revision 0007 carried the live key.
    """
    _restore(source, store)
    store.initialise()  # a backup from an older version is brought up to date
    for name in sorted(LOCAL_SECRETS):
        store.renew_secret(name)


def _restore(source: Path, store: Store) -> None:
    if not source.is_file():
        raise StorageError(f"No backup at {source}.")
    if store.initialised():
        raise StorageError("The target register is not empty; restore only into a new one.")
    if store.engine.dialect.name == "sqlite":
        original = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(store))
        try:
            with target:
                original.backup(target)
        finally:
            target.close()
            original.close()
        return
    done = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error",
                           "--dbname", _libpq(store), str(source)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise StorageError(f"pg_restore failed: {done.stderr.strip()}")


def digest(store: Store) -> str:
    """SHA-256 over every row of the log, the numbers, the projections and the audit log."""
    h = hashlib.sha256()
    with store.read() as s:
        for table, order in DIGESTED:
            h.update(table.encode())
            for row in s.conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}")):
                h.update(repr(tuple(_plain(v) for v in row)).encode())
    return h.hexdigest()


def _plain(value: object) -> object:
    """The same value reads back differently typed from the two engines; normalise."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return str(value)

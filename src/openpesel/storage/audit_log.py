"""The audit log's tables, read and written: entries, stored subtrees, the state row, heads.

What goes in them (the Merkle tree's arithmetic, signing, verifying) is
``access/audit.py``'s business; this module only knows the SQL. Appending
locks the single ``audit_state`` row until commit (``FOR UPDATE`` on
PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), which
keeps the indices gap-free and ordered. An audited birth appends one entry,
so the append path is driver SQL (``RawSql``), one round trip on PostgreSQL
(``PostgresAuditRecords``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, tuple_

from openpesel.storage.audit_tables import audit_entries, audit_heads, audit_nodes, audit_state
from openpesel.storage.driver import ROWS, RawSql, Transaction

Node = tuple[int, int, bytes]
"""A stored subtree: (level, index, hash)."""

_BATCH = 5000
_e, _n, _st = audit_entries.c, audit_nodes.c, audit_state.c
_READ_STATE = select(_st.size, _st.frontier).where(_st.id == 1)
_TAKE_STATE = RawSql("SELECT size, frontier FROM audit_state WHERE id = 1")
_TAKE_STATE_LOCKED = RawSql("SELECT size, frontier FROM audit_state WHERE id = 1 FOR UPDATE")
_ENTRY = RawSql("INSERT INTO audit_entries (idx, leaf_hash, entry, person_id) VALUES (?, ?, ?, ?)",
             _e.idx, _e.leaf_hash, _e.entry, _e.person_id)
_NODE = RawSql("INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
            _n.level, _n.idx, _n.hash)
_STATE = RawSql("UPDATE audit_state SET size = ?, frontier = ? WHERE id = 1",
             _st.size, _st.frontier)
# PostgreSQL: the entries, the subtrees they complete and the new state in one round trip.
_APPEND_PG = RawSql("""WITH
    e AS (INSERT INTO audit_entries (idx, leaf_hash, entry, person_id)
          SELECT x.i, decode(x.l, 'hex'), decode(x.e, 'hex'), x.p
          FROM json_to_recordset(?) AS x(i bigint, l text, e text, p uuid)),
    n AS (INSERT INTO audit_nodes (level, idx, hash) SELECT x.l, x.i, decode(x.h, 'hex')
          FROM json_to_recordset(?) AS x(l smallint, i bigint, h text))
    UPDATE audit_state SET size = ?, frontier = ? WHERE id = 1""",
                    ROWS, ROWS, _st.size, _st.frontier)


class AuditRecords(Transaction):
    """The audit log's statements; SQLite's way unless an engine overrides."""

    _take_state = _TAKE_STATE

    # -- appending ---------------------------------------------------------

    def take_audit_state(self) -> tuple[int, bytes] | None:
        """(size, frontier) of the log, held for this transaction; None if there is no row."""
        row = self.run(self._take_state).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def append_audit_entries(self, entries: Sequence[tuple[int, bytes, bytes, uuid.UUID | None]],
                             nodes: Sequence[Node], size: int, frontier: bytes) -> None:
        """(index, leaf hash, bytes, person) entries, one write per table for them all."""
        self.run_many(_ENTRY, entries)
        self.run_many(_NODE, nodes)
        self.run(_STATE, size, frontier)

    def keep_audit_head(self, size: int, root: bytes, timestamp_ms: int, key_id: bytes,
                        signature: bytes) -> None:
        self.conn.execute(insert(audit_heads).values(
            size=size, root=root, timestamp_ms=timestamp_ms, key_id=key_id,
            signature=signature))

    # -- reading -----------------------------------------------------------

    def audit_state(self) -> tuple[int, bytes] | None:
        """(size, frontier), as read; None if there is no row (``take_audit_state`` holds it)."""
        row = self.conn.execute(_READ_STATE).first()
        return None if row is None else (int(row.size), bytes(row.frontier))

    def audit_heads(self, latest_only: bool = False) -> list[Any]:
        """Signed heads' rows (id, size, root, timestamp_ms, key_id, signature), oldest first,
        or only the latest."""
        if latest_only:
            query = select(audit_heads).order_by(audit_heads.c.id.desc()).limit(1)
        else:
            query = select(audit_heads).order_by(audit_heads.c.id)
        return list(self.conn.execute(query))

    def audit_entries(self, offset: int, limit: int) -> list[tuple[int, bytes]]:
        """A page of (index, bytes), newest first."""
        rows = self.conn.execute(select(_e.idx, _e.entry).order_by(_e.idx.desc())
                                 .offset(offset).limit(limit))
        return [(int(r.idx), bytes(r.entry)) for r in rows]

    def audit_entries_for(self, person_id: uuid.UUID) -> list[tuple[int, bytes]]:
        """(index, bytes) of the entries naming ``person_id``, oldest first."""
        rows = self.conn.execute(select(_e.idx, _e.entry).where(_e.person_id == person_id)
                                 .order_by(_e.idx))
        return [(int(r.idx), bytes(r.entry)) for r in rows]

    def iter_audit_entries(self, bound: int | None) -> Iterator[Any]:
        """Every entry's row (idx, leaf_hash, entry, person_id) below ``bound``, in order,
        read in batches."""
        last = -1
        while True:
            query = select(audit_entries).where(_e.idx > last)
            if bound is not None:
                query = query.where(_e.idx < bound)
            rows = self.conn.execute(query.order_by(_e.idx).limit(_BATCH)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].idx

    def audit_nodes(self) -> Iterator[Node]:
        """Every stored subtree, by level and index."""
        for row in self.conn.execute(select(audit_nodes).order_by(_n.level, _n.idx)):
            yield int(row.level), int(row.idx), bytes(row.hash)

    def audit_hashes(self, wanted: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored hashes of these (level, index) subtrees (level 0: leaves), one query
        per table; missing ones are left out."""
        leaves = sorted(i for level, i in wanted if level == 0)
        nodes = sorted((level, i) for level, i in wanted if level > 0)
        found: dict[tuple[int, int], bytes] = {}
        if leaves:
            found.update(((0, int(r.idx)), bytes(r.leaf_hash)) for r in self.conn.execute(
                select(_e.idx, _e.leaf_hash).where(_e.idx.in_(leaves))))
        if nodes:
            found.update(((int(r.level), int(r.idx)), bytes(r.hash)) for r in self.conn.execute(
                select(audit_nodes).where(tuple_(_n.level, _n.idx).in_(nodes))))
        return found


class PostgresAuditRecords(AuditRecords):
    """PostgreSQL locks the state row, and appends any number of entries in one round trip."""

    _take_state = _TAKE_STATE_LOCKED

    def append_audit_entries(self, entries: Sequence[tuple[int, bytes, bytes, uuid.UUID | None]],
                             nodes: Sequence[Node], size: int, frontier: bytes) -> None:
        rows = [{"i": i, "l": leaf.hex(), "e": data.hex(), "p": None if p is None else str(p)}
                for i, leaf, data, p in entries]
        self.run(_APPEND_PG, rows, [{"l": level, "i": i, "h": h.hex()} for level, i, h in nodes],
                 size, frontier)

"""The audit log's tables: the Merkle tree's leaves, its stored subtrees, its heads.

- ``audit_entries`` keeps each entry's exact bytes with their leaf hash, so
  ``verify`` can recompute every hash from what was written, and appending
  never recomputes the tree. ``person_id`` is copied out of the bytes only so
  a resident's entries can be found by index; ``verify`` checks the copy.
- ``audit_nodes`` stores every complete (perfect) subtree's hash once it is
  complete; together with the leaves it answers any root or proof in
  O(log n) lookups instead of rehashing the whole log.
- ``audit_state`` is one row: the size and the right edge of the tree (the
  "frontier"). Writers lock it, which makes indices gap-free and ordered.
- ``audit_heads`` holds every signed tree head ever issued.

Entries, nodes and heads are append-only: migration 0002 installs triggers
that refuse UPDATE and DELETE on both engines.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Uuid,
)

from openpesel.storage.schema import SeqType, metadata

audit_state = Table(
    "audit_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("frontier", LargeBinary, nullable=False),
    CheckConstraint("id = 1", name="ck_audit_state_single_row"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    Column("person_id", Uuid, nullable=True),
    Index("ix_audit_entries_person", "person_id", "idx"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("key_id", LargeBinary(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

APPEND_ONLY = ("audit_entries", "audit_nodes", "audit_heads")

"""The keys that seal each fingerprint enrolment's templates (crypto-shredding).

The log is append-only, so a template written into it can never be deleted. Each
enrolment's templates are therefore sealed with a key of its own, kept here, outside
the log: destroying the key is what erases them (``dedup/sealing.py``). The row stays,
with ``key`` emptied and ``erased_at`` set, so the erasure can be shown and counted.
Backups copy this table like any other: a backup taken before an erasure still opens
the templates, so backups must be kept no longer than the shortest retention
(docs/retention.md).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, LargeBinary, String, Table, Uuid, insert, select, update

from openpesel.storage.schema import SeqType, metadata
from openpesel.storage.session import StoreTransaction

biometric_keys = Table(
    "biometric_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("person_id", Uuid, nullable=False, index=True),
    Column("enrolment_seq", SeqType, nullable=False),
    Column("basis", String(16), nullable=True),
    Column("key", LargeBinary, nullable=True),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    person_id: uuid.UUID
    enrolment_seq: int
    basis: str | None
    key: bytes | None
    erased_at: datetime.datetime | None


def put(s: StoreTransaction, key_id: str, person_id: uuid.UUID, enrolment_seq: int,
        basis: str | None, key: bytes) -> None:
    s.conn.execute(insert(biometric_keys).values(
        key_id=key_id, person_id=person_id, enrolment_seq=enrolment_seq, basis=basis, key=key))


def key(s: StoreTransaction, key_id: str, person_id: uuid.UUID, enrolment_seq: int
        ) -> bytes | None:
    """The key of that person's enrolment, or None once it was destroyed (or if the
    key id names another enrolment: a copied key id opens nothing)."""
    c = biometric_keys.c
    found = s.conn.execute(select(c.key).where(
        c.key_id == key_id, c.person_id == person_id, c.enrolment_seq == enrolment_seq,
    )).scalar_one_or_none()
    return None if found is None else bytes(found)


def erased_since(s: StoreTransaction, since: datetime.datetime) -> list[KeyRow]:
    """Keys destroyed since ``since``: whose images a later run deletes again, in case a
    run stopped between its commit and the deletion."""
    c = biometric_keys.c
    rows = s.conn.execute(select(biometric_keys).where(c.erased_at >= since))
    return [KeyRow(r.key_id, r.person_id, r.enrolment_seq, r.basis, None, r.erased_at)
            for r in rows]


def held(s: StoreTransaction, basis: str) -> list[KeyRow]:
    """Keys not yet destroyed for enrolments under ``basis``: what retention reviews."""
    c = biometric_keys.c
    rows = s.conn.execute(select(biometric_keys).where(c.basis == basis, c.key.is_not(None))
                          .order_by(c.enrolment_seq))
    return [KeyRow(r.key_id, r.person_id, r.enrolment_seq, r.basis,
                   None if r.key is None else bytes(r.key), r.erased_at) for r in rows]


def destroy(s: StoreTransaction, key_id: str, at: datetime.datetime) -> None:
    """Overwrite the key with nothing. The old bytes may linger on disk until the engine
    reuses the space: PostgreSQL's old row version until VACUUM, SQLite's page until the
    WAL is checkpointed and the page rewritten; ``openpesel fingerprints retention``
    documents running VACUUM after it (docs/retention.md)."""
    s.conn.execute(update(biometric_keys).where(biometric_keys.c.key_id == key_id)
                   .values(key=None, erased_at=at))

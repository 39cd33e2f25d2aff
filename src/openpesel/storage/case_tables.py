"""Tables of the fingerprint examiners' work: the case log and the ABIS reference store.

- ``adjudication_log`` is append-only like ``events`` (migration 0004 installs
  the triggers): a case is opened once and every decision on it is a new row,
  so what an examiner saw and decided can never be rewritten. A case's state
  is the fold of its rows (``openpesel.dedup.cases``).
- ``abis_references`` holds the templates a national-ID platform inserted
  through MOSIP's ABIS interface, keyed by its own ``referenceId``. It is not
  the register: the platform may delete its references, as the protocol says;
  every such call is in the audit log.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, String, Table, Uuid

from openpesel.storage.schema import SeqType, metadata

adjudication_log = Table(
    "adjudication_log",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("case_id", Uuid, nullable=False),
    Column("kind", String(16), nullable=False),  # opened | decided
    Column("at", DateTime(timezone=True), nullable=False),
    Column("principal", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Index("ix_adjudication_log_case", "case_id", "seq"),
)

abis_references = Table(
    "abis_references",
    metadata,
    Column("reference_id", String(64), primary_key=True),
    Column("templates", JSON, nullable=False),  # [{"finger": n, "template": base64 ISO}]
    Column("inserted_at", DateTime(timezone=True), nullable=False),
)

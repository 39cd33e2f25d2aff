"""The register's tables. ``events`` is the truth; the rest is derived or bookkeeping.

- ``events`` is append-only: triggers on both engines refuse UPDATE and DELETE.
- ``pesel_assignments`` records every number ever held; its primary key makes
  reuse impossible, and a retired number keeps its row forever.
- ``pesel_pools`` is one counter per (birth date, sex): the n-th issue uses
  the n-th element of the register's keyed permutation.
- ``persons``, ``person_names``, ``person_links`` and ``name_variants`` are
  projections, written in the same transaction as the event and rebuildable.

A record and a payload are stored packed (``storage/packing.py``), and no
index exists that no query uses (migration 0009 says which went and why):
38.5 million residents must fit one machine.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
)

from openpesel.storage.packing import PAYLOADS, RECORDS, PackedJson

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

register_meta = Table(
    "register_meta",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("person_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", PackedJson(PAYLOADS), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("authority", String(16), nullable=False),
    Column("document_ref", String(120), nullable=False),
    Column("supersedes", SeqType, ForeignKey("events.seq"), nullable=True),
    Index("ix_events_person_seq", "person_id", "seq"),
)

pesel_assignments = Table(
    "pesel_assignments",
    metadata,
    Column("pesel", String(11), primary_key=True),
    Column("person_id", Uuid, nullable=False),
    Column("assigned_seq", SeqType, ForeignKey("events.seq"), nullable=False),
    Column("retired_seq", SeqType, ForeignKey("events.seq"), nullable=True),
)

pesel_pools = Table(
    "pesel_pools",
    metadata,
    Column("birth_date", Date, primary_key=True),
    Column("sex", String(1), primary_key=True),
    Column("issued", Integer, nullable=False),
)

persons = Table(
    "persons",
    metadata,
    Column("person_id", Uuid, primary_key=True),
    Column("pesel", String(11), nullable=False),
    Column("family_name", String(80), nullable=False),
    Column("first_names", String(250), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("teryt", String(7), nullable=True),
    Column("alive", Boolean, nullable=False),
    Column("civil_status", String(10), nullable=False),
    Column("last_seq", SeqType, nullable=False),
    Column("record", PackedJson(RECORDS), nullable=False),
    Index("ix_persons_teryt", "teryt"),
)

person_names = Table(
    "person_names",
    metadata,
    Column("name_norm", String(80), nullable=False),
    Column("person_id", Uuid, nullable=False),
    Column("role", String(8), nullable=False),  # first | family | former
    Index("ix_person_names_name", "name_norm", "person_id"),
    Index("ix_person_names_person", "person_id"),
)

name_variants = Table(
    "name_variants",
    metadata,
    Column("variant", String(80), primary_key=True),
    Column("name_norm", String(80), primary_key=True),
)

person_links = Table(
    "person_links",
    metadata,
    Column("person_id", Uuid, nullable=False),
    Column("relation", String(8), nullable=False),  # mother | father | spouse
    Column("other_id", Uuid, nullable=False),
    Index("ix_person_links_person", "person_id"),
    Index("ix_person_links_other", "other_id", "relation"),
)

past_parents = Table(
    "past_parents",
    metadata,
    Column("child_id", Uuid, primary_key=True),
    Column("parent_id", Uuid, primary_key=True),
    Index("ix_past_parents_parent", "parent_id"),
)
"""Every parent any version of a record named, for records an adoption or a correction
rewrote: an as-of read of a parent finds the children of a past date here (``registry/kin``)."""

reservations = Table(
    "reservations",
    metadata,
    Column("pesel", String(11), primary_key=True),
    Column("person_id", Uuid, nullable=False, index=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("withdraw_at", DateTime(timezone=True), nullable=True),
)
"""Projection of the reservation register: one primary-key probe answers a bank's check."""

principals = Table(
    "principals",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(24), nullable=False),
    Column("display_name", String(120), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("totp_secret", String(64), nullable=True),
    Column("person_id", Uuid, nullable=True, index=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""Officials, machine clients and residents who may call the register."""

tokens = Table(
    "tokens",
    metadata,
    Column("jti", String(36), primary_key=True),
    Column("principal", String(64), ForeignKey("principals.name"), nullable=False, index=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
"""Every bearer token issued, so that any one can be revoked before it expires."""

PROJECTIONS = (persons, person_names, person_links, past_parents, reservations)

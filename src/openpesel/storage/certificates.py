"""Issued certificates (zaświadczenia): what each stated, its PDF, and its revocation.

A certificate is a copy of part of a record at one moment, so it is kept as
issued, never derived again: the exact contents (canonical JSON) and their
SHA-256, which the QR code's signed payload names, and the PDF bytes with
their SHA-256, so a PDF handed to a checker is compared byte for byte. The
record's last event at issue (``record_seq``) tells a checker later whether
the record has changed since. Revocation (withdrawn by the office) is the only
change a row ever sees.

Migration 0010 creates the table, spelled out there so that a later change
here cannot change what that revision created.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
    update,
)

from openpesel.storage.event_log import utc
from openpesel.storage.schema import metadata
from openpesel.storage.session import StoreTransaction

certificates = Table(
    "certificates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("person_id", Uuid, nullable=False),
    Column("pesel", String(11), nullable=False),
    Column("scope", String(8), nullable=False),
    Column("language", String(2), nullable=False),
    Column("contents", Text, nullable=False),
    Column("contents_sha256", String(64), nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Column("qr", Text, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(64), nullable=True),
    Column("revocation_reason", String(200), nullable=True),
    Index("ix_certificates_person_id", "person_id"),
    Index("ix_certificates_pdf_sha256", "pdf_sha256"),
)


@dataclass(frozen=True)
class Certificate:
    id: uuid.UUID
    person_id: uuid.UUID
    pesel: str
    scope: str
    language: str
    contents: str
    contents_sha256: str
    record_seq: int
    qr: str
    pdf: bytes
    pdf_sha256: str
    issued_at: datetime.datetime
    issued_by: str
    revoked_at: datetime.datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None


def add(s: StoreTransaction, c: Certificate) -> None:
    s.conn.execute(insert(certificates).values(
        id=c.id, person_id=c.person_id, pesel=c.pesel, scope=c.scope, language=c.language,
        contents=c.contents, contents_sha256=c.contents_sha256, record_seq=c.record_seq,
        qr=c.qr, pdf=c.pdf, pdf_sha256=c.pdf_sha256, issued_at=c.issued_at, issued_by=c.issued_by))


def _row(row: object) -> Certificate:
    r = row._mapping  # type: ignore[attr-defined]
    return Certificate(r["id"], r["person_id"], r["pesel"], r["scope"], r["language"],
                       r["contents"], r["contents_sha256"], int(r["record_seq"]),
                       r["qr"], bytes(r["pdf"]), r["pdf_sha256"], _at(r["issued_at"]),
                       r["issued_by"], utc(r["revoked_at"]), r["revoked_by"],
                       r["revocation_reason"])


def _at(moment: datetime.datetime) -> datetime.datetime:
    found = utc(moment)
    assert found is not None
    return found


def find(s: StoreTransaction, certificate_id: uuid.UUID) -> Certificate | None:
    row = s.conn.execute(select(certificates).where(certificates.c.id == certificate_id)
                         ).first()
    return None if row is None else _row(row)


def find_by_pdf(s: StoreTransaction, pdf_sha256: str) -> Certificate | None:
    """The certificate whose PDF has exactly this SHA-256: a changed byte finds none."""
    row = s.conn.execute(select(certificates).where(certificates.c.pdf_sha256 == pdf_sha256)
                         ).first()
    return None if row is None else _row(row)


def revoke(s: StoreTransaction, certificate_id: uuid.UUID, by: str, reason: str,
           at: datetime.datetime) -> bool:
    """Mark a certificate revoked; False if it was revoked already (the first one stands)."""
    done = s.conn.execute(update(certificates).where(
        certificates.c.id == certificate_id, certificates.c.revoked_at.is_(None)
    ).values(revoked_at=at, revoked_by=by, revocation_reason=reason))
    return bool(done.rowcount)

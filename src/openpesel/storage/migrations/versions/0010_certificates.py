"""Certificates (issue 19): the ``certificates`` table, ``storage/certificates.py``.

One row per certificate issued: its contents and their SHA-256, its PDF and
the PDF's SHA-256 (a checker's PDF is found by it), the record's last event
at issue, and the revocation if the office withdrew it.

Spelled out here rather than taken from ``storage/certificates.py`` so that a
later change to that module cannot change what this revision created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("person_id", sa.Uuid, nullable=False),
        sa.Column("pesel", sa.String(11), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("contents", sa.Text, nullable=False),
        sa.Column("contents_sha256", sa.String(64), nullable=False),
        sa.Column("record_seq", sa.BigInteger, nullable=False),
        sa.Column("qr", sa.Text, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(64), nullable=True),
        sa.Column("revocation_reason", sa.String(200), nullable=True),
    )
    op.create_index("ix_certificates_person_id", "certificates", ["person_id"])
    op.create_index("ix_certificates_pdf_sha256", "certificates", ["pdf_sha256"])


def downgrade() -> None:
    op.drop_index("ix_certificates_pdf_sha256", table_name="certificates")
    op.drop_index("ix_certificates_person_id", table_name="certificates")
    op.drop_table("certificates")

"""Revision 0011 (biometric_keys): one key per fingerprint enrolment, outside the log.

Each new enrolment's templates are sealed with its own key; destroying the key
erases them while the append-only log keeps the fact of the enrolment
(``storage/biometric_keys.py``, docs/retention.md). Enrolments recorded before
this revision stay as they were: unsealed, and with no basis (kept until an official
classifies them; docs/retention.md).

Spelled out here rather than taken from ``storage/biometric_keys.py`` so that a
later change to that module cannot change what this revision created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "biometric_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("person_id", sa.Uuid, nullable=False),
        sa.Column("enrolment_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("basis", sa.String(16), nullable=True),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_biometric_keys_person_id", "biometric_keys", ["person_id"])


def downgrade() -> None:
    op.drop_table("biometric_keys")

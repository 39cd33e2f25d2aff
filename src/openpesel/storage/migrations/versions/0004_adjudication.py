"""Adjudication: the append-only case log, and the ABIS reference store.

Spelled out here rather than taken from ``case_tables`` so that a later change
to that module cannot change what this revision created. The case log gets
the same triggers as ``events`` on both engines.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_SQLITE = [
    """CREATE TRIGGER adjudication_log_no_update BEFORE UPDATE ON adjudication_log
       BEGIN SELECT RAISE(ABORT, 'adjudication_log is append-only'); END""",
    """CREATE TRIGGER adjudication_log_no_delete BEFORE DELETE ON adjudication_log
       BEGIN SELECT RAISE(ABORT, 'adjudication_log is append-only'); END""",
]
_POSTGRES = [
    """CREATE FUNCTION adjudication_append_only() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'adjudication_log is append-only'; END $$""",
    """CREATE TRIGGER adjudication_log_no_change BEFORE UPDATE OR DELETE ON adjudication_log
       FOR EACH STATEMENT EXECUTE FUNCTION adjudication_append_only()""",
    """CREATE TRIGGER adjudication_log_no_truncate BEFORE TRUNCATE ON adjudication_log
       FOR EACH STATEMENT EXECUTE FUNCTION adjudication_append_only()""",
]


def upgrade() -> None:
    bind = op.get_bind()
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "adjudication_log",
        sa.Column("seq", seq, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_adjudication_log_case", "adjudication_log", ["case_id", "seq"])
    op.create_table(
        "abis_references",
        sa.Column("reference_id", sa.String(64), primary_key=True),
        sa.Column("templates", sa.JSON, nullable=False),
        sa.Column("inserted_at", sa.DateTime(timezone=True), nullable=False),
    )
    for statement in _POSTGRES if bind.dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("The case log is never dropped: decisions are the register's.")

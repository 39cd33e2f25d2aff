"""Audit log: entries, stored subtree hashes, the single state row, signed heads.

The tables are spelled out here, not taken from ``audit_tables``, so that a
later change to the module cannot silently change what this revision created.
As for ``events``, triggers make entries, nodes and heads append-only inside
the database, and the state row can be updated but never deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

_APPEND_ONLY = ("audit_entries", "audit_nodes", "audit_heads")


def _sqlite_triggers() -> list[str]:
    out = []
    for table in _APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            out.append(f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")
    out.append("""CREATE TRIGGER audit_state_no_delete BEFORE DELETE ON audit_state
        BEGIN SELECT RAISE(ABORT, 'audit_state is append-only: its row is never deleted'); END""")
    return out


def _postgres_triggers() -> list[str]:
    out = [
        """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
    ]
    for table in _APPEND_ONLY:
        out.append(f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""")
    for table in (*_APPEND_ONLY, "audit_state"):
        out.append(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""")
    out.append("""CREATE TRIGGER audit_state_no_delete BEFORE DELETE ON audit_state
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""")
    return out


def upgrade() -> None:
    bind = op.get_bind()
    state = op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_state_single_row"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("entry", sa.LargeBinary, nullable=False),
        sa.Column("person_id", sa.Uuid, nullable=True),
    )
    op.create_index("ix_audit_entries_person", "audit_entries", ["person_id", "idx"])
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_heads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.LargeBinary(32), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0, "frontier": b""}])
    triggers = _postgres_triggers() if bind.dialect.name == "postgresql" else _sqlite_triggers()
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("The audit log is never dropped: it is the register's memory.")

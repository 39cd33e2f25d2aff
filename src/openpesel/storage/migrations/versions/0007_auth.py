"""Hardened logins (issue 14): token key out of backups, one use per TOTP code, a login brake.

- ``local_secrets``: the token key moves here, where backups leave it out. The
  key that ``register_meta`` held is not moved but dropped: every backup taken
  so far carries it, so ``Store.initialise`` makes a fresh one and tokens
  issued before the upgrade stop working (their holders log in again).
- ``totp_steps``: the last TOTP step each principal used (RFC 6238 §5.2).
- ``login_failures``: failed logins per (name, address), for ``access/brake.py``.

Spelled out here rather than taken from ``storage/auth_tables.py`` so that a
later change to that module cannot change what this revision created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "local_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "totp_steps",
        sa.Column("principal", sa.String(64), sa.ForeignKey("principals.name"),
                  primary_key=True),
        sa.Column("last_step", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_login_failures_last_failure", "login_failures", ["last_failure_at"])
    meta = sa.table("register_meta", sa.column("name", sa.String))
    op.execute(meta.delete().where(meta.c.name == "token_key"))


def downgrade() -> None:
    """The key goes back where revision 0006 looks for it, or that code could not start."""
    op.execute("INSERT INTO register_meta (name, value) "
               "SELECT name, value FROM local_secrets WHERE name = 'token_key'")
    for table in ("login_failures", "totp_steps", "local_secrets"):
        op.drop_table(table)

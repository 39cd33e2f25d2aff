"""Access: principals and their tokens, and the reservation register's projection."""

from __future__ import annotations

from alembic import op

from openpesel.storage import schema

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    schema.metadata.create_all(
        op.get_bind(), tables=[schema.principals, schema.tokens, schema.reservations])


def downgrade() -> None:
    for table in ("tokens", "principals", "reservations"):
        op.drop_table(table)

"""Placeholder revision 0008 (audit_witness); its owner fills it in."""

from __future__ import annotations

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

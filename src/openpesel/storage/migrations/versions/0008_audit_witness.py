"""Revision 0008 (audit_witness): no schema change.

Automatic signing writes the existing ``audit_heads`` table, and the heads a
witness keeps live in the witness's own file, outside the register on
purpose (``access/witness.py``). The revision stays so the chain is unbroken.
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Past parents: every parent a version of a rewritten record named.

An as-of read of a parent lists the children of that date, and a child
adopted since (or whose birth entry was corrected) no longer names that
parent in ``person_links``. ``past_parents`` keeps the pairs, for the records
an adoption or a correction rewrote; the read folds each candidate, so the
table may name one parent too many but never misses one.

Spelled out here rather than taken from ``schema`` so that a later change to
that module cannot change what this revision created. Existing registers are
filled from their log: every ``mother_id``/``father_id`` of the events (and
corrections' replacements) of people who have an adoption or a correction.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def _named(payload: Any) -> set[str]:
    doc = json.loads(payload) if isinstance(payload, str | bytes) else payload
    versions = [doc, doc.get("replacement") or {}]
    return {str(v[k]) for v in versions for k in ("mother_id", "father_id") if v.get(k)}


def upgrade() -> None:
    op.create_table(
        "past_parents",
        sa.Column("child_id", sa.Uuid, primary_key=True),
        sa.Column("parent_id", sa.Uuid, primary_key=True),
    )
    op.create_index("ix_past_parents_parent", "past_parents", ["parent_id"])
    bind = op.get_bind()
    events = sa.table("events", sa.column("person_id", sa.Uuid), sa.column("kind", sa.String),
                      sa.column("payload", sa.JSON))
    rewritten = sa.select(events.c.person_id).where(
        events.c.kind.in_(["adopted", "corrected"])).distinct().scalar_subquery()
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for row in bind.execute(sa.select(events.c.person_id, events.c.payload)
                            .where(events.c.person_id.in_(rewritten))):
        pairs |= {(row.person_id, uuid.UUID(p)) for p in _named(row.payload)}
    if pairs:
        kin = sa.table("past_parents", sa.column("child_id", sa.Uuid),
                       sa.column("parent_id", sa.Uuid))
        bind.execute(kin.insert(), [{"child_id": c, "parent_id": p} for c, p in sorted(pairs)])


def downgrade() -> None:
    op.drop_table("past_parents")

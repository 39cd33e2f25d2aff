"""Baseline: the event log, number pools and projections.

The baseline creates the tables from ``schema.metadata`` as it stood when the
register was founded; later revisions change them with explicit ``op`` calls.
The triggers make the log append-only inside the database itself, so no code
path, however buggy, can rewrite history.
"""

from __future__ import annotations

from alembic import op

from openpesel.storage import schema

revision = "0001"
down_revision = None

_SQLITE = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
]
_POSTGRES = [
    """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$""",
    """CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
]


def upgrade() -> None:
    bind = op.get_bind()
    tables = [schema.register_meta, schema.events, schema.pesel_assignments, schema.pesel_pools,
              schema.persons, schema.person_names, schema.name_variants, schema.person_links]
    schema.metadata.create_all(bind, tables=tables)
    for statement in _POSTGRES if bind.dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("The register's baseline is never dropped.")

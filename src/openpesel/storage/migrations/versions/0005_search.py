"""Search: each name key carries its bearer's sex, birth date and TERYT, indexed.

Name search used to find every bearer of a name and then look each one up in
``persons`` to apply the filters and to rank them, so a query's cost grew with
how many people carry its names (about 6 million Nowaks in a synthetic
register of 38.5 million). With the index ``(name_norm, sex, birth_date,
person_id, role, teryt)`` the bearers of one name of one sex come out in a
fixed order, already narrowed by birth date; whether the same person carries
a second name is one probe of the same index, and whether they live in a
place is read from the entry itself. Search then walks only as far as the
page it is asked for (``registry/search.py``).

The columns are kept equal to ``persons`` by triggers, not by the code that
writes names, so that every writer (the event path, ``rebuild_projections``,
the bulk loader, an import, a restore) keeps them right without knowing about
them:

- a name row inserted without sex or birth date takes all three from its
  bearer's ``persons`` row (a writer that supplies all three, as a bulk writer
  may, skips the trigger's work);
- a ``persons`` row inserted or updated sets them on its names where they
  differ: a move, or a correction of the birth date or of sex.

Existing rows are filled here, which on a register of millions takes minutes.
``ix_person_names_name`` (``name_norm, person_id``) is dropped: the new index
serves every query it served, and one index fewer is one fewer to write per
name.

``ix_persons_teryt`` becomes ``ix_persons_place`` (``teryt, sex, birth_date,
person_id``): a search narrowed to a municipality can then list its residents
from the index alone, where reading each one's ``persons`` row (a kilobyte of
JSON, at random) cost four times as much.

``schema`` still describes the columns writers write and the indexes of the
baseline; ``storage/search_index.py`` describes ``person_names`` as this
revision leaves it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

_INDEX_COLUMNS = ["name_norm", "sex", "birth_date", "person_id", "role", "teryt"]
_PLACE_COLUMNS = ["teryt", "sex", "birth_date", "person_id"]

_SQLITE = [
    """CREATE TRIGGER person_names_search_keys AFTER INSERT ON person_names
       WHEN NEW.sex IS NULL OR NEW.birth_date IS NULL
       BEGIN
         UPDATE person_names SET (sex, birth_date, teryt) = (SELECT p.sex, p.birth_date, p.teryt
           FROM persons AS p WHERE p.person_id = NEW.person_id)
         WHERE rowid = NEW.rowid;
       END""",
    """CREATE TRIGGER persons_search_keys_insert AFTER INSERT ON persons
       BEGIN
         UPDATE person_names SET sex = NEW.sex, birth_date = NEW.birth_date, teryt = NEW.teryt
         WHERE person_id = NEW.person_id AND (sex IS NOT NEW.sex
           OR birth_date IS NOT NEW.birth_date OR teryt IS NOT NEW.teryt);
       END""",
    """CREATE TRIGGER persons_search_keys_update AFTER UPDATE OF sex, birth_date, teryt ON persons
       BEGIN
         UPDATE person_names SET sex = NEW.sex, birth_date = NEW.birth_date, teryt = NEW.teryt
         WHERE person_id = NEW.person_id AND (sex IS NOT NEW.sex
           OR birth_date IS NOT NEW.birth_date OR teryt IS NOT NEW.teryt);
       END""",
]
_SQLITE_DROP = ["DROP TRIGGER person_names_search_keys", "DROP TRIGGER persons_search_keys_insert",
                "DROP TRIGGER persons_search_keys_update"]

_POSTGRES = [
    """CREATE FUNCTION person_names_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         SELECT p.sex, p.birth_date, p.teryt INTO NEW.sex, NEW.birth_date, NEW.teryt
         FROM persons AS p WHERE p.person_id = NEW.person_id;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER person_names_search_keys BEFORE INSERT ON person_names FOR EACH ROW
       WHEN (NEW.sex IS NULL OR NEW.birth_date IS NULL)
       EXECUTE FUNCTION person_names_search_keys()""",
    """CREATE FUNCTION persons_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE person_names SET sex = NEW.sex, birth_date = NEW.birth_date, teryt = NEW.teryt
         WHERE person_id = NEW.person_id AND (sex IS DISTINCT FROM NEW.sex
           OR birth_date IS DISTINCT FROM NEW.birth_date OR teryt IS DISTINCT FROM NEW.teryt);
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER persons_search_keys
       AFTER INSERT OR UPDATE OF sex, birth_date, teryt ON persons
       FOR EACH ROW EXECUTE FUNCTION persons_search_keys()""",
]
_POSTGRES_DROP = ["DROP TRIGGER persons_search_keys ON persons",
                  "DROP FUNCTION persons_search_keys()",
                  "DROP TRIGGER person_names_search_keys ON person_names",
                  "DROP FUNCTION person_names_search_keys()"]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("person_names", sa.Column("sex", sa.String(1), nullable=True))
    op.add_column("person_names", sa.Column("birth_date", sa.Date, nullable=True))
    op.add_column("person_names", sa.Column("teryt", sa.String(7), nullable=True))
    # Before the index exists, so that filling the rows does not also write it.
    op.execute(
        "UPDATE person_names SET sex = p.sex, birth_date = p.birth_date, teryt = p.teryt "
        "FROM persons AS p WHERE p.person_id = person_names.person_id" if postgres else
        "UPDATE person_names SET (sex, birth_date, teryt) = (SELECT p.sex, p.birth_date, "
        "p.teryt FROM persons AS p WHERE p.person_id = person_names.person_id)")
    op.drop_index("ix_person_names_name", table_name="person_names")
    op.create_index("ix_person_names_search", "person_names", _INDEX_COLUMNS)
    op.drop_index("ix_persons_teryt", table_name="persons")
    op.create_index("ix_persons_place", "persons", _PLACE_COLUMNS)
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    op.drop_index("ix_persons_place", table_name="persons")
    op.create_index("ix_persons_teryt", "persons", ["teryt"])
    op.drop_index("ix_person_names_search", table_name="person_names")
    op.create_index("ix_person_names_name", "person_names", ["name_norm", "person_id"])
    with op.batch_alter_table("person_names") as batch:
        batch.drop_column("teryt")
        batch.drop_column("birth_date")
        batch.drop_column("sex")

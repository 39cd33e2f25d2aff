"""The projections: the current record, name keys, links and reservations, written and read.

The rows come from ``registry/projection.py`` and ``registry/kin.py`` (pure
functions of a person's state); this module writes them in the transaction of
the event that changed them, touching only what changed, and reads them back.
PostgreSQL writes a new person in one statement (``PostgresProjections``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, and_, bindparam, delete, insert, literal, select, text

from openpesel.registry.kin import Relative, relatives
from openpesel.registry.ports import Current, PersonFilter
from openpesel.registry.projection import (
    PERSON_FIELDS,
    held_reservation,
    name_rows,
    person_row,
)
from openpesel.registry.state import PersonState
from openpesel.storage import schema as t
from openpesel.storage.driver import ROWS, RawSql
from openpesel.storage.numbers import Numbers
from openpesel.storage.vocabulary import Vocabulary

_a, _p, _n, _l = t.pesel_assignments.c, t.persons.c, t.person_names.c, t.person_links.c
_PERSON_COLUMNS = tuple(_p[name] for name in PERSON_FIELDS)
_PERSON_SQL = (f"INSERT INTO persons ({', '.join(PERSON_FIELDS)}) "
               f"VALUES ({', '.join('?' for _ in PERSON_FIELDS)})")
_PERSON = RawSql(_PERSON_SQL, *_PERSON_COLUMNS)
_NAME = RawSql("INSERT INTO person_names (name_norm, person_id, role) VALUES (?, ?, ?)",
            _n.name_norm, _n.person_id, _n.role)
_LINK = RawSql("INSERT INTO person_links (person_id, relation, other_id) VALUES (?, ?, ?)",
            _l.person_id, _l.relation, _l.other_id)
# PostgreSQL: a new person's number and projections in one statement, one round trip.
# (No number when ``rebuild_projections`` replays someone: the seq is then NULL.)
_NEW_PERSON = RawSql(f"""WITH
    a AS (INSERT INTO pesel_assignments (pesel, person_id, assigned_seq)
          SELECT * FROM (VALUES (?, ?, ?)) AS x(p, id, seq) WHERE x.seq IS NOT NULL),
    n AS (INSERT INTO person_names (name_norm, person_id, role)
          SELECT x.n, ?, x.r FROM json_to_recordset(?) AS x(n text, r text)),
    l AS (INSERT INTO person_links (person_id, relation, other_id)
          SELECT ?, x.r, x.o FROM json_to_recordset(?) AS x(r text, o uuid))
    {_PERSON_SQL}""", _a.pesel, _a.person_id, _a.assigned_seq, _n.person_id, ROWS,
                  _l.person_id, ROWS, *_PERSON_COLUMNS)
# In place, never deleted and inserted again: a writer waiting in ``lock`` for this row
# must find it still there (PostgreSQL skips a locked row that was deleted, and the
# waiter would go on unlocked).
_UPDATE_PERSON = RawSql(
    f"UPDATE persons SET {', '.join(f'{c.name} = ?' for c in _PERSON_COLUMNS[1:])} "
    "WHERE person_id = ?", *_PERSON_COLUMNS[1:], _p.person_id)
_DELETE_NAME = RawSql("DELETE FROM person_names WHERE person_id = ? AND name_norm = ? AND role = ?",
                   _n.person_id, _n.name_norm, _n.role)
_DELETE_LINK = RawSql("DELETE FROM person_links WHERE person_id = ? AND relation = ?",
                   _l.person_id, _l.relation)
_RECORD = select(_p.record).where(_p.person_id == bindparam("pid"))
# A lookup by number in one statement: the holder, their record, and every linked person's
# record (parents and spouse, then children), whose number and name the links show.
_CURRENT = text("""WITH me AS (SELECT person_id FROM pesel_assignments WHERE pesel = :pesel)
    SELECT 'self' AS relation, me.person_id AS person_id, p.record AS record
      FROM me LEFT JOIN persons AS p ON p.person_id = me.person_id
    UNION ALL
    SELECT l.relation, o.person_id, o.record
      FROM me JOIN person_links AS l ON l.person_id = me.person_id
      JOIN persons AS o ON o.person_id = l.other_id
    UNION ALL
    SELECT 'child', c.person_id, c.record
      FROM me JOIN person_links AS l ON l.other_id = me.person_id
       AND l.relation IN ('mother', 'father')
      JOIN persons AS c ON c.person_id = l.person_id""").bindparams(
    bindparam("pesel", type_=_a.pesel.type)).columns(
    relation=String(), person_id=_p.person_id.type, record=_p.record.type)
_LOCK = (select(_p.person_id).where(_p.person_id.in_(bindparam("ids", expanding=True)))
         .order_by(_p.person_id).with_for_update())


def _filtered(query: Any, f: PersonFilter) -> Any:
    """A search's filters as SQL over ``persons``."""
    if f.born_from is not None:
        query = query.where(_p.birth_date >= f.born_from)
    if f.born_to is not None:
        query = query.where(_p.birth_date <= f.born_to)
    if f.sex is not None:
        query = query.where(_p.sex == f.sex)
    if f.teryt_prefix:
        query = query.where(_p.teryt.startswith(f.teryt_prefix))
    return query


class Projections(Numbers, Vocabulary):
    """Writing and reading the projections; SQLite's way unless an engine overrides."""

    # -- reads -----------------------------------------------------------

    def record(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        row = self.conn.execute(_RECORD, {"pid": person_id}).first()
        return None if row is None else dict(row.record)

    def current(self, pesel: str) -> Current | None:
        """Whoever holds or held ``pesel``, their record and their relatives, in one
        statement (``registry.ports.Current``); None if no one."""
        rows = self.conn.execute(_CURRENT, {"pesel": pesel}).all()
        if not rows:
            return None
        me = rows[0]
        return Current(me.person_id, None if me.record is None else dict(me.record), [
            (r.relation, r.person_id, Relative.of_record(r.record)) for r in rows[1:]])

    def records(self, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        ids = list(person_ids)
        rows = self.conn.execute(select(_p.person_id, _p.record).where(_p.person_id.in_(ids)))
        return {r.person_id: dict(r.record) for r in rows}

    def linked(self, person_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
        """(relation, other person) both ways: my parents and spouse, and my children."""
        mine = self.conn.execute(select(_l.relation, _l.other_id).where(_l.person_id == person_id))
        theirs = self.conn.execute(select(_l.person_id).where(
            and_(_l.other_id == person_id, _l.relation.in_(["mother", "father"]))))
        return [(r.relation, r.other_id) for r in mine] + [("child", r.person_id) for r in theirs]

    def past_children(self, parent_id: uuid.UUID) -> list[uuid.UUID]:
        """Children whose record named ``parent_id`` in some version, current or not."""
        return list(self.conn.execute(select(t.past_parents.c.child_id).where(
            t.past_parents.c.parent_id == parent_id)).scalars())

    def people_by_id(self, ids: list[uuid.UUID], filters: PersonFilter) -> list[Any]:
        query = select(_p.person_id, _p.pesel, _p.first_names, _p.family_name, _p.birth_date,
                       _p.sex, _p.teryt, _p.alive, literal(1.0).label("score"))
        return list(self.conn.execute(_filtered(query.where(_p.person_id.in_(ids)), filters)))

    # -- writes ----------------------------------------------------------

    def lock(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Serialise writers on the same people: SQLite's BEGIN IMMEDIATE already does."""

    def remember_parents(self, child_id: uuid.UUID, parent_ids: Iterable[uuid.UUID]) -> None:
        """Keep every parent a version of ``child_id``'s record named (``registry/kin``)."""
        for parent_id in sorted(set(parent_ids)):
            self._insert_ignore(t.past_parents, child_id=child_id, parent_id=parent_id)

    def add_person(self, after: PersonState, seq: int) -> None:
        """A new person: their number (assigned by event ``seq``) and their projections."""
        self._insert_projections(after, assigned_seq=seq)

    def project(self, before: PersonState | None, after: PersonState) -> None:
        """Bring the projections from ``before`` to ``after``, touching only what changed."""
        if before is None:
            self._insert_projections(after)
            return
        pid = after.person_id
        person_id, *columns = person_row(after)
        if self.run(_UPDATE_PERSON, *columns, person_id).rowcount == 0:
            self.run(_PERSON, person_id, *columns)  # projections cleared (a rebuild's replay)
        old_names, new_names = name_rows(before), name_rows(after)
        if old_names - new_names:
            self.run_many(_DELETE_NAME, [(pid, n, r) for n, r in sorted(old_names - new_names)])
        if new_names - old_names:
            self.run_many(_NAME, [(n, pid, r) for n, r in sorted(new_names - old_names)])
            self._add_to_vocabulary({n for n, _ in new_names - old_names})
        if before.reservation is not None:
            self.conn.execute(delete(t.reservations).where(t.reservations.c.person_id == pid))
        self._reserve(after)
        old_links, new_links = relatives(before), relatives(after)
        if old_links != new_links:
            self.run_many(_DELETE_LINK, [(pid, r) for r, _ in sorted(old_links)])
            self.run_many(_LINK, [(pid, r, o) for r, o in sorted(new_links)])

    def _insert_projections(self, after: PersonState, assigned_seq: int | None = None) -> None:
        """Project someone the projections do not hold yet, numbering them if ``assigned_seq``."""
        names = sorted(name_rows(after))
        self._add_to_vocabulary({n for n, _ in names})
        self._insert_new(after, names, sorted(relatives(after)), assigned_seq)
        self._reserve(after)

    def _insert_new(self, after: PersonState, names: list[tuple[str, str]],
                    links: list[tuple[str, uuid.UUID]], assigned_seq: int | None) -> None:
        pid = after.person_id
        if assigned_seq is not None:
            self.assign(after.pesel, pid, assigned_seq)
        self.run(_PERSON, *person_row(after))
        self.run_many(_NAME, [(n, pid, r) for n, r in names])
        self.run_many(_LINK, [(pid, r, o) for r, o in links])

    def _reserve(self, after: PersonState) -> None:
        r = held_reservation(after)
        if r is not None:
            self.conn.execute(insert(t.reservations).values(
                pesel=r.pesel, person_id=after.person_id, since=r.since,
                withdraw_at=r.withdraw_at))

    def clear_projections(self) -> None:
        for table in (*t.PROJECTIONS, t.name_variants):
            self.conn.execute(delete(table))
        self.vocabulary.clear()


class PostgresProjections(Projections):
    """PostgreSQL locks rows, and writes a new person in one round trip instead of four."""

    def lock(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Row locks on the people, taken in one global order: no deadlocks."""
        ids = sorted(set(person_ids), key=str)
        if ids:
            self.conn.execute(_LOCK, {"ids": ids}).all()

    def _insert_new(self, after: PersonState, names: list[tuple[str, str]],
                    links: list[tuple[str, uuid.UUID]], assigned_seq: int | None) -> None:
        pid = after.person_id
        self.run(_NEW_PERSON, after.pesel, pid, assigned_seq,
                 pid, [{"n": n, "r": r} for n, r in names],
                 pid, [{"r": r, "o": str(o)} for r, o in links], *person_row(after))

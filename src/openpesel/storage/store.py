"""The register's storage: one class, two engines, plain SQL through SQLAlchemy Core.

``Store.read()`` and ``Store.write()`` hand out a ``Session`` bound to one
transaction. Everything a use case does happens inside one of them, so an
event, its number assignment and its projections commit together or not at
all. The statements every registration runs are the driver's own SQL
(``Hot``), for speed; everything else is SQLAlchemy Core.
"""

from __future__ import annotations

import datetime
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, NoReturn, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Dialect,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from openpesel.errors import PoolExhausted
from openpesel.number import Sex, encode
from openpesel.number.order import permute
from openpesel.number.pesel import SERIALS_PER_SEX
from openpesel.registry import events as ev
from openpesel.registry.kin import relatives
from openpesel.registry.names import tokens, variants
from openpesel.registry.state import PersonState
from openpesel.storage import schema as t
from openpesel.storage.auth_tables import local_secrets
from openpesel.storage.engine import make_engine, translated_errors

POOL_KEY = "pool_key"
TOKEN_KEY = "token_key"
LOCAL_SECRETS = frozenset({TOKEN_KEY})
"""Kept in ``local_secrets``, which no backup carries: the token key mints bearer tokens."""


def _secret_table(name: str) -> Table:
    return local_secrets if name in LOCAL_SECRETS else t.register_meta

Processor = Callable[[Any], Any]


class Hot:
    """A statement on the write path, written once as the driver's own SQL.

    A birth runs about ten statements, so their overhead is the budget: building
    a SQLAlchemy construct per call costs about 130 µs of CPU, running a prebuilt
    one about 25 µs, ``exec_driver_sql`` about 55 µs on psycopg and the driver's
    own cursor about 19 µs (``Session.run``). Values pass through the columns'
    own bind processors, so what is stored is byte for byte what SQLAlchemy
    would store (SQLite's UUID hex, date and JSON text).

    ``?`` is a parameter bound as the matching column. PostgreSQL gets explicit
    casts, as SQLAlchemy renders them, so its prepared statements keep one plan
    whatever the Python types.
    """

    def __init__(self, sql: str, *columns: Column[Any]) -> None:
        self.sql = " ".join(sql.split())
        self.columns = columns
        self._compiled: dict[str, tuple[str, list[Processor | None]]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, list[Processor | None]]:
        pieces = self.sql.split("?")
        if len(pieces) != len(self.columns) + 1:
            raise TypeError(f"{len(pieces) - 1} parameters for {len(self.columns)} columns")
        out = [pieces[0]]
        for column, piece in zip(self.columns, pieces[1:], strict=True):
            if dialect.name == "postgresql":
                out.append("%s::" + re.sub(r"\(.*\)", "", column.type.compile(dialect=dialect)))
            else:
                out.append("?")
            out.append(piece)
        return "".join(out), [column.type.dialect_impl(dialect).bind_processor(dialect)
                              for column in self.columns]

    def bind(self, dialect: Dialect, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        sql, processors = compiled
        return sql, tuple(v if p is None else p(v)
                          for v, p in zip(values, processors, strict=True))


class NumberTaken(Exception):
    """A number allocated with ``check_later`` turned out to be held already.

    A signal from ``Session.append`` to the service, which allocates again; not
    one of the register's errors, so it can never reach a caller as a refusal.
    """


def _as_uuid(value: Any) -> uuid.UUID:
    """SQLite keeps UUIDs as 32 hex digits; psycopg hands back ``uuid.UUID``."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


_a, _e, _p, _n, _l = (t.pesel_assignments.c, t.events.c, t.persons.c, t.person_names.c,
                      t.person_links.c)
_HOLDER = Hot("SELECT person_id, retired_seq FROM pesel_assignments WHERE pesel = ?", _a.pesel)
# One statement takes the next index and locks the pool's row until commit (PostgreSQL;
# SQLite's BEGIN IMMEDIATE already serialises writers). A full pool returns no row.
_TAKE = Hot(f"""INSERT INTO pesel_pools (birth_date, sex, issued) VALUES (?, ?, 1)
    ON CONFLICT (birth_date, sex) DO UPDATE SET issued = pesel_pools.issued + 1
    WHERE pesel_pools.issued < {SERIALS_PER_SEX} RETURNING issued""",
            t.pesel_pools.c.birth_date, t.pesel_pools.c.sex)
_APPEND = Hot("""INSERT INTO events (person_id, kind, payload, effective_date, recorded_at,
    authority, document_ref, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq""",
              _e.person_id, _e.kind, _e.payload, _e.effective_date, _e.recorded_at,
              _e.authority, _e.document_ref, _e.supersedes)
_APPEND_UNLESS_HELD = Hot("""INSERT INTO events (person_id, kind, payload, effective_date,
    recorded_at, authority, document_ref, supersedes) SELECT ?, ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM pesel_assignments WHERE pesel = ?) RETURNING seq""",
                          *_APPEND.columns, _a.pesel)
_ASSIGN = Hot("INSERT INTO pesel_assignments (pesel, person_id, assigned_seq) VALUES (?, ?, ?)",
              _a.pesel, _a.person_id, _a.assigned_seq)
_PERSON_COLUMNS = (_p.person_id, _p.pesel, _p.family_name, _p.first_names, _p.birth_date,
                   _p.sex, _p.teryt, _p.alive, _p.civil_status, _p.last_seq, _p.record)
_PERSON_SQL = (f"INSERT INTO persons ({', '.join(c.name for c in _PERSON_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in _PERSON_COLUMNS)})")
_PERSON = Hot(_PERSON_SQL, *_PERSON_COLUMNS)
_NAME = Hot("INSERT INTO person_names (name_norm, person_id, role) VALUES (?, ?, ?)",
            _n.name_norm, _n.person_id, _n.role)
_LINK = Hot("INSERT INTO person_links (person_id, relation, other_id) VALUES (?, ?, ?)",
            _l.person_id, _l.relation, _l.other_id)
ROWS = Column("rows", JSON)
"""A parameter holding rows as a JSON list of objects: psycopg adapts one JSON text
several times faster than the arrays ``unnest`` would take."""
# PostgreSQL: a new person's number and projections in one statement, one round trip.
# (No number when ``rebuild_projections`` replays someone: the seq is then NULL.)
_NEW_PERSON = Hot(f"""WITH
    a AS (INSERT INTO pesel_assignments (pesel, person_id, assigned_seq)
          SELECT * FROM (VALUES (?, ?, ?)) AS x(p, id, seq) WHERE x.seq IS NOT NULL),
    n AS (INSERT INTO person_names (name_norm, person_id, role)
          SELECT x.n, ?, x.r FROM json_to_recordset(?) AS x(n text, r text)),
    l AS (INSERT INTO person_links (person_id, relation, other_id)
          SELECT ?, x.r, x.o FROM json_to_recordset(?) AS x(r text, o uuid))
    {_PERSON_SQL}""", _a.pesel, _a.person_id, _a.assigned_seq, _n.person_id, ROWS,
                  _l.person_id, ROWS, *_PERSON_COLUMNS)
# In place, never deleted and inserted again: a writer waiting in ``Session.lock`` for
# this row must find it still there (PostgreSQL skips a locked row that was deleted, and
# the waiter would go on unlocked).
_UPDATE_PERSON = Hot(
    f"UPDATE persons SET {', '.join(f'{c.name} = ?' for c in _PERSON_COLUMNS[1:])} "
    "WHERE person_id = ?", *_PERSON_COLUMNS[1:], _p.person_id)
_DELETE_NAME = Hot("DELETE FROM person_names WHERE person_id = ? AND name_norm = ? AND role = ?",
                   _n.person_id, _n.name_norm, _n.role)
_DELETE_LINK = Hot("DELETE FROM person_links WHERE person_id = ? AND relation = ?",
                   _l.person_id, _l.relation)
_EVENTS_FOR = select(t.events).where(t.events.c.person_id == bindparam("pid")).order_by(
    t.events.c.seq)
_RECORD = select(t.persons.c.record).where(t.persons.c.person_id == bindparam("pid"))
_LOCK = (select(t.persons.c.person_id)
         .where(t.persons.c.person_id.in_(bindparam("ids", expanding=True)))
         .order_by(t.persons.c.person_id).with_for_update())


def name_rows(state: PersonState | None) -> set[tuple[str, str]]:
    """(name, role) search keys of a person: every name they carry or carried."""
    if state is None:
        return set()
    family = set(tokens(state.family_name))
    names = {(n, "family") for n in family}
    names |= {(n, "first") for n in tokens(" ".join(state.first_names))}
    # A maiden name still finds its bearer, ranked as a name no longer carried.
    names |= {(n, "former") for n in tokens(state.family_name_at_birth) if n not in family}
    for former in state.former_names:
        names |= {(n, "former") for n in tokens(former.family_name + " "
                                                + " ".join(former.first_names))}
    return names


_RESERVATION = select(t.reservations.c.since, t.reservations.c.withdraw_at).where(
    t.reservations.c.pesel == bindparam("pesel"))


def _utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment


def row_to_event(row: Any) -> ev.Event:
    kind = ev.Kind(row.kind)
    recorded = _utc(row.recorded_at)
    assert recorded is not None
    return ev.Event(
        person_id=row.person_id,
        kind=kind,
        payload=ev.parse_payload(kind, row.payload),
        effective_date=row.effective_date,
        authority=ev.Authority(row.authority),
        document_ref=row.document_ref,
        recorded_at=recorded,
        seq=row.seq,
        supersedes=row.supersedes,
    )


@dataclass(frozen=True)
class PersonFilter:
    """Narrowing a search by birth date range, sex and TERYT prefix, in SQL."""

    born_from: datetime.date | None = None
    born_to: datetime.date | None = None
    sex: str | None = None
    teryt_prefix: str | None = None

    def apply(self, query: Any) -> Any:
        p = t.persons.c
        if self.born_from is not None:
            query = query.where(p.birth_date >= self.born_from)
        if self.born_to is not None:
            query = query.where(p.birth_date <= self.born_to)
        if self.sex is not None:
            query = query.where(p.sex == self.sex)
        if self.teryt_prefix:
            query = query.where(p.teryt.startswith(self.teryt_prefix))
        return query


class Session:
    """One transaction's view of the register."""

    def __init__(self, conn: Connection, vocabulary: set[str] | None = None,
                 secrets: dict[str, bytes] | None = None) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        # Register secrets never change after ``init``: read each once per Store.
        self.secrets = secrets if secrets is not None else {}
        # Names known to be in the vocabulary (committed); names added by this
        # transaction join it only when the transaction commits.
        self.vocabulary = vocabulary if vocabulary is not None else set()
        self.pending_names: list[str] = []
        self._cursor: Any = None
        self._unchecked: set[str] = set()  # allocated with ``check_later``

    def run(self, hot: Hot, *values: Any) -> Any:
        """Run a ``Hot`` statement in this transaction on the driver's cursor; returns it.

        Rows come back as the driver gives them (tuples, SQLite's UUIDs as hex).
        Driver errors are wrapped as SQLAlchemy would wrap them, so
        ``translated_errors`` turns them into the register's own.
        """
        sql, params = hot.bind(self.conn.dialect, values)
        return self._execute(sql, params, many=False)

    def run_many(self, hot: Hot, rows: Iterable[Sequence[Any]]) -> None:
        """Run a ``Hot`` statement once per row (one round trip on psycopg)."""
        dialect = self.conn.dialect
        bound = [hot.bind(dialect, row) for row in rows]
        if bound:
            self._execute(bound[0][0], [params for _, params in bound], many=True)

    def _execute(self, sql: str, params: Any, many: bool) -> Any:
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        cursor = self._cursor
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            self._raise_wrapped(exc, sql, params)
        return cursor

    def _raise_wrapped(self, exc: Exception, sql: str, params: Any) -> NoReturn:
        """What SQLAlchemy does with a driver error: wrap it, and drop a dead connection."""
        dialect = self.conn.dialect
        dead = dialect.is_disconnect(cast(Any, exc), self.conn.connection.dbapi_connection,
                                     self._cursor)
        if dead:
            self.conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=dead, dialect=dialect) from exc

    # -- reads -----------------------------------------------------------

    def holder(self, pesel: str) -> tuple[uuid.UUID, bool] | None:
        """The person who holds or held ``pesel``, and whether it is still current."""
        row = self.run(_HOLDER, pesel).fetchone()
        return None if row is None else (_as_uuid(row[0]), row[1] is None)

    def events_for(self, person_id: uuid.UUID) -> list[ev.Event]:
        return [row_to_event(r) for r in self.conn.execute(_EVENTS_FOR, {"pid": person_id})]

    def record(self, person_id: uuid.UUID) -> dict[str, Any] | None:
        row = self.conn.execute(_RECORD, {"pid": person_id}).first()
        return None if row is None else dict(row.record)

    def records(self, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        ids = list(person_ids)
        rows = self.conn.execute(
            select(t.persons.c.person_id, t.persons.c.record)
            .where(t.persons.c.person_id.in_(ids))
        )
        return {r.person_id: dict(r.record) for r in rows}

    def linked(self, person_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
        """(relation, other person) both ways: my parents and spouse, and my children."""
        mine = self.conn.execute(
            select(t.person_links.c.relation, t.person_links.c.other_id)
            .where(t.person_links.c.person_id == person_id)
        )
        theirs = self.conn.execute(
            select(t.person_links.c.person_id).where(
                and_(t.person_links.c.other_id == person_id,
                     t.person_links.c.relation.in_(["mother", "father"]))
            )
        )
        return [(r.relation, r.other_id) for r in mine] + [("child", r.person_id) for r in theirs]

    def remember_parents(self, child_id: uuid.UUID, parent_ids: Iterable[uuid.UUID]) -> None:
        """Keep every parent a version of ``child_id``'s record named (``registry/kin``)."""
        for parent_id in sorted(set(parent_ids)):
            self._insert_ignore(t.past_parents, child_id=child_id, parent_id=parent_id)

    def past_children(self, parent_id: uuid.UUID) -> list[uuid.UUID]:
        """Children whose record named ``parent_id`` in some version, current or not."""
        return list(self.conn.execute(select(t.past_parents.c.child_id).where(
            t.past_parents.c.parent_id == parent_id)).scalars())

    def iter_events(self, batch: int = 5000) -> Iterator[ev.Event]:
        last = 0
        while True:
            rows = self.conn.execute(
                select(t.events).where(t.events.c.seq > last).order_by(t.events.c.seq).limit(batch)
            ).all()
            if not rows:
                return
            for r in rows:
                yield row_to_event(r)
            last = rows[-1].seq

    def person_ids(self) -> list[uuid.UUID]:
        return list(self.conn.execute(
            select(t.pesel_assignments.c.person_id).distinct()
        ).scalars())

    def holders(self, pesels: Iterable[str]) -> dict[str, uuid.UUID]:
        """Who holds or held each number, in one statement (a page of search hits)."""
        wanted = sorted(set(pesels))
        if not wanted:
            return {}
        rows = self.conn.execute(select(t.pesel_assignments.c.pesel,
                                        t.pesel_assignments.c.person_id)
                                 .where(t.pesel_assignments.c.pesel.in_(wanted)))
        return {r.pesel: r.person_id for r in rows}

    def has_events(self) -> bool:
        """Whether the log holds anything: one index probe, where a count reads it all."""
        return self.conn.execute(select(t.events.c.seq).limit(1)).first() is not None

    def count(self, table: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.metadata.tables[table]))
                   .scalar_one())

    def names_like(self, token: str) -> list[str]:
        """Vocabulary names within the token's edit budget (by shared deletion variant)."""
        return list(self.conn.execute(
            select(t.name_variants.c.name_norm).distinct()
            .where(t.name_variants.c.variant.in_(sorted(variants(token))))
        ).scalars())

    def people_by_id(self, ids: list[uuid.UUID], filters: PersonFilter) -> list[Any]:
        p = t.persons.c
        query = select(p.person_id, p.pesel, p.first_names, p.family_name, p.birth_date,
                       p.sex, p.teryt, p.alive, literal(1.0).label("score"))
        return list(self.conn.execute(filters.apply(query.where(p.person_id.in_(ids)))))

    def reserved(self, pesel: str, moment: datetime.datetime) -> bool:
        row = self.conn.execute(_RESERVATION, {"pesel": pesel}).first()
        if row is None:
            return False
        since, until = (_utc(v) for v in (row.since, row.withdraw_at))
        assert since is not None
        return since <= moment and (until is None or moment < until)

    def pool_key(self) -> bytes:
        return self.secret(POOL_KEY)

    def secret(self, name: str) -> bytes:
        """A per-register secret made at ``init`` (the pool order key, the token key)."""
        if name not in self.secrets:
            table = _secret_table(name)
            self.secrets[name] = bytes(self.conn.execute(
                select(table.c.value).where(table.c.name == name)).scalar_one())
        return self.secrets[name]

    # -- writes ----------------------------------------------------------

    def lock(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Serialise writers on the same people.

        PostgreSQL needs row locks; on SQLite, BEGIN IMMEDIATE already serialises writers.
        """
        ids = sorted(set(person_ids), key=str)  # one global order: no deadlocks
        if self.postgres and ids:
            self.conn.execute(_LOCK, {"ids": ids}).all()

    def _insert_ignore(self, table: Table, **values: Any) -> None:
        dialect = postgresql if self.postgres else sqlite
        self.conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())

    def allocate(self, dates: Iterable[datetime.date], sex: Sex, *,
                 check_later: bool = False) -> str:
        """Issue the next unused number from the first pool in ``dates`` with room left.

        Numbers that entered the register some other way (an import of a
        migrated record) are skipped, so the counter and the assignments can
        never disagree into a duplicate. ``check_later`` lets PostgreSQL check
        that in the statement that appends the new person's event, a round
        trip fewer: ``append`` then raises ``NumberTaken`` for a number already
        held, and the caller allocates again.
        """
        key = self.pool_key()
        tried = []
        for day in dates:
            tried.append(day)
            while (row := self.run(_TAKE, day, sex.value).fetchone()) is not None:
                issued = int(row[0])
                pesel = encode(day, permute(key, f"{day}{sex.value}", issued - 1), sex)
                if check_later and self.postgres:
                    self._unchecked.add(pesel)
                    return pesel
                if self.holder(pesel) is None:
                    return pesel
        span = f"{tried[0]}" if len(tried) == 1 else f"{tried[0]} to {tried[-1]}"
        sex_word = "women" if sex is Sex.FEMALE else "men"
        raise PoolExhausted(
            f"All {SERIALS_PER_SEX} PESEL numbers for {sex_word} born {span} have been issued."
        )

    def append(self, event: ev.Event) -> int:
        values = (event.person_id, event.kind.value, event.payload_json(), event.effective_date,
                  event.recorded_at, event.authority.value, event.document_ref, event.supersedes)
        pesel = getattr(event.payload, "pesel", None)
        if pesel not in self._unchecked or event.kind not in ev.CREATING_KINDS:
            return int(self.run(_APPEND, *values).fetchone()[0])
        self._unchecked.discard(pesel)
        row = self.run(_APPEND_UNLESS_HELD, *values, pesel).fetchone()
        if row is None:
            raise NumberTaken(pesel)
        return int(row[0])

    def assign(self, pesel: str, person_id: uuid.UUID, seq: int) -> None:
        self.run(_ASSIGN, pesel, person_id, seq)

    def add_person(self, after: PersonState, seq: int) -> None:
        """A new person: their number (assigned by event ``seq``) and their projections."""
        self._insert_projections(after, assigned_seq=seq)

    def retire(self, pesel: str, seq: int) -> None:
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=seq)
                          .where(t.pesel_assignments.c.pesel == pesel))

    def reinstate(self, pesel: str) -> None:
        """A correction that withdraws a number change gives the person their old number back."""
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=None)
                          .where(t.pesel_assignments.c.pesel == pesel))

    def project(self, before: PersonState | None, after: PersonState) -> None:
        """Bring the projections from ``before`` to ``after``, touching only what changed."""
        if before is None:
            self._insert_projections(after)
            return
        pid = after.person_id
        person_id, *columns = self._person_row(after)
        if self.run(_UPDATE_PERSON, *columns, person_id).rowcount == 0:
            self.run(_PERSON, person_id, *columns)  # projections cleared (a rebuild's replay)
        old_names, new_names = name_rows(before), name_rows(after)
        if old_names - new_names:
            self.run_many(_DELETE_NAME, [(pid, n, r) for n, r in sorted(old_names - new_names)])
        if new_names - old_names:
            self.run_many(_NAME, [(n, pid, r) for n, r in sorted(new_names - old_names)])
            self._add_to_vocabulary({n for n, _ in new_names - old_names})
        r = after.reservation
        if before is not None and before.reservation is not None:
            self.conn.execute(delete(t.reservations).where(t.reservations.c.person_id == pid))
        if r is not None and r.pesel == after.pesel:
            self.conn.execute(insert(t.reservations).values(
                pesel=r.pesel, person_id=pid, since=r.since, withdraw_at=r.withdraw_at))
        old_links, new_links = relatives(before), relatives(after)
        if old_links != new_links:
            self.run_many(_DELETE_LINK, [(pid, r) for r, _ in sorted(old_links)])
            self.run_many(_LINK, [(pid, r, o) for r, o in sorted(new_links)])

    @staticmethod
    def _person_row(state: PersonState) -> tuple[Any, ...]:
        home = state.permanent_residence or state.temporary_residence
        return (state.person_id, state.pesel, state.family_name, " ".join(state.first_names),
                state.birth_date, state.sex.value, home.teryt if home else None, state.alive,
                state.civil_status.value, state.last_seq, state.to_json())

    def _insert_projections(self, after: PersonState, assigned_seq: int | None = None) -> None:
        """Project someone the projections do not hold yet, numbering them if ``assigned_seq``.

        On PostgreSQL the number, the record, the name keys and the links go in
        one statement: a birth then costs one round trip here instead of four.
        """
        pid = after.person_id
        names, links = sorted(name_rows(after)), sorted(relatives(after))
        self._add_to_vocabulary({n for n, _ in names})
        if self.postgres:
            self.run(_NEW_PERSON, after.pesel, pid, assigned_seq,
                     pid, [{"n": n, "r": r} for n, r in names],
                     pid, [{"r": r, "o": str(o)} for r, o in links], *self._person_row(after))
        else:
            if assigned_seq is not None:
                self.assign(after.pesel, pid, assigned_seq)
            self.run(_PERSON, *self._person_row(after))
            self.run_many(_NAME, [(n, pid, r) for n, r in names])
            self.run_many(_LINK, [(pid, r, o) for r, o in links])
        r = after.reservation
        if r is not None and r.pesel == after.pesel:
            self.conn.execute(insert(t.reservations).values(
                pesel=r.pesel, person_id=pid, since=r.since, withdraw_at=r.withdraw_at))

    def _add_to_vocabulary(self, names: set[str]) -> None:
        """Add new names with their deletion variants; the vocabulary only ever grows."""
        fresh = sorted(names - self.vocabulary)
        if not fresh:
            return
        present = set(self.conn.execute(
            select(t.name_variants.c.name_norm).where(and_(
                t.name_variants.c.variant.in_(fresh),
                t.name_variants.c.variant == t.name_variants.c.name_norm))).scalars())
        rows = [{"variant": v, "name_norm": n} for n in fresh if n not in present
                for v in sorted(variants(n))]
        if rows:
            dialect = postgresql if self.postgres else sqlite
            self.conn.execute(dialect.insert(t.name_variants).on_conflict_do_nothing(), rows)
        self.pending_names.extend(fresh)

    def clear_projections(self) -> None:
        for table in (*t.PROJECTIONS, t.name_variants):
            self.conn.execute(delete(table))
        self.vocabulary.clear()


class Store:
    """A register database: SQLite file by default, PostgreSQL by URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.vocabulary: set[str] = set()
        self.secrets: dict[str, bytes] = {}

    def initialise(self) -> None:
        """Create or upgrade the schema and the register's pool key; safe to repeat."""
        with translated_errors(), self.engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option(
                "script_location", str(resources.files("openpesel.storage") / "migrations"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            for name in (POOL_KEY, TOKEN_KEY):
                Session(conn)._insert_ignore(
                    _secret_table(name), name=name, value=secrets.token_bytes(32))

    def renew_secret(self, name: str) -> None:
        """Replace a local secret (the token key after a restore): what it signed stops working."""
        table = _secret_table(name)
        with self.write() as s:
            s.conn.execute(delete(table).where(table.c.name == name))
            s.conn.execute(insert(table).values(name=name, value=secrets.token_bytes(32)))
        self.secrets.pop(name, None)

    def initialised(self) -> bool:
        with translated_errors():
            return bool(inspect(self.engine).has_table("register_meta"))

    @contextmanager
    def write(self) -> Iterator[Session]:
        with translated_errors():
            with self.engine.begin() as conn:
                session = Session(conn, self.vocabulary, self.secrets)
                yield session
            self.vocabulary.update(session.pending_names)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translated_errors(), self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                yield Session(conn, secrets=self.secrets)

    def secret(self, name: str) -> bytes:
        if name not in self.secrets:
            with self.read() as s:
                s.secret(name)
        return self.secrets[name]

    def dispose(self) -> None:
        self.engine.dispose()

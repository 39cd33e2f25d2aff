"""The register's storage: one class, two engines, plain SQL through SQLAlchemy Core.

``Store.read()`` and ``Store.write()`` hand out a ``Session`` bound to one
transaction. Everything a use case does happens inside one of them, so an
event, its number assignment and its projections commit together or not at
all.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import FromClause

from openpesel.errors import PoolExhausted
from openpesel.number import Sex, encode
from openpesel.number.order import permute
from openpesel.number.pesel import SERIALS_PER_SEX
from openpesel.registry import events as ev
from openpesel.registry.names import tokens, variants
from openpesel.registry.state import PersonState
from openpesel.storage import schema as t
from openpesel.storage.engine import make_engine, translated_errors

POOL_KEY = "pool_key"
TOKEN_KEY = "token_key"

# Hot-path statements are built once: constructing SQLAlchemy expressions per
# call costs more than executing them on SQLite.
_HOLDER = select(t.pesel_assignments.c.person_id, t.pesel_assignments.c.retired_seq).where(
    t.pesel_assignments.c.pesel == bindparam("pesel"))
_EVENTS_FOR = select(t.events).where(t.events.c.person_id == bindparam("pid")).order_by(
    t.events.c.seq)
_RECORD = select(t.persons.c.record).where(t.persons.c.person_id == bindparam("pid"))
_DELETE_PERSON = delete(t.persons).where(t.persons.c.person_id == bindparam("pid"))
_DELETE_NAME = delete(t.person_names).where(and_(
    t.person_names.c.person_id == bindparam("pid"), t.person_names.c.name_norm == bindparam("n"),
    t.person_names.c.role == bindparam("r")))
_DELETE_LINK = delete(t.person_links).where(and_(
    t.person_links.c.person_id == bindparam("pid"), t.person_links.c.relation == bindparam("r")))


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


def link_rows(state: PersonState | None) -> set[tuple[str, uuid.UUID]]:
    if state is None:
        return set()
    links = {("mother", state.mother.person_id if state.mother else None),
             ("father", state.father.person_id if state.father else None),
             ("spouse", state.spouse_id)}
    return {(r, o) for r, o in links if o is not None}


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

    # -- reads -----------------------------------------------------------

    def holder(self, pesel: str) -> tuple[uuid.UUID, bool] | None:
        """The person who holds or held ``pesel``, and whether it is still current."""
        row = self.conn.execute(_HOLDER, {"pesel": pesel}).first()
        return None if row is None else (row.person_id, row.retired_seq is None)

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

    def count(self, table: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.metadata.tables[table]))
                   .scalar_one())

    def names_like(self, token: str) -> list[str]:
        """Vocabulary names within the token's edit budget (by shared deletion variant)."""
        return list(self.conn.execute(
            select(t.name_variants.c.name_norm).distinct()
            .where(t.name_variants.c.variant.in_(sorted(variants(token))))
        ).scalars())

    def people_by_names(self, words: list[dict[str, float]], former_weight: float,
                        filters: PersonFilter, limit: int) -> list[Any]:
        """People carrying a close name for every word, ranked in SQL.

        Each word joins ``person_names`` once through its index on ``name_norm``;
        the closeness of each candidate name is a CASE expression, so scoring,
        filtering, ranking and the limit all happen in the database, and only
        ``limit`` rows ever reach Python, whatever the register's size.
        """
        p = t.persons.c
        query = select(p.person_id, p.pesel, p.first_names, p.family_name, p.birth_date,
                       p.sex, p.teryt, p.alive)
        joined: FromClause = t.persons
        scores = []
        for i, closeness in enumerate(words):
            n = t.person_names.alias(f"n{i}")
            joined = joined.join(n, and_(n.c.person_id == p.person_id,
                                         n.c.name_norm.in_(sorted(closeness))))
            weight = case((n.c.role == "former", literal(former_weight)), else_=literal(1.0))
            scores.append(case(closeness, value=n.c.name_norm, else_=literal(0.0)) * weight)
        score = func.max(sum(scores[1:], scores[0]) / len(words)).label("score")
        query = filters.apply(query.add_columns(score).select_from(joined))
        query = query.group_by(p.person_id, p.pesel, p.first_names, p.family_name,
                               p.birth_date, p.sex, p.teryt, p.alive)
        return list(self.conn.execute(query.order_by(
            score.desc(), p.family_name, p.first_names, p.pesel).limit(limit)))

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
            self.secrets[name] = bytes(self.conn.execute(
                select(t.register_meta.c.value).where(t.register_meta.c.name == name)
            ).scalar_one())
        return self.secrets[name]

    # -- writes ----------------------------------------------------------

    def lock(self, person_ids: Iterable[uuid.UUID]) -> None:
        """Serialise writers on the same people.

        PostgreSQL needs row locks; on SQLite, BEGIN IMMEDIATE already serialises writers.
        """
        ids = sorted(set(person_ids), key=str)  # one global order: no deadlocks
        if self.postgres and ids:
            self.conn.execute(
                select(t.persons.c.person_id).where(t.persons.c.person_id.in_(ids))
                .order_by(t.persons.c.person_id).with_for_update()
            ).all()

    def _insert_ignore(self, table: Table, **values: Any) -> None:
        dialect = postgresql if self.postgres else sqlite
        self.conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())

    def allocate(self, dates: Iterable[datetime.date], sex: Sex) -> str:
        """Issue the next unused number from the first pool in ``dates`` with room left.

        Numbers that entered the register some other way (an import of a
        migrated record) are skipped, so the counter and the assignments can
        never disagree into a duplicate.
        """
        key = self.pool_key()
        dialect = postgresql if self.postgres else sqlite
        pools = t.pesel_pools
        tried = []
        for day in dates:
            tried.append(day)
            # One statement takes the next index and locks the pool's row until commit
            # (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers). A full
            # pool returns no row and is left as it is.
            take = dialect.insert(pools).values(birth_date=day, sex=sex.value, issued=1)
            take = take.on_conflict_do_update(
                index_elements=[pools.c.birth_date, pools.c.sex],
                set_={"issued": pools.c.issued + 1},
                where=pools.c.issued < SERIALS_PER_SEX,
            ).returning(pools.c.issued)
            while (issued := self.conn.execute(take).scalar_one_or_none()) is not None:
                pesel = encode(day, permute(key, f"{day}{sex.value}", issued - 1), sex)
                if self.holder(pesel) is None:
                    return pesel
        span = f"{tried[0]}" if len(tried) == 1 else f"{tried[0]} to {tried[-1]}"
        sex_word = "women" if sex is Sex.FEMALE else "men"
        raise PoolExhausted(
            f"All {SERIALS_PER_SEX} PESEL numbers for {sex_word} born {span} have been issued."
        )

    def append(self, event: ev.Event) -> int:
        return int(self.conn.execute(
            insert(t.events).values(
                person_id=event.person_id, kind=event.kind.value, payload=event.payload_json(),
                effective_date=event.effective_date, recorded_at=event.recorded_at,
                authority=event.authority.value, document_ref=event.document_ref,
                supersedes=event.supersedes,
            ).returning(t.events.c.seq)
        ).scalar_one())

    def assign(self, pesel: str, person_id: uuid.UUID, seq: int) -> None:
        self.conn.execute(insert(t.pesel_assignments).values(
            pesel=pesel, person_id=person_id, assigned_seq=seq))

    def retire(self, pesel: str, seq: int) -> None:
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=seq)
                          .where(t.pesel_assignments.c.pesel == pesel))

    def reinstate(self, pesel: str) -> None:
        """A correction that withdraws a number change gives the person their old number back."""
        self.conn.execute(update(t.pesel_assignments).values(retired_seq=None)
                          .where(t.pesel_assignments.c.pesel == pesel))

    def project(self, before: PersonState | None, after: PersonState) -> None:
        """Bring the projections from ``before`` to ``after``, touching only what changed."""
        pid = after.person_id
        if before is not None:
            self.conn.execute(_DELETE_PERSON, {"pid": pid})
        home = after.permanent_residence or after.temporary_residence
        self.conn.execute(insert(t.persons), [dict(
            person_id=pid, pesel=after.pesel, family_name=after.family_name,
            first_names=" ".join(after.first_names), birth_date=after.birth_date,
            sex=after.sex.value, teryt=home.teryt if home else None, alive=after.alive,
            civil_status=after.civil_status.value, last_seq=after.last_seq,
            record=after.to_json(),
        )])
        old_names, new_names = name_rows(before), name_rows(after)
        if old_names - new_names:
            self.conn.execute(_DELETE_NAME, [{"pid": pid, "n": n, "r": r}
                                             for n, r in sorted(old_names - new_names)])
        if new_names - old_names:
            self.conn.execute(insert(t.person_names), [
                {"person_id": pid, "name_norm": n, "role": r}
                for n, r in sorted(new_names - old_names)])
            self._add_to_vocabulary({n for n, _ in new_names - old_names})
        r = after.reservation
        if before is not None and before.reservation is not None:
            self.conn.execute(delete(t.reservations).where(t.reservations.c.person_id == pid))
        if r is not None and r.pesel == after.pesel:
            self.conn.execute(insert(t.reservations).values(
                pesel=r.pesel, person_id=pid, since=r.since, withdraw_at=r.withdraw_at))
        old_links, new_links = link_rows(before), link_rows(after)
        if old_links != new_links:
            self.conn.execute(_DELETE_LINK, [{"pid": pid, "r": r} for r, _ in sorted(old_links)]
                              or [{"pid": pid, "r": ""}])
            if new_links:
                self.conn.execute(insert(t.person_links), [
                    {"person_id": pid, "relation": r, "other_id": o} for r, o in sorted(new_links)])

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
                    t.register_meta, name=name, value=secrets.token_bytes(32))

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

"""The statements name search runs, over the name index of revision 0005.

``person_names`` carries each name key's bearer's sex, birth date and TERYT
(kept equal to ``persons`` by triggers), indexed as ``(name_norm, sex,
birth_date, person_id, role, teryt)``. For one name of one sex the index lists
bearers by birth date and then id, so a walk in that order can stop at the
page it needs, a birth-date filter is a range of it, whether the same person
carries a second name is one probe of the same index, and whether they live
in a place is read from the entry, without a look at ``persons``.

Every statement here is built once per shape and reused: building SQLAlchemy
expressions per call would cost more than running them.

How the statements are combined into a ranking is ``registry/search.py``'s
business; this module only knows the tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    MetaData,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from openpesel.registry.ports import Key, NameIndex, NameKey, Narrowing
from openpesel.storage import schema
from openpesel.storage.driver import Transaction

__all__ = [
    "NameSearch",
    "PostgresNameSearch",
    "best",
    "count_bearers",
    "count_residents",
    "gather",
    "people",
    "walk",
]

# ``person_names`` as revision 0005 leaves it. ``schema.person_names`` describes
# only the columns its writers write; the triggers fill the other three.
name_keys = Table(
    "person_names",
    MetaData(),
    Column("name_norm", String(80), nullable=False),
    Column("person_id", Uuid, nullable=False),
    Column("role", String(8), nullable=False),
    Column("sex", String(1)),
    Column("birth_date", Date),
    Column("teryt", String(7)),
)

@cache
def _count_names(groups: int, sexes: int) -> Select[Any]:
    n = name_keys.c
    counts = []
    for g in range(groups):
        for i in range(sexes):
            inner = select(literal(1)).where(
                n.name_norm.in_(bindparam(f"names{g}", expanding=True)),
                n.sex == bindparam(f"sex{i}"),
                n.birth_date >= bindparam("born_from"), n.birth_date <= bindparam("born_to"),
                n.role.in_(bindparam(f"roles{g}", expanding=True)),
            ).limit(bindparam("cap")).subquery()
            counts.append(select(func.count()).select_from(inner).scalar_subquery())
    return select(*counts)


def count_bearers(conn: Connection, groups: Sequence[tuple[Sequence[str], Sequence[str]]],
                  where: Narrowing, cap: int) -> list[dict[str, int]]:
    """For each (names, roles) group and each sex, how many name keys pass the filters,
    counting no further than ``cap``: enough to tell a name with few bearers from one
    with many, at a cost that does not grow past ``cap``. One round trip for them all."""
    params: dict[str, Any] = {"cap": cap, "born_from": where.born_from,
                              "born_to": where.born_to}
    params.update({f"sex{i}": sex for i, sex in enumerate(where.sexes)})
    for g, (names, roles) in enumerate(groups):
        params[f"names{g}"], params[f"roles{g}"] = list(names), list(roles)
    row = conn.execute(_count_names(len(groups), len(where.sexes)), params).one()
    per_sex = len(where.sexes)
    return [dict(zip(where.sexes, row[g * per_sex:(g + 1) * per_sex], strict=True))
            for g in range(len(groups))]


@cache
def _count_place() -> Select[Any]:
    p = schema.persons.c
    inner = select(literal(1)).where(
        p.teryt >= bindparam("teryt_from"), p.teryt < bindparam("teryt_to"),
    ).limit(bindparam("cap")).subquery()
    return select(func.count()).select_from(inner)


def count_residents(conn: Connection, where: Narrowing, cap: int) -> int:
    """How many people are registered under the TERYT prefix, counting no further than
    ``cap`` (sex and birth date left out: the count stays one range of
    ``ix_persons_place``)."""
    low, high = where.teryt_range()
    return int(conn.execute(_count_place(), {"teryt_from": low, "teryt_to": high, "cap": cap})
               .scalar_one())


@cache
def _walk(others: int, place: bool, resumed: bool = False) -> Select[Any]:
    d = name_keys.alias("d")
    query = select(d.c.birth_date, d.c.person_id).distinct().where(
        d.c.name_norm == bindparam("name"), d.c.sex == bindparam("sex"),
        d.c.birth_date >= bindparam("born_from"), d.c.birth_date <= bindparam("born_to"),
        d.c.role.in_(bindparam("roles", expanding=True)))
    if resumed:  # after a (birth date, id) key; born_from is no earlier than its date
        query = query.where(or_(d.c.birth_date > bindparam("after_born"),
                                d.c.person_id > bindparam("after_id")))
    if place:  # before the probes: read from the entry, it is the cheaper test
        query = query.where(d.c.teryt >= bindparam("teryt_from"),
                            d.c.teryt < bindparam("teryt_to"))
    for i in range(others):
        o = name_keys.alias(f"o{i}")
        query = query.where(exists().where(
            o.c.name_norm == bindparam(f"name{i}"), o.c.sex == d.c.sex,
            o.c.birth_date == d.c.birth_date, o.c.person_id == d.c.person_id,
            o.c.role.in_(bindparam(f"roles{i}", expanding=True))))
    return query.order_by(d.c.birth_date, d.c.person_id).limit(bindparam("limit"))


def walk(conn: Connection, driver: tuple[str, Sequence[str]],
         others: Sequence[tuple[str, Sequence[str]]], sex: str, where: Narrowing,
         limit: int, after: Key | None = None) -> list[Key]:
    """The first ``limit`` bearers, by birth date and id, of the (name, roles) ``driver``
    of one sex who also carry every (name, roles) of ``others`` and pass the filters;
    with ``after``, the first after that (birth date, id) key.

    The database walks the driver's index range in order and probes the others
    per bearer, so the cost is the number of bearers it passes over before the
    page is full (or the range ends), not the number of bearers. A walk resumed
    ``after`` a key starts its range there: a deep page costs what the first does.
    """
    born_from = where.born_from if after is None else max(where.born_from, after[0])
    params: dict[str, Any] = {
        "name": driver[0], "roles": list(driver[1]), "sex": sex,
        "born_from": born_from, "born_to": where.born_to, "limit": limit}
    if after is not None:
        params["after_born"], params["after_id"] = after
    for i, (name, roles) in enumerate(others):
        params[f"name{i}"], params[f"roles{i}"] = name, list(roles)
    if where.teryt is not None:
        params["teryt_from"], params["teryt_to"] = where.teryt_range()
    query = _walk(len(others), where.teryt is not None, after is not None)
    return [(r.birth_date, r.person_id) for r in conn.execute(query, params)]


@cache
def _gather(options: tuple[int, ...], arms: int, place: bool) -> Select[Any]:
    gate = None
    if not arms:
        p = schema.persons.c
        # The place is the narrow range here (``count_residents`` said so), read from
        # ``ix_persons_place`` alone; but SQLite, with no statistics, would as soon take
        # the birth-date index: wrapped in COALESCE, the birth date is only checked.
        born = func.coalesce(p.birth_date, p.birth_date)
        d = select(p.person_id, p.sex, p.birth_date).where(
            p.teryt >= bindparam("teryt_from"), p.teryt < bindparam("teryt_to"),
            p.sex.in_(bindparam("sexes", expanding=True)),
            born >= bindparam("born_from"), born <= bindparam("born_to"),
        ).subquery("d")
        # Most residents carry none of the first word's names: one probe per name
        # turns them away before the probes that rank the rest.
        o = name_keys.alias("gate")
        gate = exists().where(
            o.c.name_norm.in_(bindparam("gate", expanding=True)), o.c.sex == d.c.sex,
            o.c.birth_date == d.c.birth_date, o.c.person_id == d.c.person_id)
    else:
        # One arm per name and sex, each a range of the index in its own order. The
        # caller counted fewer than ``cap`` keys here, so the limits cut nothing, except
        # what a concurrent writer may have added since. They are there for the
        # planners: told how few rows come, PostgreSQL (which cannot know that no Anna
        # is a man) neither starts parallel workers, slower to start than the query,
        # nor hashes every bearer of each name instead of probing for these few; and
        # with nothing to sort or make distinct it cannot take a scan of the whole
        # table in another index's order for a short one.
        parts = []
        for j in range(arms):
            n = name_keys.alias(f"a{j}")
            arm = select(n.c.person_id, n.c.sex, n.c.birth_date).where(
                n.c.name_norm == bindparam(f"driver{j}"), n.c.sex == bindparam(f"sex{j}"),
                n.c.birth_date >= bindparam("born_from"), n.c.birth_date <= bindparam("born_to"))
            if place:
                arm = arm.where(n.c.teryt >= bindparam("teryt_from"),
                                n.c.teryt < bindparam("teryt_to"))
            arm = arm.order_by(n.c.birth_date, n.c.person_id).limit(bindparam("cap"))
            inner = arm.subquery(f"s{j}")
            parts.append(select(inner.c.person_id, inner.c.sex, inner.c.birth_date))
        d = union_all(*parts).subquery("d")
    query = select(d.c.person_id, d.c.birth_date, *_carried(d, options)).select_from(d)
    return query if gate is None else query.where(gate)


def _carried(d: Any, options: tuple[int, ...]) -> list[Any]:
    """Per word, the index of the first of its options the person of ``d`` carries."""
    columns: list[Any] = []
    for w, count in enumerate(options):
        whens: list[tuple[Any, Any]] = []
        for i in range(count):
            o = name_keys.alias(f"o{w}_{i}")
            carries = exists().where(
                o.c.name_norm == bindparam(f"name{w}_{i}"), o.c.sex == d.c.sex,
                o.c.birth_date == d.c.birth_date, o.c.person_id == d.c.person_id,
                o.c.role.in_(bindparam(f"roles{w}_{i}", expanding=True)))
            whens.append((carries, literal_column(str(i))))
        columns.append(case(*whens).label(f"w{w}"))
    return columns


def _option_params(options: Sequence[Sequence[NameKey]]) -> dict[str, Any]:
    return {key: value for w, keys in enumerate(options)
            for i, (name, roles) in enumerate(keys)
            for key, value in ((f"name{w}_{i}", name), (f"roles{w}_{i}", list(roles)))}


def gather(conn: Connection, driver: Sequence[str] | None,
           options: Sequence[Sequence[NameKey]], where: Narrowing, cap: int) -> list[Any] | None:
    """For each key of ``driver``'s names (or, with no driver, each resident under the
    TERYT prefix) that passes the filters: (person_id, birth_date, then per word the
    index of the first of its ``options`` the person carries, or None; residents who
    carry none of the first word's names are left out). A person with two such keys
    comes twice. None if there are ``cap`` driver keys or more: then they were too
    many to gather, and perhaps cut.

    For when the driver is known to have few bearers (``count_bearers``) or the
    place few residents (``count_residents``): all of them are scored at once. Each
    option is a probe of the index with all four leading columns given, and the
    probes for a word stop at the first that answers, so options are best given
    best first. (Written as a join instead, both engines' planners reach the other
    names through ``ix_person_names_person`` and read the table.)
    """
    params: dict[str, Any] = {"sexes": list(where.sexes), "born_from": where.born_from,
                              "born_to": where.born_to, "cap": cap}
    if where.teryt is not None:
        params["teryt_from"], params["teryt_to"] = where.teryt_range()
    if driver is None:
        params["gate"] = sorted({name for name, _ in options[0]})
    arms = [(name, sex) for name in driver or () for sex in where.sexes]
    for j, (name, sex) in enumerate(arms):
        params[f"driver{j}"], params[f"sex{j}"] = name, sex
    params.update(_option_params(options))
    query = _gather(tuple(len(keys) for keys in options), len(arms), where.teryt is not None)
    rows = list(conn.execute(query, params))
    return None if driver is not None and len(rows) >= cap else rows


@cache
def _best(options: tuple[int, ...]) -> Select[Any]:
    p = schema.persons.c
    d = select(p.person_id, p.sex, p.birth_date).where(
        p.person_id.in_(bindparam("ids", expanding=True))).subquery("d")
    return select(d.c.person_id, *_carried(d, options)).select_from(d)


def best(conn: Connection, ids: Sequence[uuid.UUID],
         options: Sequence[Sequence[NameKey]]) -> dict[uuid.UUID, tuple[int | None, ...]]:
    """For each of these people, per word the index of the first of its ``options`` they
    carry (None if none): what ``gather`` tells of its bearers, for people already known,
    so a search resumed after a cursor can tell who ranked before it."""
    if not ids:
        return {}
    params = {"ids": list(ids), **_option_params(options)}
    rows = conn.execute(_best(tuple(len(keys) for keys in options)), params)
    return {r[0]: tuple(r[1:]) for r in rows}


@cache
def _people() -> Select[Any]:
    p = schema.persons.c
    return select(p.person_id, p.pesel, p.first_names, p.family_name, p.birth_date, p.sex,
                  p.teryt, p.alive).where(p.person_id.in_(bindparam("ids", expanding=True)))


def people(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The columns a search hit shows, for one page of people."""
    if not ids:
        return {}
    return {r.person_id: r for r in conn.execute(_people(), {"ids": list(ids)})}


class _BoundIndex:
    """The statements above, bound to one transaction's connection (``ports.NameIndex``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def count_bearers(self, groups: Sequence[tuple[Sequence[str], Sequence[str]]],
                      where: Narrowing, cap: int) -> list[dict[str, int]]:
        return count_bearers(self.conn, groups, where, cap)

    def count_residents(self, where: Narrowing, cap: int) -> int:
        return count_residents(self.conn, where, cap)

    def walk(self, driver: NameKey, others: Sequence[NameKey], sex: str, where: Narrowing,
             limit: int, after: Key | None = None) -> list[Key]:
        return walk(self.conn, driver, others, sex, where, limit, after)

    def best(self, ids: Sequence[uuid.UUID], options: Sequence[Sequence[NameKey]]
             ) -> dict[uuid.UUID, tuple[int | None, ...]]:
        return best(self.conn, ids, options)

    def gather(self, driver: Sequence[str] | None, options: Sequence[Sequence[NameKey]],
               where: Narrowing, cap: int) -> list[Any] | None:
        return gather(self.conn, driver, options, where, cap)

    def people(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        return people(self.conn, ids)


class NameSearch(Transaction):
    """A session's name index: SQLite plans every statement for its values anyway."""

    @contextmanager
    def name_index(self) -> Iterator[NameIndex]:
        yield _BoundIndex(self.conn)


class PostgresNameSearch(NameSearch):
    @contextmanager
    def name_index(self) -> Iterator[NameIndex]:
        """Keep psycopg from preparing search statements, so PostgreSQL plans each for its values.

        psycopg prepares a statement after five runs, and PostgreSQL then settles on a
        generic plan, blind to how many people carry the names asked for. For a walk that
        is a nested loop where merging two index ranges is several times faster (at 1 M
        residents 1 ms against 4.5 ms); for the capped count of "Anna" among 12 M residents
        it was 220 ms against 0.5 ms for the plan made for the values.
        """
        raw = self.conn.connection.driver_connection
        if raw is None:
            yield _BoundIndex(self.conn)
            return
        threshold = raw.prepare_threshold
        raw.prepare_threshold = None
        try:
            yield _BoundIndex(self.conn)
        finally:
            raw.prepare_threshold = threshold

"""Bulk loading of synthetic residents: the per-event path's rows, written in bulk.

``population.build`` replays a plan through ``Register`` one event at a time,
which folds, checks and projects each event with a round trip per row: right
for a clerk, hours for 38.5 million residents. This loader writes the very
same rows, chunk by chunk, with ``executemany`` on SQLite and ``COPY`` on
PostgreSQL:

- the events ``Register`` would write (``birth`` or ``foreigner_registered``
  with the payload it would store, ``residence_registered``, and ``married``
  on both spouses' records);
- ``pesel_assignments`` and the ``pesel_pools`` counters: the n-th number of a
  pool is ``permute(pool key, pool, n)`` as in ``Session.allocate``,
  continuing from the pool's ``issued`` count and skipping numbers already
  held, so later per-event allocations can never collide;
- the projections (``persons``, ``person_names``, ``person_links`` and the
  ``name_variants`` vocabulary) as the fold gives them.

The projections are built from templates rather than by folding every
person (folding costs about 100 us a person). Every chunk proves the
templates right on a sample: the sample's events are parsed with
``events.parse_payload``, folded with ``history.fold`` and compared with the
rows about to be written (``PersonState.to_json``, ``store.name_rows``,
``kin.relatives``); a mismatch aborts the chunk. ``tests/test_bulk_load.py``
proves the whole load equal to ``Register.rebuild_projections()``.

**Resumable.** A chunk and its row in ``load_progress`` commit in one
transaction. A re-run skips the chunks marked done and regenerates the
others from ``(seed, chunk index)``, so a load killed at any moment carries on
with nothing duplicated and nothing lost. ``load_progress`` is created here
(``CREATE TABLE IF NOT EXISTS``); it is bookkeeping of this tool, not part
of the register's schema.

**Concurrency.** On SQLite each chunk is one ``BEGIN IMMEDIATE`` transaction;
the chunk is numbered and built before it, on the pool counters and next
``seq`` last seen, and used only if the transaction finds them unchanged (and
none of its numbers held); otherwise it is numbered again under the lock. On
PostgreSQL the chunk takes ``LOCK TABLE pesel_pools IN EXCLUSIVE MODE``
(per-event allocations wait for the chunk; readers do not), and event
sequence numbers are reserved with ``nextval`` so the rows can be COPYed with
their ``seq`` known and the sequence stays ahead of every row.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import Any

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy import Connection

from openpesel.errors import PoolExhausted, RegisterError
from openpesel.number.order import PoolOrder
from openpesel.number.pesel import SERIALS_PER_SEX, encode_day
from openpesel.population.synth import (
    RESIDENCE_AFTER_BIRTH_DAYS,
    IntArray,
    Residents,
    chunk_sizes,
    residents,
)
from openpesel.registry import events as ev
from openpesel.registry.history import fold
from openpesel.registry.kin import relatives
from openpesel.registry.names import tokens, variants
from openpesel.registry.rules import age_on
from openpesel.storage.store import Store, name_rows

DEFAULT_CHUNK = 50_000
SAMPLE = 12
"""Residents per chunk whose rows are proved equal to the fold before the chunk commits."""

PROGRESS_DDL = """CREATE TABLE IF NOT EXISTS load_progress (
    seed BIGINT NOT NULL,
    size BIGINT NOT NULL,
    chunk_size INTEGER NOT NULL,
    chunk_index INTEGER NOT NULL,
    as_of VARCHAR(10) NOT NULL,
    residents INTEGER NOT NULL,
    events INTEGER NOT NULL,
    done_at VARCHAR(40) NOT NULL,
    PRIMARY KEY (seed, size, chunk_size, chunk_index)
)"""


class BulkLoadError(RegisterError):
    """The load cannot go on as asked (a seed reused with another size, a template fault)."""


@dataclass(frozen=True)
class LoadReport:
    size: int
    seed: int
    chunk: int
    as_of: datetime.date
    chunks: int
    loaded: int
    skipped: int
    residents: int
    events: int
    seconds: float

    def summary(self) -> str:
        rate = self.residents / self.seconds if self.seconds else 0.0
        return (f"loaded {self.residents:,} residents ({self.events:,} events) in "
                f"{self.loaded} of {self.chunks} chunks, {self.skipped} already done; "
                f"{self.seconds:.1f} s, {rate:,.0f} residents/s (seed {self.seed}, "
                f"size {self.size:,}, as of {self.as_of})")


# -- numbers -------------------------------------------------------------------------------


@cache
def _iso(ordinal: int) -> str:
    return datetime.date.fromordinal(ordinal).isoformat()


def allocate(order: PoolOrder, people: Residents, issued: dict[tuple[str, str], int],
             held: set[str]) -> tuple[list[str], dict[tuple[str, str], int]]:
    """Numbers for a chunk, and the pool counters after them (pure; ``issued`` is not changed).

    As ``Session.allocate``: the n-th number of pool (day, sex) uses serial
    π(n); numbers in ``held`` are skipped (and counted); a period known only
    by its year takes the first day with a free serial.
    """
    counters = dict(issued)
    out = [""] * len(people)
    births: list[int] = people.birth.tolist()
    female: list[bool] = people.female.tolist()
    year_only: list[bool] = people.year_only.tolist()
    for i in sorted(range(len(people)), key=lambda i: (births[i], female[i])):
        first = births[i]
        last = (datetime.date.fromordinal(first).replace(month=12, day=31).toordinal()
                if year_only[i] else first)
        sex = "F" if female[i] else "M"
        parity = 0 if female[i] else 1
        day = first
        while True:
            key = (_iso(day), sex)
            n = counters.get(key, 0)
            pesel = None
            while n < SERIALS_PER_SEX and pesel is None:
                candidate = encode_day(day, order.serial(f"{key[0]}{sex}", n), parity)
                n += 1
                if candidate not in held:
                    pesel = candidate
            counters[key] = n
            if pesel is not None:
                out[i] = pesel
                break
            if day >= last:
                word = "women" if sex == "F" else "men"
                span = _iso(first) if first == last else f"{_iso(first)} to {_iso(last)}"
                raise PoolExhausted(f"All {SERIALS_PER_SEX} PESEL numbers for {word} born "
                                    f"{span} have been issued.")
            day += 1
    return out, {k: v for k, v in counters.items() if issued.get(k) != v}


# -- rows ----------------------------------------------------------------------------------


@cache
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


@cache
def _q(text: str) -> str:
    """A JSON string, as ``json.dumps`` writes it (names and places repeat: cached)."""
    return json.dumps(text)


@dataclass
class ChunkRows:
    """Everything one chunk writes, as plain values both drivers accept."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    persons: list[tuple[Any, ...]] = field(default_factory=list)
    names: list[tuple[str, str, str, str, str, str | None]] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)


def residence_days(people: Residents) -> IntArray:
    """Natives are registered a fortnight after birth, foreigners the day after arrival
    (never after ``as_of``, never before the registration itself)."""
    after = np.where(people.foreign, 1, RESIDENCE_AFTER_BIRTH_DAYS)
    days: IntArray = np.maximum(people.registered, np.minimum(people.registered + after,
                                                              people.as_of.toordinal()))
    return days


# The JSON below is written from templates, not json.dumps of dicts: a third of the
# cost. The text is exactly json.dumps's (same key order, separators and escapes);
# prove_sample() checks that on every chunk, and the tests compare it byte for byte
# with what Register.rebuild_projections() writes.


class _Lists:
    """A chunk's columns as Python lists: indexing NumPy scalars per field costs more
    than the rest of the row building."""

    def __init__(self, people: Residents) -> None:
        n = len(people)
        self.n = n
        self.ids = [str(p) for p in people.person_id]
        self.hexes = [p.hex for p in people.person_id]
        self.first = people.first_name
        self.at_birth = people.family_at_birth
        self.taken = people.married_name
        self.family = [t or b for t, b in zip(people.married_name, people.family_at_birth,
                                              strict=True)]
        self.sex = ["F" if f else "M" for f in people.female.tolist()]
        self.foreign: list[bool] = people.foreign.tolist()
        self.ukr: list[bool] = people.ukr.tolist()
        self.year_only: list[bool] = people.year_only.tolist()
        self.born = [_iso(d) for d in people.birth.tolist()]
        self.registered = [_iso(d) for d in people.registered.tolist()]
        self.moved_in = [_iso(d) for d in residence_days(people).tolist()]
        self.wedding = [_iso(d) if d >= 0 else "" for d in people.wedding.tolist()]
        self.mother: list[int] = people.mother.tolist()
        self.father: list[int] = people.father.tolist()
        self.spouse: list[int] = people.spouse.tolist()
        self.place = people.birth_place
        homes: list[int] = people.home.tolist()
        self.teryt = [people.teryt[h] for h in homes]
        self.address = [json.dumps(people.address[h]) for h in homes]


def _parent_fields(c: _Lists, j: int, role: str) -> str:
    return (f'"{role}_id": "{c.ids[j]}", "{role}_first_name": {_q(c.first[j])}, '
            f'"{role}_family_name": {_q(c.family[j])}, ')


def _parent_record(c: _Lists, j: int) -> str:
    if j < 0:
        return "null"
    return (f'{{"person_id": "{c.ids[j]}", "first_name": {_q(c.first[j])}, '
            f'"family_name": {_q(c.family[j])}}}')


def _creation_payload(c: _Lists, i: int, pesel: str) -> str:
    """The payload ``Register._create`` stores: parents resolved to ids and names, the
    model's field order, ``None`` left out."""
    parents = (_parent_fields(c, c.mother[i], "mother") + _parent_fields(c, c.father[i], "father")
               if c.mother[i] >= 0 else "")
    country = "UKR" if c.foreign[i] else "POL"
    status = ""
    if c.foreign[i]:
        status = ', "status": "UKR"' if c.ukr[i] else ', "status": "permanent_residence"'
    return (f'{{{parents}"first_names": [{_q(c.first[i])}], '
            f'"family_name": {_q(c.at_birth[i])}, "sex": "{c.sex[i]}", '
            f'"birth_date": "{c.born[i]}", '
            f'"birth_date_precision": "{"year" if c.year_only[i] else "day"}", '
            f'"birth_place": {_q(c.place[i])}, "birth_country": "{country}", '
            f'"citizenship": "{country}", "pesel": "{pesel}"{status}}}')


def build_rows(people: Residents, pesels: Sequence[str], seqs: Sequence[int], recorded: str,
               document: str) -> ChunkRows:
    """All rows of a chunk (pure). ``seqs`` must hold ``event_count(people)`` numbers."""
    rows = ChunkRows()
    c = _Lists(people)
    n = c.n
    seq_iter = iter(seqs)
    creation = [next(seq_iter) for _ in range(n)]
    residence = [next(seq_iter) for _ in range(n)]
    married: dict[int, int] = {}
    wives = [i for i in range(n) if c.sex[i] == "F" and c.spouse[i] >= 0]
    for w in wives:
        married[w] = next(seq_iter)
        married[c.spouse[w]] = next(seq_iter)

    hexes, ids = c.hexes, c.ids
    events = rows.events
    for i in range(n):
        foreign = c.foreign[i]
        events.append((creation[i], hexes[i], "foreigner_registered" if foreign else "birth",
                       _creation_payload(c, i, pesels[i]), c.registered[i], recorded,
                       "GMINA" if foreign else "USC", f"{document}/c/{i}"))
    rows.assignments = list(zip(pesels, hexes, creation, strict=True))
    for i in range(n):
        kind = "temporary" if c.foreign[i] else "permanent"
        events.append((
            residence[i], hexes[i], "residence_registered",
            f'{{"residence": "{kind}", "teryt": "{c.teryt[i]}", "address": {c.address[i]}}}',
            c.moved_in[i], recorded, "GMINA", f"{document}/r/{i}"))
    for w in wives:
        h = c.spouse[w]
        taken = c.taken[w]
        mine = (f'{{"spouse_id": "{ids[h]}", "spouse_first_name": {_q(c.first[h])}, '
                f'"spouse_family_name": {_q(c.family[h])}'
                + (f', "family_name": {_q(taken)}}}' if taken is not None else "}"))
        theirs = (f'{{"spouse_id": "{ids[w]}", "spouse_first_name": {_q(c.first[w])}, '
                  f'"spouse_family_name": {_q(c.at_birth[w])}}}')
        events.append((married[w], hexes[w], "married", mine, c.wedding[w], recorded, "USC",
                       f"{document}/m/{w}"))
        events.append((married[h], hexes[h], "married", theirs, c.wedding[w], recorded, "USC",
                       f"{document}/m/{w}"))

    names_out, links_out, vocabulary = rows.names, rows.links, rows.vocabulary
    for i in range(n):
        first, at_birth, family = c.first[i], c.at_birth[i], c.family[i]
        spouse, foreign = c.spouse[i], c.foreign[i]
        last_seq = max(creation[i], residence[i], married.get(i, 0))
        home = (f'{{"teryt": "{c.teryt[i]}", "address": {c.address[i]}, '
                f'"since": "{c.moved_in[i]}", "until": null}}')
        renamed = c.taken[i] is not None
        former = (f'[{{"first_names": [{_q(first)}], "family_name": {_q(at_birth)}, '
                  f'"until": "{c.wedding[i]}"}}]') if renamed else "[]"
        country = "UKR" if foreign else "POL"
        status = ("null" if not foreign else '"UKR"' if c.ukr[i] else '"permanent_residence"')
        civil = "married" if spouse >= 0 else "single"
        record = (
            f'{{"person_id": "{ids[i]}", "pesel": "{pesels[i]}", "first_names": [{_q(first)}], '
            f'"family_name": {_q(family)}, "family_name_at_birth": {_q(at_birth)}, '
            f'"sex": "{c.sex[i]}", "birth_date": "{c.born[i]}", '
            f'"birth_date_precision": "{"year" if c.year_only[i] else "day"}", '
            f'"birth_place": {_q(c.place[i])}, "birth_country": "{country}", '
            f'"registered_on": "{c.registered[i]}", '
            f'"mother": {_parent_record(c, c.mother[i])}, '
            f'"father": {_parent_record(c, c.father[i])}, '
            f'"citizenships": ["{country}"], "foreigner_status": {status}, '
            f'"civil_status": "{civil}", '
            f'"spouse_id": {f"{chr(34)}{ids[spouse]}{chr(34)}" if spouse >= 0 else "null"}, '
            f'"former_names": {former}, "former_pesels": [], '
            f'"permanent_residence": {"null" if foreign else home}, '
            f'"temporary_residence": {home if foreign else "null"}, "abroad": null, '
            '"id_cards": [], "passports": [], "death_date": null, "fingers": [], '
            '"missing_fingers": [], "reservation": null, "last_withdrawal": null, '
            '"duplicate_of": null, "duplicates": [], '
            f'"last_seq": {last_seq}, "events": {3 if i in married else 2}}}')
        rows.persons.append((hexes[i], pesels[i], family, first, c.born[i], c.sex[i],
                             c.teryt[i], True, civil, last_seq, record))
        names = {(t, "family") for t in _tokens(family)}
        names |= {(t, "first") for t in _tokens(first)}
        if renamed:
            names |= {(t, "former") for t in _tokens(at_birth + " " + first)}
        for name, role in sorted(names):
            names_out.append((name, hexes[i], role, c.sex[i], c.born[i], c.teryt[i]))
            vocabulary.add(name)
        for relation, other in (("father", c.father[i]), ("mother", c.mother[i]),
                                ("spouse", spouse)):
            if other >= 0:
                links_out.append((hexes[i], relation, hexes[other]))
    # Insert in the order of the indexes that would otherwise be written at random: by
    # number (which also orders by birth date within a century). Ids are in load order.
    rows.persons.sort(key=itemgetter(1))
    rows.assignments.sort(key=itemgetter(0))
    return rows


def event_count(people: Residents) -> int:
    return 2 * len(people) + 2 * int(((people.spouse >= 0) & people.female).sum())


def prove_sample(people: Residents, rows: ChunkRows, indices: Iterable[int]) -> None:
    """Fold the sample's events with the register's own code and compare with the rows.

    Every payload goes through ``events.parse_payload`` and ``history.fold``
    applies the register's rules, so a template that drifts from the law (or
    from ``PersonState.to_json``) stops the load before anything is committed.
    """
    hexes = {people.person_id[i].hex: i for i in indices}
    by_person: dict[int, list[ev.Event]] = {i: [] for i in hexes.values()}
    moment = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    for seq, pid, kind, payload, effective, _rec, authority, doc in rows.events:
        if pid in hexes:
            k = ev.Kind(kind)
            parsed = ev.parse_payload(k, json.loads(payload))
            if json.dumps(parsed.model_dump(mode="json", exclude_none=True)) != payload:
                raise BulkLoadError(f"A {kind} payload is not in the form Register stores it: "
                                    f"{payload}")
            by_person[hexes[pid]].append(ev.Event(
                people.person_id[hexes[pid]], k, parsed, datetime.date.fromisoformat(effective),
                ev.Authority(authority), doc, moment, seq=seq))
    person_rows = {r[0]: r for r in rows.persons if r[0] in hexes}
    their_names: dict[str, set[tuple[str, str]]] = {h: set() for h in hexes}
    their_links: dict[str, set[tuple[str, uuid.UUID]]] = {h: set() for h in hexes}
    for n, p, r, *keys in rows.names:
        if p in hexes:
            their_names[p].add((n, r))
            # The search columns must be the bearer's, as the migration's trigger copies them.
            if tuple(keys) != (person_rows[p][5], person_rows[p][4], person_rows[p][6]):
                raise BulkLoadError(f"Chunk {people.index}: the name keys of {p} carry "
                                    "another sex, birth date or place than the person.")
    for p, r, o in rows.links:
        if p in hexes:
            their_links[p].add((r, uuid.UUID(o)))
    for i, log in by_person.items():
        state = fold(log)
        if state is None:
            raise BulkLoadError(f"Resident {i} of chunk {people.index} folds to nothing.")
        mine = person_rows[people.person_id[i].hex][10]
        theirs = json.dumps(state.to_json())
        if mine != theirs:
            raise BulkLoadError(f"The record template differs from the fold for resident {i} of "
                                f"chunk {people.index}: {mine} != {theirs}")
        hexed = people.person_id[i].hex
        if their_names[hexed] != name_rows(state):
            raise BulkLoadError(f"Name keys differ from the fold for resident {i}.")
        if their_links[hexed] != relatives(state):
            raise BulkLoadError(f"Links differ from the fold for resident {i}.")
        row = person_rows[hexed]
        home = state.permanent_residence or state.temporary_residence
        if row[1:10] != (state.pesel, state.family_name, " ".join(state.first_names),
                         str(state.birth_date), state.sex.value, home.teryt if home else None,
                         state.alive, state.civil_status.value, state.last_seq):
            raise BulkLoadError(f"The persons row differs from the fold for resident {i}.")
        for parent in (state.mother, state.father):
            if parent is not None and parent.person_id is not None:
                j = people.person_id.index(parent.person_id)
                if age_on(datetime.date.fromordinal(int(people.birth[j])), state.birth_date) < 12:
                    raise BulkLoadError(f"A parent of resident {i} is under 12 years older.")


def sample(people: Residents) -> list[int]:
    """A few of every shape: a renamed wife, her husband, a child, a foreigner, a year-only."""
    picks: list[int] = []
    shapes = [
        (people.married_name[i] is not None for i in range(len(people))),
        (bool(people.spouse[i] >= 0 and not people.female[i]) for i in range(len(people))),
        (bool(people.mother[i] >= 0) for i in range(len(people))),
        (bool(people.foreign[i]) for i in range(len(people))),
        (bool(people.year_only[i]) for i in range(len(people))),
        (True for _ in range(len(people))),
    ]
    for shape in shapes:
        picks += [i for i, hit in enumerate(shape) if hit][:2]
    return sorted(set(picks))[:SAMPLE]


# -- storage -------------------------------------------------------------------------------


def _progress_rows(conn: Connection, seed: int) -> list[tuple[int, int, int, str]]:
    return [(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in conn.exec_driver_sql(
        f"SELECT size, chunk_size, chunk_index, as_of FROM load_progress WHERE seed = {int(seed)}")]


class _Writer:
    """The driver-specific half: how to read pools, reserve seqs and write rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw: Any = conn.connection.driver_connection
        self.postgres = conn.dialect.name == "postgresql"

    def cursor(self) -> Any:
        return self.raw.cursor()

    def q(self, sql: str) -> str:
        """Write statements with ``?``; psycopg wants ``%s``."""
        return sql.replace("?", "%s") if self.postgres else sql

    def lock_pools(self) -> None:
        if self.postgres:
            self.cursor().execute("LOCK TABLE pesel_pools IN EXCLUSIVE MODE")

    def done(self, seed: int, size: int, chunk: int, index: int) -> bool:
        cur = self.cursor()
        cur.execute(self.q("SELECT 1 FROM load_progress WHERE seed = ? AND size = ? AND "
                           "chunk_size = ? AND chunk_index = ?"), (seed, size, chunk, index))
        return cur.fetchone() is not None

    def pools(self, first: int, last: int) -> dict[tuple[str, str], int]:
        cur = self.cursor()
        cur.execute(self.q("SELECT birth_date, sex, issued FROM pesel_pools WHERE birth_date "
                           "BETWEEN ? AND ?"), (_iso(first), _iso(last)))
        return {(str(d), str(s)): int(n) for d, s, n in cur.fetchall()}

    def held(self, pesels: list[str]) -> set[str]:
        cur = self.cursor()
        if self.postgres:
            cur.execute("SELECT pesel FROM pesel_assignments WHERE pesel = ANY(%s)", (pesels,))
        else:
            cur.execute("SELECT pesel FROM pesel_assignments WHERE pesel IN "
                        "(SELECT value FROM json_each(?))", (json.dumps(pesels),))
        return {str(r[0]) for r in cur.fetchall()}

    def seqs(self, count: int) -> list[int]:
        cur = self.cursor()
        if self.postgres:
            cur.execute("SELECT nextval(pg_get_serial_sequence('events', 'seq')) "
                        "FROM generate_series(1, %s)", (count,))
            return sorted(int(r[0]) for r in cur.fetchall())
        cur.execute("SELECT COALESCE(MAX(seq), 0) FROM events")
        top = int(cur.fetchone()[0])
        return list(range(top + 1, top + 1 + count))

    def next_seq(self) -> int:
        """The ``seq`` the next event gets on SQLite (under the write lock)."""
        cur = self.cursor()
        cur.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM events")
        return int(cur.fetchone()[0])

    def known_names(self, names: list[str]) -> set[str]:
        if not names:
            return set()
        cur = self.cursor()
        marks = ", ".join("?" for _ in names)
        cur.execute(self.q(f"SELECT name_norm FROM name_variants WHERE variant = name_norm "
                           f"AND variant IN ({marks})"), names)
        return {str(r[0]) for r in cur.fetchall()}

    def insert(self, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cur = self.cursor()
        if self.postgres:
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns.split(","))
            cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def upsert(self, table: str, columns: str, keys: str, update: str | None,
               rows: list[tuple[Any, ...]]) -> None:
        """Insert or update small row sets (pool counters, the vocabulary)."""
        if not rows:
            return
        action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
        if self.postgres:
            cur = self.cursor()
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS bulk_{table} "
                        f"(LIKE {table}) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY bulk_{table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM bulk_{table} "
                        f"ON CONFLICT ({keys}) {action}")
        else:
            marks = ", ".join("?" for _ in columns.split(","))
            self.cursor().executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
                                      f"ON CONFLICT ({keys}) {action}", rows)


def _now(postgres: bool) -> str:
    """Transaction time in the form each engine's column stores (SQLite: naive UTC)."""
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(sep=" ") if postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class Prepared:
    """A chunk's rows, computed ahead on an assumed register state.

    They are written only if, inside the chunk's transaction, the pools they
    were numbered from and the next event ``seq`` are found as assumed and none
    of their numbers is held; otherwise the chunk is computed again there.
    """

    people: Residents
    issued: dict[tuple[str, str], int]
    seqs: Sequence[int]
    pesels: list[str]
    counters: dict[tuple[str, str], int]
    rows: ChunkRows


def date_span(people: Residents) -> tuple[int, int]:
    """The birth days a chunk's numbers can come from (a year-only date: its whole year)."""
    last = datetime.date.fromordinal(int(people.birth.max())).replace(month=12, day=31)
    return int(people.birth.min()), last.toordinal()


def prepare(people: Residents, order: PoolOrder, pools: dict[tuple[str, str], int],
            seqs: Sequence[int], recorded: str) -> Prepared:
    """Number and build a chunk on an assumed state (pure), before the write lock is
    taken: a live register's clerks wait only for the writing, not for this."""
    first, last = date_span(people)
    issued = {k: v for k, v in pools.items() if _iso(first) <= k[0] <= _iso(last)}
    pesels, counters = allocate(order, people, issued, set())
    rows = build_rows(people, pesels, seqs, recorded, f"BULK/{people.seed}/{people.index}")
    prove_sample(people, rows, sample(people))
    return Prepared(people, issued, seqs, pesels, counters, rows)


@dataclass(frozen=True)
class Written:
    """What a committed chunk did: its counts, and the pool counters it read and left."""

    residents: int
    events: int
    pools: dict[tuple[str, str], int]


def _write_chunk(store: Store, seed: int, size: int, chunk: int, index: int, count: int,
                 as_of: datetime.date, order: PoolOrder, ahead: Prepared) -> Written | None:
    """Commit chunk ``index`` with its progress row; None if it was already done.

    ``ahead`` is used if the register is as it assumed; otherwise the chunk is
    numbered and built again here, under the lock. It touches no state shared
    with the caller, so it can run on a thread while the next chunk is prepared.
    """
    with store.engine.begin() as conn:
        w = _Writer(conn)
        w.lock_pools()
        if w.done(seed, size, chunk, index):
            return None
        if not w.postgres:
            w.cursor().execute("PRAGMA cache_size = -200000")
        people = ahead.people
        issued = w.pools(*date_span(people))
        # PostgreSQL's seqs were reserved with nextval, so they are ours whatever happened
        # since; SQLite's were assumed to follow the last event.
        if ahead.issued == issued and (w.postgres or w.next_seq() == ahead.seqs[0]) \
                and not w.held(ahead.pesels):
            pesels, counters, rows = ahead.pesels, ahead.counters, ahead.rows
        else:
            held: set[str] = set()
            while True:
                pesels, counters = allocate(order, people, issued, held)
                clash = w.held(pesels)
                if not clash:
                    break
                held |= clash
            seqs = w.seqs(event_count(people))
            rows = build_rows(people, pesels, seqs, _now(w.postgres), f"BULK/{seed}/{index}")
            prove_sample(people, rows, sample(people))
        fresh = sorted(rows.vocabulary - store.vocabulary)
        fresh = sorted(set(fresh) - w.known_names(fresh))
        w.insert("events", "seq, person_id, kind, payload, effective_date, recorded_at, "
                 "authority, document_ref", rows.events)
        w.insert("pesel_assignments", "pesel, person_id, assigned_seq", rows.assignments)
        w.insert("persons", "person_id, pesel, family_name, first_names, birth_date, sex, teryt, "
                 "alive, civil_status, last_seq, record", rows.persons)
        # With sex, birth date and place written here, migration 0005's trigger has
        # nothing to copy from ``persons`` for each name.
        w.insert("person_names", "name_norm, person_id, role, sex, birth_date, teryt",
                 rows.names)
        w.insert("person_links", "person_id, relation, other_id", rows.links)
        w.upsert("name_variants", "variant, name_norm", "variant, name_norm", None,
                 [(v, n) for n in fresh for v in sorted(variants(n))])
        w.upsert("pesel_pools", "birth_date, sex, issued", "birth_date, sex",
                 "issued = excluded.issued", [(d, s, n) for (d, s), n in sorted(counters.items())])
        w.cursor().execute(w.q(
            "INSERT INTO load_progress (seed, size, chunk_size, chunk_index, as_of, residents, "
            "events, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            (seed, size, chunk, index, as_of.isoformat(), count, len(rows.events),
             _now(w.postgres)))
    store.vocabulary.update(rows.vocabulary)
    return Written(count, len(rows.events), {**issued, **counters})


ChunkHook = Callable[[int], None]



def load_population(store: Store, size: int, seed: int, *, progress: bool = True,
                    chunk: int = DEFAULT_CHUNK, as_of: datetime.date | None = None,
                    after_chunk: ChunkHook | None = None) -> LoadReport:
    """Load ``size`` synthetic residents of population ``seed``, or finish loading them.

    ``as_of`` (default: today, or the date a resumed load started with) is the
    day the residents are alive on. ``after_chunk`` is called with each
    committed chunk's index (progress reporting, tests).
    """
    if size < 0 or chunk < 1 or not 0 <= seed < 2**63:
        raise BulkLoadError("size must be >= 0, chunk >= 1 and seed in 0..2^63-1.")
    started = time.perf_counter()
    with store.engine.begin() as conn:
        conn.exec_driver_sql(PROGRESS_DDL)
    with store.read() as s:
        earlier = _progress_rows(s.conn, seed)
        key = s.pool_key()
    other = {(sz, ch) for sz, ch, _, _ in earlier} - {(size, chunk)}
    if other:
        sz, ch = sorted(other)[0]
        raise BulkLoadError(f"Population seed {seed} was already loaded with size {sz:,} in "
                            f"chunks of {ch:,}; resume it with those, or use another seed.")
    dates = {a for _, _, _, a in earlier}
    if dates:
        as_of = datetime.date.fromisoformat(sorted(dates)[0])
    as_of = as_of or datetime.date.today()
    done = {i for _, _, i, _ in earlier}
    order = PoolOrder(key)
    counts = chunk_sizes(size, chunk)
    loaded = people = events = 0
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), disable=not progress, transient=False) as bar:
        task = bar.add_task("loading residents", total=size,
                            completed=sum(counts[i] for i in done if i < len(counts)))
        # Each chunk is numbered and built before its transaction, on the pool counters
        # the previous chunk leaves behind. On PostgreSQL the server does the writing in
        # its own process, so a thread hands it chunk k while this one prepares chunk
        # k+1 and both cores work; SQLite writes in this process, where a thread would
        # only take turns with it for the GIL (docs/bulk-load.md), so it stays serial.
        postgres = store.engine.dialect.name == "postgresql"
        with store.read() as s:
            pools = {(str(d), str(x)): int(n) for d, x, n in s.conn.exec_driver_sql(
                "SELECT birth_date, sex, issued FROM pesel_pools")}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer") as writer:
            pending: tuple[Future[Written | None], int] | None = None

            def settle(written: Written | None, index: int) -> None:
                nonlocal loaded, people, events
                if written is not None:
                    pools.update(written.pools)
                    loaded += 1
                    people += written.residents
                    events += written.events
                    if after_chunk is not None:
                        after_chunk(index)
                bar.advance(task, counts[index])

            for index, count in enumerate(counts):
                if index in done:
                    continue
                batch = residents(seed, index, count, as_of)
                if postgres:
                    with store.engine.begin() as conn:
                        seqs: Sequence[int] = _Writer(conn).seqs(event_count(batch))
                else:
                    with store.read() as s:
                        first = int(s.conn.exec_driver_sql(
                            "SELECT COALESCE(MAX(seq), 0) + 1 FROM events").scalar_one())
                    seqs = range(first, first + event_count(batch))
                ahead = prepare(batch, order, pools, seqs, _now(postgres))
                if pending is not None:
                    settle(pending[0].result(), pending[1])
                    pending = None
                # Optimistic: the next chunk assumes this one commits as prepared; if it
                # was renumbered under the lock, the next one finds out and renumbers too.
                pools.update(ahead.issued)
                pools.update(ahead.counters)
                args = (store, seed, size, chunk, index, count, as_of, order, ahead)
                if postgres:
                    pending = (writer.submit(_write_chunk, *args), index)
                else:
                    settle(_write_chunk(*args), index)
            if pending is not None:
                settle(pending[0].result(), pending[1])
    return LoadReport(size=size, seed=seed, chunk=chunk, as_of=as_of, chunks=len(counts),
                      loaded=loaded, skipped=len(counts) - loaded, residents=people,
                      events=events, seconds=time.perf_counter() - started)

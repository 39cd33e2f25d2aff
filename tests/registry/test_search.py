"""Name search against a slow reference, on both plans, and its index against ``persons``.

Run on SQLite and on PostgreSQL. The reference scores every person of the
register in Python, from ``persons`` and the three columns the writers write;
the search under test reads the name index of revision 0005 (sex, birth date
and TERYT copied by triggers), so the comparison checks the triggers too.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest
from sqlalchemy import Connection, select, text

from openpesel.population.build import build
from openpesel.registry import events as ev, search as search_module
from openpesel.registry.names import tokens
from openpesel.registry.ports import Narrowing
from openpesel.registry.search import FORMER_NAME_WEIGHT, Query, _closeness
from openpesel.registry.service import Register
from openpesel.storage import schema as t, search_index
from openpesel.storage.store import Store
from tests.support.migrations import downgrade
from tests.support.office import GMINA, born, event

TODAY = datetime.date(2026, 6, 1)

# Forcing each plan: a cap of 1 gathers only for a word nobody carries (every other query
# walks, choosing its driver blind); a huge one always gathers.
PLANS = {"walk": (1, 1), "gather": (10**9, 10**9), "as configured": None}


def reference(reg: Register, q: Query) -> list[tuple[str, float]]:
    """What search must answer, by scoring everyone: (PESEL, score), best first."""
    with reg.store.read() as s:
        vocabulary = [_closeness(s, word) for word in tokens(q.text)]
        keys = s.conn.execute(select(t.person_names.c.person_id, t.person_names.c.name_norm,
                                     t.person_names.c.role)).all()
        people = {r.person_id: r for r in s.conn.execute(select(t.persons))}
    best: dict[uuid.UUID, list[float | None]] = {}
    for person_id, name, role in keys:
        mine = best.setdefault(person_id, [None] * len(vocabulary))
        for i, closeness in enumerate(vocabulary):
            if name in closeness:
                value = closeness[name] * (FORMER_NAME_WEIGHT if role == "former" else 1.0)
                current = mine[i]
                mine[i] = value if current is None else max(current, value)
    ranked = []
    for person_id, values in best.items():
        p = people[person_id]
        born_ok = (q.born is None or p.birth_date == q.born) and (
            q.year is None or p.birth_date.year == q.year)
        place_ok = q.teryt is None or (p.teryt or "").startswith(q.teryt)
        if None in values or not born_ok or not place_ok or q.sex not in (None, p.sex):
            continue
        score = sum(v for v in values if v is not None) / len(values)
        ranked.append((-score, p.birth_date, person_id))
    ranked.sort()
    return [(people[pid].pesel, round(-neg, 3)) for neg, _, pid in ranked[:q.limit]]


def queries(reg: Register, count: int, seed: int) -> Iterator[Query]:
    """Queries about people in the register: their names (whole, partial, misspelt, with
    and without diacritics) with each filter, and a few about nobody."""
    rng = random.Random(seed)
    with reg.store.read() as s:
        people = list(s.conn.execute(select(t.persons)).all())
    for _ in range(count):
        p = rng.choice(people)
        first = p.first_names.split()[0]
        family = p.family_name
        text_ = rng.choice([f"{first} {family}", family, first, f"{family} {first}",
                            family[:-1] + "y", family[:2] + family[3:], f"{first[:-1]} {family}",
                            tokens(family)[0]])
        query = Query(text_, limit=rng.choice([1, 3, 20]))
        yield query
        yield replace(query, year=p.birth_date.year)
        yield replace(query, born=p.birth_date, sex=p.sex)
        yield replace(query, sex=rng.choice("FM"))
        if p.teryt:
            yield replace(query, teryt=p.teryt[:rng.choice([2, 4, 7])])
    yield Query("Zzyzx")
    yield Query("Nowak Zzyzx")


@pytest.fixture
def town(register: Register) -> Register:
    build(register, 120, seed=11, today=TODAY)
    # Hand-made corners: a name in two roles, a former name, a double surname, no address.
    born(register, "Nowak", "Nowak", "M", "1960-02-02")
    ewa = born(register, "Ewa", "Nowak-Kowalska", "F", "1975-05-05")
    event(register, ev.Kind.NAME_CHANGED, ewa.pesel, "2001-01-01", family_name="Kowalska")
    born(register, "Anna", "Nowak", "F", "1975-05-05")
    return register


@pytest.mark.parametrize("plan", list(PLANS))
def test_search_ranks_as_scoring_everyone_does(town: Register, plan: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    caps = PLANS[plan]
    if caps is not None:
        monkeypatch.setattr(search_module, "GATHER_CAP", caps[0])
        monkeypatch.setattr(search_module, "PLACE_CAP", caps[1])
    checked = 0
    for q in queries(town, 25, seed=5):
        expected = reference(town, q)
        assert [(h.pesel, h.score) for h in town.search(q)] == expected, q
        checked += bool(expected)
    assert checked > 60  # most queries found someone: the comparison was not of empties


def test_a_page_is_the_start_of_a_longer_page(town: Register,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Paging asks for offset + limit and cuts: a shorter page must be a prefix of a longer."""
    monkeypatch.setattr(search_module, "GATHER_CAP", 1)
    for text_ in ("Nowak", "Kowalsky", "Anna Nowak", "Jan"):
        longest = [h.pesel for h in town.search(Query(text_, limit=50))]
        for limit in (1, 2, 5, 17):
            assert [h.pesel for h in town.search(Query(text_, limit=limit))] == longest[:limit]


def _index_disagreements(reg: Register) -> list[tuple[object, ...]]:
    with reg.store.read() as s:
        return list(s.conn.execute(text(
            "SELECT n.name_norm, n.sex, n.birth_date, n.teryt, p.sex, p.birth_date, p.teryt "
            "FROM person_names AS n LEFT JOIN persons AS p ON p.person_id = n.person_id "
            "WHERE p.person_id IS NULL OR n.sex IS NULL OR n.sex <> p.sex "
            "OR n.birth_date IS NULL OR n.birth_date <> p.birth_date "
            "OR (n.teryt IS NULL) <> (p.teryt IS NULL) OR n.teryt <> p.teryt")).all())


def test_the_name_index_follows_each_change_of_a_person(register: Register) -> None:
    ola = born(register, "Ola", "Zawada", "F", "1990-03-03")
    assert register.search(Query("Ola Zawada", year=1990))[0].pesel == ola.pesel
    fixed = event(register, ev.Kind.BIRTH_DATE_CORRECTED, ola.pesel, "2000-01-01",
                  ev.Authority.MINISTER, birth_date="1991-03-03")
    assert register.search(Query("Ola Zawada", year=1990)) == []
    assert [h.pesel for h in register.search(Query("Zawada", year=1991))] == [fixed.pesel]
    assert register.search(Query("Zawada", sex="M")) == []
    changed = event(register, ev.Kind.SEX_CHANGED, fixed.pesel, "2021-01-01", sex="M")
    assert [h.pesel for h in register.search(Query("Zawada", sex="M"))] == [changed.pesel]
    assert register.search(Query("Zawada", sex="F")) == []
    assert register.search(Query("Zawada", teryt="14")) == []
    event(register, ev.Kind.RESIDENCE_REGISTERED, changed.pesel, "2022-05-01", GMINA,
          residence="permanent", teryt="1465011", address="ul. Polna 1, Warszawa")
    assert [h.pesel for h in register.search(Query("Zawada", teryt="1465"))] == [changed.pesel]
    event(register, ev.Kind.RESIDENCE_DEREGISTERED, changed.pesel, "2023-04-30", GMINA,
          residence="permanent")
    assert register.search(Query("Zawada", teryt="14")) == []
    event(register, ev.Kind.RESIDENCE_REGISTERED, changed.pesel, "2023-05-01", GMINA,
          residence="permanent", teryt="1261011", address="ul. Polna 2, Kraków")
    assert register.search(Query("Zawada", teryt="14")) == []
    assert [h.pesel for h in register.search(Query("Zawada", teryt="12"))] == [changed.pesel]
    assert _index_disagreements(register) == []


def test_the_name_index_agrees_with_persons_after_a_life_and_a_rebuild(town: Register) -> None:
    assert _index_disagreements(town) == []
    town.rebuild_projections()
    assert _index_disagreements(town) == []


def test_the_upgrade_fills_the_index_of_an_older_register(register: Register) -> None:
    anna = born(register, "Anna", "Wiśniewska", "F", "1980-01-01")
    jan = born(register, "Jan", "Wiśniewski", "M", "1981-01-01")
    # Taken back to revision 0004: name keys without their bearer's columns. (Today's
    # writer packs payloads, which a PostgreSQL register at 0004 would refuse.)
    downgrade(register.store, "0004")
    with register.store.read() as s:
        columns = set(s.conn.exec_driver_sql("SELECT * FROM person_names LIMIT 0").keys())
    assert columns == {"name_norm", "person_id", "role"}
    register.store.initialise()
    assert _index_disagreements(register) == []
    assert [h.pesel for h in register.search(Query("Wisniewska", year=1980))] == [anna.pesel]
    assert [h.pesel for h in register.search(Query("Wisniewski", sex="M"))] == [jan.pesel]


def test_a_writer_that_supplies_the_keys_is_trusted(store_url: str) -> None:
    """A bulk writer may write the three columns itself; the trigger then leaves them."""
    store = Store(store_url)
    store.initialise()
    reg = Register(store)
    p = born(reg, "Iga", "Lis", "F", "2001-01-01")
    with store.write() as s:
        pid = s.holder(p.pesel)
        assert pid is not None
        s.conn.execute(text(
            "INSERT INTO person_names (name_norm, person_id, role, sex, birth_date, teryt) "
            "VALUES ('swiatek', :pid, 'former', 'F', :born, '1465011')"),
            {"pid": pid[0].hex if not s.postgres else pid[0], "born": "2001-01-01"})
        row = s.conn.execute(text(
            "SELECT sex, birth_date, teryt FROM person_names WHERE name_norm = 'swiatek'")).one()
    assert (row[0], str(row[1]), row[2]) == ("F", "2001-01-01", "1465011")
    store.dispose()


def test_a_gather_that_finds_more_than_were_counted_walks_instead(
        town: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer may add bearers between the count and the gather; the answer stays whole."""
    counted = search_index.count_bearers

    def too_few(conn: Connection, groups: Sequence[tuple[Sequence[str], Sequence[str]]],
                where: Narrowing, cap: int) -> list[dict[str, int]]:
        counts = counted(conn, groups, where, cap)
        if any(len(roles) == 3 for _, roles in groups):  # the words' counts: say none
            return [dict.fromkeys(c, 0) for c in counts]
        return counts

    monkeypatch.setattr(search_index, "count_bearers", too_few)
    monkeypatch.setattr(search_module, "GATHER_CAP", 2)
    for q in (Query("Nowak"), Query("Anna Nowak", limit=3), Query("Jan", sex="M")):
        assert [(h.pesel, h.score) for h in town.search(q)] == reference(town, q), q

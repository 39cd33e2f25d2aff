"""The bulk loader writes what the per-event path would, fast, and survives being killed.

Every test here runs on SQLite and on a real PostgreSQL (COPY) through the
``store``/``register`` fixtures. Sizes are smaller on PostgreSQL, where each
rebuild round trip costs more.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import inspect, text

from openpesel.errors import PoolExhausted
from openpesel.number import Sex, encode, get_birth_date, get_sex, is_valid
from openpesel.number.order import PoolOrder, permute
from openpesel.number.pesel import encode_day
from openpesel.population import synth
from openpesel.population.allocate import allocate
from openpesel.population.bulk import BulkLoadError, load_population
from openpesel.population.plan import feminine
from openpesel.population.rows import event_count
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.rules import date_range
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage import bulk_indexes
from openpesel.storage.packing import unpack
from openpesel.storage.store import Store
from tests.conftest import fresh_postgres
from tests.support.office import born, projection_snapshot

AS_OF = datetime.date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


def _postgres(store: Store) -> bool:
    return store.engine.dialect.name == "postgresql"


def _rows(store: Store, sql: str) -> list[Any]:
    with store.read() as s:
        return list(s.conn.exec_driver_sql(sql).all())


def _one(store: Store, sql: str) -> Any:
    return _rows(store, sql)[0][0]


# -- pure parts --------------------------------------------------------------------------


def _reference_serial(key: bytes, pool: str, n: int) -> int:
    """The documented network, spelled out with ``hmac``: 13 bits in halves of 7 and 6,
    four rounds of HMAC-SHA-256 over ``pool|round|value``, cycle-walked below 5,000."""
    def feistel(value: int) -> int:
        bits = [7, 6]
        left, right = value >> 6, value & 63
        for rnd in range(4):
            mac = hmac.new(key, f"{pool}|{rnd}|{right}".encode(), hashlib.sha256).digest()
            left, right = right, left ^ (int.from_bytes(mac[:4], "big") & ((1 << bits[0]) - 1))
            bits.reverse()
        return (left << bits[1]) | right
    value = feistel(n)
    while value >= 5000:
        value = feistel(value)
    return value


def test_the_pool_order_is_the_documented_permutation() -> None:
    key = os.urandom(32)
    order = PoolOrder(key)
    for pool in ("1999-01-01F", "2004-02-29M", "1931-12-31F"):
        assert [order.serial(pool, n) for n in range(0, 5000, 7)] == [
            _reference_serial(key, pool, n) for n in range(0, 5000, 7)] == [
            permute(key, pool, n) for n in range(0, 5000, 7)]


def test_a_number_by_day_is_the_number_by_date() -> None:
    for day in (datetime.date(1800, 1, 1), datetime.date(1999, 12, 31), datetime.date(2299, 6, 1)):
        for serial, sex in ((0, Sex.FEMALE), (4999, Sex.MALE), (1234, Sex.MALE)):
            pesel = encode_day(day.toordinal(), serial, sex.parity)
            assert is_valid(pesel) and get_birth_date(pesel) == day and get_sex(pesel) == sex
            assert pesel == encode(day, serial, sex)


def test_a_chunk_is_a_pure_function_of_seed_and_index() -> None:
    a = synth.residents(11, 3, 4000, AS_OF)
    again = synth.residents(11, 3, 4000, AS_OF)
    other_seed = synth.residents(12, 3, 4000, AS_OF)
    other_chunk = synth.residents(11, 4, 4000, AS_OF)
    assert a.person_id == again.person_id and a.first_name == again.first_name
    assert np.array_equal(a.birth, again.birth) and np.array_equal(a.spouse, again.spouse)
    for other in (other_seed, other_chunk):
        assert not set(a.person_id) & set(other.person_id)
        assert not np.array_equal(a.birth, other.birth)


def test_generated_people_look_like_the_register() -> None:
    people = synth.residents(5, 0, 40_000, AS_OF)
    n = len(people)
    assert 0.018 < people.foreign.mean() < 0.034  # about 2.6 %
    ukr = people.ukr
    registered = [datetime.date.fromordinal(int(d)) for d in people.registered[ukr]]
    born = [datetime.date.fromordinal(int(d)) for d in people.birth[ukr]]
    assert all(datetime.date(2022, 3, 16) <= r <= datetime.date(2022, 4, 30) or r == b
               for r, b in zip(registered, born, strict=True))
    assert 0.45 < people.female.mean() < 0.56
    assert all(re.fullmatch(r"(0[2468]|1[02468]|2[02468]|3[02])\d{4}[1-3]", t)
               for t in people.teryt)
    # Families: parents at least 20 years older, a wedding before the birth, the
    # father's name (feminine for a daughter) and the father's address.
    kids = np.flatnonzero(people.mother >= 0)
    assert len(kids) > n // 10
    for i in kids[:500]:
        mum, dad = int(people.mother[i]), int(people.father[i])
        assert people.spouse[mum] == dad
        assert people.birth[i] - people.birth[mum] >= synth.ADULT_DAYS
        assert people.birth[i] - people.birth[dad] >= synth.ADULT_DAYS
        assert people.wedding[mum] < people.birth[i]
        dad_name = people.family_at_birth[dad]
        assert people.family_at_birth[i] == (feminine(dad_name) if people.female[i] else dad_name)
        assert people.home[i] == people.home[dad]
    wives = np.flatnonzero(people.female & (people.spouse >= 0))
    assert 0.2 < len(wives) / people.female.sum() < 0.7
    common = Counter(people.first_name).most_common(1)[0][0]
    assert common in ("Anna", "Piotr")  # Zipf: rank 1 dominates


def test_allocation_skips_numbers_already_held_and_counts_them() -> None:
    people = synth.residents(1, 0, 300, AS_OF)
    order = PoolOrder(b"k" * 32)
    first, counters = allocate(order, people, {}, set())
    assert len(set(first)) == len(first) == sum(counters.values())
    held = set(first[:5])
    second, counters2 = allocate(order, people, {}, held)
    assert not held & set(second)
    assert sum(counters2.values()) == len(people) + len(held)
    # Continuing a pool: the next numbers follow on from its counter.
    day, sex = next(iter(counters))
    third, counters3 = allocate(order, people, dict(counters), set())
    assert not set(first) & set(third)
    assert counters3[(day, sex)] > counters[(day, sex)]


def test_a_full_pool_moves_a_year_only_date_on_and_refuses_an_exact_one() -> None:
    people = synth.residents(2, 0, 20_000, AS_OF)
    order = PoolOrder(b"k" * 32)
    vague = int(np.flatnonzero(people.year_only)[0])
    jan1 = datetime.date.fromordinal(int(people.birth[vague]))
    sex = "F" if people.female[vague] else "M"
    pesels, counters = allocate(order, people, {(str(jan1), sex): 5000}, set())
    assert get_birth_date(pesels[vague]) == jan1 + datetime.timedelta(days=1)
    jan2 = str(jan1 + datetime.timedelta(days=1))
    assert (str(jan1), sex) not in counters and counters[(jan2, sex)] >= 1  # only changes
    exact = int(np.flatnonzero(~people.year_only)[0])
    day = datetime.date.fromordinal(int(people.birth[exact]))
    sex = "F" if people.female[exact] else "M"
    with pytest.raises(PoolExhausted, match=f"{day}"):
        allocate(order, people, {(str(day), sex): 5000}, set())


# -- loads ---------------------------------------------------------------------------------


def test_a_loaded_register_keeps_every_invariant(register: Register) -> None:
    store = register.store
    size = 8_000 if _postgres(store) else 20_000
    # Before the load, a clerk registers a birth on a date the load will use, and an
    # import brings in the very number the load would issue next for that pool.
    chunk0 = synth.residents(42, 0, size // 4, AS_OF)
    i = int(np.flatnonzero(~chunk0.year_only)[0])
    on = datetime.date.fromordinal(int(chunk0.birth[i]))
    sex = "F" if chunk0.female[i] else "M"
    early = born(register, "Ewa" if sex == "F" else "Jan", "Nowak", sex, on.isoformat())
    with store.read() as s:
        key = s.pool_key()
    imported = encode(on, permute(key, f"{on}{sex}", 1), Sex(sex))
    born(register, "Ola" if sex == "F" else "Olo", "Nowak", sex, on.isoformat(), pesel=imported)

    report = load_population(store, size, 42, chunk=size // 4, as_of=AS_OF)
    expected_events = sum(event_count(synth.residents(42, k, c, AS_OF))
                          for k, c in enumerate(synth.chunk_sizes(size, size // 4)))
    assert (report.residents, report.events, report.loaded) == (size, expected_events, 4)

    persons = _rows(store, "SELECT pesel, birth_date, sex, record FROM persons")
    pesels = [r[0] for r in persons]
    assert len(persons) == size + 2 and len(set(pesels)) == size + 2
    assert {early.pesel, imported} < set(pesels)
    assert _one(store, "SELECT count(*) FROM pesel_assignments") == size + 2
    assert _one(store, "SELECT count(*) FROM events") == expected_events + 2
    assert _one(store, "SELECT count(*) FROM load_progress") == 4
    shapes: Counter[str] = Counter()
    for pesel, birth, sex, record in persons:
        record = unpack(record)
        assert is_valid(pesel) and get_sex(pesel).value == sex
        first, last = date_range(datetime.date.fromisoformat(str(birth)),
                                 record["birth_date_precision"])
        assert first <= get_birth_date(pesel) <= last
        shapes[record["birth_date_precision"]] += 1
        shapes["foreigner" if record["foreigner_status"] else "native"] += 1
        shapes["renamed" if record["former_names"] else "same name"] += 1
        shapes["child" if record["mother"] else "no parents here"] += 1
    assert min(shapes["foreigner"], shapes["renamed"], shapes["child"], shapes["year"]) > 0

    # Every event is one the register accepts, in the form it stores it.
    kinds: Counter[str] = Counter()
    for kind, payload in _rows(store, "SELECT kind, payload FROM events"):
        payload = unpack(payload)
        parsed = ev.parse_payload(ev.Kind(kind), payload)
        assert parsed.model_dump(mode="json", exclude_none=True) == payload
        kinds[kind] += 1
    assert kinds["birth"] + kinds["foreigner_registered"] == size + 2
    assert kinds["residence_registered"] == size and kinds["married"] % 2 == 0

    # Pool counters: each pool issued exactly its first `issued` permuted serials; the
    # imported number was skipped (and counted), never issued twice.
    pools = _rows(store, "SELECT birth_date, sex, issued FROM pesel_pools")
    assert sum(n for _, _, n in pools) == size + 2
    issued = {encode(datetime.date.fromisoformat(str(d)), permute(key, f"{d}{x}", k), Sex(x))
              for d, x, n in pools for k in range(n)}
    assert issued == set(pesels)

    # Search finds loaded people by name, with or without diacritics.
    pesel, birth, _, record = persons[123]
    record = unpack(record)
    hits = register.search(Query(f"{record['first_names'][0]} {record['family_name']}",
                                 born=datetime.date.fromisoformat(str(birth))))
    assert pesel in {h.pesel for h in hits}
    assert register.show(pesel)["pesel"] == pesel

    # Per-event writes carry on from the counters: no collision on the busiest pool.
    (busiest, sex_code), _ = Counter((str(b), s) for _, b, s, _ in persons).most_common(1)[0]
    before = _one(store, f"SELECT issued FROM pesel_pools WHERE birth_date = '{busiest}' "
                         f"AND sex = '{sex_code}'")
    baby = born(register, "Ala", "Nowak", sex_code, busiest)
    assert baby.pesel not in set(pesels)
    assert _one(store, f"SELECT issued FROM pesel_pools WHERE birth_date = '{busiest}' "
                       f"AND sex = '{sex_code}'") == before + 1


def test_projections_equal_a_rebuild_from_the_log(register: Register) -> None:
    store = register.store
    load_population(store, 2_500, 3, chunk=1_000, as_of=AS_OF)
    loaded = projection_snapshot(register)
    assert len(loaded["persons"]) == 2_500 and loaded["person_links"]
    register.rebuild_projections()
    assert projection_snapshot(register) == loaded


def test_payloads_are_what_register_stores(register: Register[Store]) -> None:
    """Record a loaded child's and a foreigner's twins through Register: same payloads."""
    store = register.store
    load_population(store, 3_000, 9, chunk=3_000, as_of=AS_OF)
    people = synth.residents(9, 0, 3_000, AS_OF)
    child = int(np.flatnonzero(people.mother >= 0)[0])
    alien = int(np.flatnonzero(people.foreign)[0])
    pesel_of = {uuid.UUID(str(r[0])): r[1]
                for r in _rows(store, "SELECT person_id, pesel FROM persons")}

    def loaded_payload(i: int) -> dict[str, Any]:
        pid = people.person_id[i]
        with store.read() as s:
            return s.events_for(pid)[0].payload_json()

    for i, kind, authority in ((child, ev.Kind.BIRTH, ev.Authority.USC),
                               (alien, ev.Kind.FOREIGNER_REGISTERED, ev.Authority.GMINA)):
        mine = loaded_payload(i)
        given = {k: v for k, v in mine.items() if k not in {
            "pesel", "mother_id", "mother_first_name", "mother_family_name", "father_id",
            "father_first_name", "father_family_name"}}
        if people.mother[i] >= 0:
            given |= {"mother_pesel": pesel_of[people.person_id[int(people.mother[i])]],
                      "father_pesel": pesel_of[people.person_id[int(people.father[i])]]}
        effective = datetime.date.fromordinal(int(people.registered[i]))
        twin = register.record(Command(kind, given, authority, "TWIN/1",
                                       effective_date=effective))
        with store.read() as s:
            theirs = s.events_for(twin.person_id)[0].payload_json()
        assert {**theirs, "pesel": None} == {**mine, "pesel": None}
        assert list(theirs) == list(mine)


def test_a_seed_cannot_be_reused_with_another_size(store: Store) -> None:
    load_population(store, 500, 8, chunk=250, as_of=AS_OF)
    with pytest.raises(BulkLoadError, match="already loaded with size 500"):
        load_population(store, 600, 8, chunk=250, as_of=AS_OF)
    again = load_population(store, 500, 8, chunk=250, as_of=AS_OF)
    assert (again.loaded, again.skipped) == (0, 2)
    assert _one(store, "SELECT count(*) FROM persons") == 500


_CHILD = """
import sys, time
from openpesel.population import bulk
from openpesel.storage.store import Store
import datetime
store = Store(sys.argv[1])
bulk.load_population(store, int(sys.argv[2]), 77, chunk=int(sys.argv[3]),
                     as_of=datetime.date(2026, 6, 30), on_chunk=lambda *_: time.sleep(0.4))
"""


def _same_key(source: Store, target: Store) -> None:
    """Give ``target`` the pool key of ``source`` so both issue the same numbers."""
    with source.read() as s:
        key = s.pool_key()
    with target.engine.begin() as conn:
        conn.execute(text("UPDATE register_meta SET value = :v WHERE name = 'pool_key'"),
                     {"v": key})


def _people(store: Store) -> list[tuple[str, ...]]:
    return sorted(tuple(str(v) for v in r) for r in _rows(
        store, "SELECT person_id, pesel, first_names, family_name, birth_date FROM persons"))


def _index_names(store: Store) -> set[str]:
    with store.read() as s:
        found = inspect(s.conn)
        return {str(i["name"]) for t in found.get_table_names() for i in found.get_indexes(t)}


def test_a_killed_load_resumes_with_nothing_lost_or_doubled(
        store: Store, store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    size, chunk = (6_000, 1_000) if _postgres(store) else (12_000, 2_000)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, store_url, str(size), str(chunk)],
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and child.poll() is None:
            with store.engine.connect() as conn:
                has_table = conn.dialect.has_table(conn, "load_progress")
                done = conn.exec_driver_sql("SELECT count(*) FROM load_progress").scalar_one() \
                    if has_table else 0
            if done >= 1:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    committed = _one(store, "SELECT count(*) FROM load_progress")
    assert 1 <= committed < size // chunk, "the kill must land in the middle of the load"
    assert _one(store, "SELECT count(*) FROM persons") == committed * chunk
    # The load began on an empty register: its secondary indexes wait for the end, and
    # what was set aside is written down for the resumed load to build.
    aside = {str(n) for (n,) in _rows(store, "SELECT name FROM load_deferred")}
    assert set(bulk_indexes.INDEXES) <= aside
    assert not aside & _index_names(store)

    report = load_population(store, size, 77, chunk=chunk)
    assert report.skipped == committed and report.residents == size - committed * chunk
    assert _one(store, "SELECT count(*) FROM load_deferred") == 0
    assert set(bulk_indexes.INDEXES) <= _index_names(store)

    if _postgres(store):
        reference = Store(fresh_postgres(request.getfixturevalue("pg_url")))
    else:
        reference = Store(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    reference.initialise()
    try:
        _same_key(store, reference)
        load_population(reference, size, 77, chunk=chunk, as_of=AS_OF)
        resumed = _people(store)
        assert len(resumed) == size and len({p[1] for p in resumed}) == size
        assert resumed == _people(reference)
        for table in ("events", "pesel_assignments", "person_names", "person_links"):
            assert _one(store, f"SELECT count(*) FROM {table}") == _one(
                reference, f"SELECT count(*) FROM {table}")
        # A different seed is a different population.
        other = load_population(reference, size, 78, chunk=chunk, as_of=AS_OF)
        assert other.residents == size
        assert len(_people(reference)) == 2 * size
    finally:
        reference.dispose()


def test_the_command_loads_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    import typer
    from typer.testing import CliRunner

    from openpesel.cli.load import load_population_cmd
    from openpesel.population.bulk import DEFAULT_CHUNK

    chunk_option = inspect.signature(load_population_cmd).parameters["chunk"].default
    assert chunk_option.default == DEFAULT_CHUNK
    monkeypatch.setenv("OPENPESEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPENPESEL_DATABASE_URL", raising=False)
    app = typer.Typer()
    app.command("load-population")(load_population_cmd)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    args = ["load-population", "--size", "900", "--seed", "4", "--chunk", "300", "--no-progress"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0 and "loaded 900 residents" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "3 already done" in again.output
    refused = runner.invoke(app, [*args[:2], "1000", *args[3:]])
    assert refused.exit_code == 6 and "already loaded with size 900" in refused.output


def test_a_clerk_writing_between_chunks_never_gets_a_number_twice(
        register: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk numbered ahead of its transaction is renumbered if the register moved."""
    from openpesel.population import bulk, rows

    store = register.store
    size, chunk = 3_000, 1_000
    nxt = synth.residents(31, 1, chunk, AS_OF)
    i = int(np.flatnonzero(~nxt.year_only)[0])
    day, sex = datetime.date.fromordinal(int(nxt.birth[i])), "F" if nxt.female[i] else "M"
    built = []
    original = rows.build_rows

    def counting(*args: Any) -> Any:
        built.append(1)
        return original(*args)

    monkeypatch.setattr(bulk, "build_rows", counting)
    clerk: list[str] = []

    def between(done: int, total: int) -> None:
        if done == chunk:  # the pool chunk 1 was numbered from moves on under it
            clerk.append(born(register, "Ala", "Nowak", sex, day.isoformat()).pesel)

    load_population(store, size, 31, chunk=chunk, as_of=AS_OF, on_chunk=between)
    pesels = [r[0] for r in _rows(store, "SELECT pesel FROM persons")]
    assert len(pesels) == len(set(pesels)) == size + 1 and clerk[0] in pesels
    assert _one(store, "SELECT sum(issued) FROM pesel_pools") == size + 1
    # Chunk 1 was built again under the lock; on PostgreSQL chunk 2 was already prepared
    # (while chunk 1 was written) on chunk 1's assumed counters, so it is built again too.
    assert len(built) == 3 + (2 if _postgres(store) else 1)
    born(register, "Ela", "Nowak", sex, day.isoformat())  # and the clerk carries on

"""Number allocation: unique under concurrent writers, honest when a pool runs out."""

from __future__ import annotations

import datetime
import multiprocessing

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import insert

from openpesel.errors import PoolExhausted
from openpesel.number import Sex, get_birth_date, get_serial
from openpesel.number.order import permute
from openpesel.registry.service import Register
from openpesel.storage.schema import pesel_pools
from openpesel.storage.store import Store
from tests.support.office import born

WRITERS, BIRTHS_EACH = 4, 25


def _allocate_births(url: str, births: int) -> list[str]:
    """One writer process: record births for the same day and sex; note each refusal."""
    store = Store(url)
    register = Register(store)
    out = []
    try:
        for _ in range(births):
            try:
                out.append(born(register, "Jan", "Nowak", "M", "2001-09-11").pesel)
            except PoolExhausted as exc:
                out.append(f"refused: {exc}")
        return out
    finally:
        store.dispose()


def busy_day(store: Store, day: datetime.date, sex: Sex, issued: int) -> None:
    """A day on which ``issued`` numbers have already gone out of the pool."""
    with store.write() as s:
        s.conn.execute(insert(pesel_pools).values(birth_date=day, sex=sex.value, issued=issued))


def _race(url: str, births: int) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        results = pool.starmap(_allocate_births, [(url, births)] * WRITERS)
    return [p for chunk in results for p in chunk]


def test_concurrent_writers_never_share_a_number(store: Store, store_url: str) -> None:
    issued = _race(store_url, BIRTHS_EACH)
    assert len(issued) == WRITERS * BIRTHS_EACH
    assert len(set(issued)) == len(issued)
    with store.read() as s:
        assert s.count("pesel_assignments") == len(issued)
        assert s.count("events") == len(issued)


def test_writers_racing_for_the_last_numbers(store: Store, store_url: str) -> None:
    day = datetime.date(2001, 9, 11)
    busy_day(store, day, Sex.MALE, issued=5000 - 10)
    outcome = _race(store_url, 5)
    issued = [p for p in outcome if not p.startswith("refused")]
    refused = [p for p in outcome if p.startswith("refused")]
    assert len(issued) == len(set(issued)) == 10
    assert len(refused) == WRITERS * 5 - 10
    assert all("numbers for men born 2001-09-11" in r for r in refused)


def test_an_exhausted_pool_names_the_date_and_sex(register: Register) -> None:
    day = datetime.date(1999, 1, 1)
    busy_day(register.store, day, Sex.FEMALE, issued=5000)
    with pytest.raises(PoolExhausted, match="women born 1999-01-01"):
        born(register, "Ewa", "Nowak", "F", "1999-01-01")
    # A man born the same day comes from another pool.
    assert get_birth_date(born(register, "Jan", "Nowak", "M", "1999-01-01").pesel) == day


def test_a_year_only_birth_date_spills_into_the_next_day(register: Register) -> None:
    """The rule for partial dates: the first day of the known period with room left."""
    busy_day(register.store, datetime.date(1970, 1, 1), Sex.MALE, issued=5000)
    p = born(register, "Oleh", "Melnyk", "M", "1970-01-01", birth_date_precision="year")
    assert get_birth_date(p.pesel) == datetime.date(1970, 1, 2)
    assert register.show(p.pesel)["birth_date_precision"] == "year"


def test_the_order_of_issue_hides_the_order_of_registration(register: Register) -> None:
    serials = [get_serial(born(register, "Jan", "Nowak", "M", "2010-10-10").pesel)
               for _ in range(20)]
    assert serials != sorted(serials)
    assert len(set(serials)) == 20


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.text(max_size=12))
def test_the_serial_order_is_a_permutation_for_any_key(key: bytes, pool: str) -> None:
    assert sorted(permute(key, pool, n) for n in range(5000)) == list(range(5000))

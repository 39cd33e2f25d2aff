"""Writers at the same time: registrations through one shared gate, and waiting for a person.

``tests/faults/test_concurrency.py`` gives each of its writers a store of its own;
here the threads share one ``Store`` and one ``Gate`` (its connection pool,
its cached secrets and name vocabulary), as the threads of one server process
do, and they all register into the same few pools: foreigners whose birth
year alone is known (the UKR registrations of 2022) and children born on one
day. No number may be issued twice, every registration must leave exactly
one audit entry, and the audit log must verify.
"""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from typing import Any

import pytest

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.access.signing import load_or_create_key
from openpesel.errors import StorageError
from openpesel.number import Sex, encode
from openpesel.number.order import permute
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.invariants import assert_sound
from tests.support.office import born

WRITERS, EACH = 6, 12


def _foreigner(n: int, sex: str) -> dict[str, Any]:
    return {"first_names": ["Olena" if sex == "F" else "Taras"], "family_name": "Szewczenko",
            "sex": sex, "birth_date": "1980-01-01", "birth_date_precision": "year",
            "birth_place": "Kijów", "birth_country": "UKR", "citizenship": "UKR",
            "status": "UKR", "foreign_document": f"FE{n:06d}"}


def _child(n: int, sex: str) -> dict[str, Any]:
    return {"first_names": ["Zofia" if sex == "F" else "Jan"], "family_name": f"Nowak{'ab'[n % 2]}",
            "sex": sex, "birth_date": "2025-03-01", "birth_place": "Gdańsk"}


def test_threads_sharing_one_gate_never_share_a_number(store_url: str, tmp_path: Path) -> None:
    store = Store(store_url)
    store.initialise()
    register = Register(store)
    gate = Gate(register, AuditLog(load_or_create_key(tmp_path / "audit-signing-key.pem")))
    clerks = {ev.Kind.FOREIGNER_REGISTERED: Role.MUNICIPAL_CLERK, ev.Kind.BIRTH: Role.USC_REGISTRAR}
    issued: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        mine = []
        try:
            for i in range(EACH):
                n = k * EACH + i
                kind = ev.Kind.FOREIGNER_REGISTERED if n % 3 else ev.Kind.BIRTH
                sex = "FM"[n % 2]
                payload = (_foreigner if kind is ev.Kind.FOREIGNER_REGISTERED else _child)(n, sex)
                access = Access(Principal(f"clerk-{k}", clerks[kind]), "registration")
                mine.append(gate.record(access, kind, payload, f"DOC/{n}").pesel)
        except BaseException as exc:
            failures.append(exc)
        with lock:
            issued.extend(mine)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, failures[:3]
        assert len(issued) == len(set(issued)) == WRITERS * EACH
        assert assert_sound(register, tmp_path) == WRITERS * EACH
    finally:
        store.dispose()


def test_a_number_that_came_in_by_import_is_skipped_by_the_pool(register: Register) -> None:
    """The pool's next number, already held by an imported record, is passed over."""
    day, sex = datetime.date(2025, 3, 1), Sex.MALE
    with register.store.read() as s:
        key = s.pool_key()
    first, second = (encode(day, permute(key, f"{day}{sex.value}", n), sex) for n in (0, 1))
    imported = born(register, "Jan", "Nowak", "M", day.isoformat(), pesel=first)
    assert imported.pesel == first
    assert born(register, "Adam", "Nowak", "M", day.isoformat()).pesel == second


# PostgreSQL only: SQLite's writers queue for the whole database, not for a row.
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_a_writer_that_waited_for_a_person_holds_them(register: Register) -> None:
    """After the writer before it changed her record, the next one has her row locked.

    PostgreSQL does not hand a waiting ``FOR UPDATE`` a row that was deleted and
    inserted again, so a record rewritten that way let the waiter, and everyone
    behind it, go on unlocked; two number changes at once then left a person
    with two current numbers (seen in ``test_concurrency.py``).
    """
    pesel = born(register, "Anna", "Nowak", "F", "1990-01-01").pesel
    person = register.resolve(pesel)
    locked, release = threading.Event(), threading.Event()

    def next_writer() -> None:
        with register.store.write() as s:
            s.lock([person])
            locked.set()
            release.wait(10)

    waiter = threading.Thread(target=next_writer)
    with register.store.write() as s:
        register.record_in(s, Command(ev.Kind.NAME_CHANGED, {"family_name": "Kowalska"},
                                      ev.Authority.USC, "USC/N/1", pesel))
        waiter.start()
        assert not locked.wait(0.5), "the next writer did not wait"
    try:
        assert locked.wait(10)
        with pytest.raises(StorageError, match="lock timeout"), register.store.write() as s:
            s.conn.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
            s.lock([person])
    finally:
        release.set()
        waiter.join()

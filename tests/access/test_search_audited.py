"""A search is a read of everyone it lists: each listed person finds it in their report."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.gate import HIT_FIELDS, Access, Gate, Principal, access_report
from openpesel.access.policy import Role
from openpesel.registry.commands import Recorded
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from tests.support.office import born

CLERK = Access(Principal("ola.usc", Role.USC_REGISTRAR), "marriage application 2026/117")


@pytest.fixture
def gate(register: Register) -> Gate:
    return Gate(register, AuditLog(Ed25519PrivateKey.generate()))


def _entries(gate: Gate, person: Recorded) -> list[AuditEntry]:
    with gate.store.read() as s:
        return [e for _, e in gate.audit.entries_for(s, person.person_id)]


def test_each_person_a_search_lists_gets_an_entry(gate: Gate, register: Register) -> None:
    annas = [born(register, "Anna", "Nowak", "F", f"19{80 + n}-01-01") for n in range(5)]
    jan = born(register, "Jan", "Kowalski", "M", "1980-01-01")

    page = gate.search(CLERK, Query("Anna Nowak", limit=2), offset=1)
    assert len(page) == 2
    listed = {h.pesel for h in page}
    for anna in annas:
        seen = _entries(gate, anna)
        if anna.pesel in listed:
            assert [(e.action, e.principal, e.purpose, e.pesel, tuple(e.fields)) for e in seen] == [
                ("search-hit", "ola.usc", CLERK.purpose, anna.pesel, tuple(sorted(HIT_FIELDS)))]
        else:
            assert seen == [], "a hit ranked above the page, or below it, was not shown"
    assert _entries(gate, jan) == []

    by_number = gate.search(CLERK, Query(jan.pesel))
    assert [h.pesel for h in by_number] == [jan.pesel]
    assert [e.action for e in _entries(gate, jan)] == ["search-hit"]


def test_the_resident_sees_the_search_in_their_access_report(gate: Gate,
                                                             register: Register) -> None:
    ewa = born(register, "Ewa", "Zielińska", "F", "1985-05-05")
    gate.search(CLERK, Query("Zielińska"))
    me = Access(Principal("ewa", Role.RESIDENT, person_id=ewa.person_id), "my access report")
    report = access_report(gate, me)
    actions = [(e["entry"]["principal"], e["entry"]["action"]) for e in report["entries"]]
    assert ("ola.usc", "search-hit") in actions

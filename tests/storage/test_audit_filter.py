"""The supervisor's audit filter, through the gate's audited use case, on both stores."""

from __future__ import annotations

import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.audit_query import AuditFilter
from tests.conftest import Clock
from tests.support.office import born


def _as(role: Role, name: str | None = None) -> Access:
    return Access(Principal(name or role.value, role), "filter test")


def test_the_audit_log_filters_by_person_principal_action_and_time(
        register: Register, clock: Clock) -> None:
    gate = Gate(register, AuditLog(Ed25519PrivateKey.generate()))
    ewa = born(register, "Ewa", "Lis", "F", "1980-03-03").pesel
    jan = born(register, "Jan", "Lis", "M", "1981-04-04").pesel
    anna, adam = _as(Role.USC_REGISTRAR, "anna"), _as(Role.MUNICIPAL_CLERK, "adam")
    gate.show(anna, ewa)
    gate.show(adam, jan)
    middle = clock.now + datetime.timedelta(milliseconds=500)  # each reading is 1 s on
    gate.show(anna, jan)
    gate.search(adam, Query("Lis", limit=5))
    admin = _as(Role.ADMIN, "root")

    def find(**where: object) -> list[tuple[str, str, str | None]]:
        _size, rows = gate.audit_entries(admin, 0, 50,
                                         AuditFilter(**where))  # type: ignore[arg-type]
        return [(e.principal, e.action, e.pesel) for _, e in rows]

    assert find(pesel=ewa) == [("adam", "search-hit", ewa), ("anna", "read", ewa)]
    assert find(principal="anna") == [("anna", "read", jan), ("anna", "read", ewa)]
    assert find(principal="adam", action="search") == [("adam", "search", None)]
    assert find(action="read", since=middle) == [("anna", "read", jan)]
    assert find(action="read", until=middle) == [("adam", "read", jan), ("anna", "read", ewa)]
    assert find(principal="nobody") == []
    # Paging keeps the filter: newest first, one at a time.
    _, first = gate.audit_entries(admin, 0, 1, AuditFilter(principal="anna"))
    _, second = gate.audit_entries(admin, 1, 1, AuditFilter(principal="anna"))
    assert [e.pesel for _, e in first + second] == [jan, ewa]
    # The browsing is audited, with the filter it used.
    size, newest = gate.audit_entries(admin, 0, 1)
    assert newest[0][1].action == "read-audit" and size > 8
    assert "principal:anna" in newest[0][1].fields
    assert isinstance(newest[0][1].at, datetime.datetime)

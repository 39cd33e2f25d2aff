"""Issue 15 items 2, 6, 7: the gate split by audience, one ``NotFound`` family, errors that
carry their own problem type, audit administration as use cases, and a matcher that knows no
register.

The layer contracts themselves run in ``make lint`` (import-linter); these tests pin what a
contract cannot say: which error maps to which answer, and that the audit use cases decide
access on every adapter's behalf.
"""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import grimp
import pytest

from openpesel import errors
from openpesel.access.audit import AuditError, AuditLog
from openpesel.access.audit_admin import NoHeadYet
from openpesel.access.credentials import AuthError, LoginThrottled
from openpesel.access.gate import Access, Forbidden, Gate, Principal, console
from openpesel.access.policy import Role, office_for, parent_may_read
from openpesel.access.signing import load_or_create_key
from openpesel.biometrics.errors import BiometricsError, ExtractorUnavailable
from openpesel.registry import events as ev
from openpesel.registry.rules import ADULT_AGE
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.office import born

T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
ADMIN = Access(Principal("root", Role.ADMIN))
RESIDENT = Access(Principal("ewa", Role.RESIDENT))


@pytest.mark.parametrize(("cls", "status", "slug"), [
    (errors.InvalidChecksum, 422, "invalid-pesel"), (errors.InvalidEvent, 422, "invalid-event"),
    (errors.ImportFailed, 422, "import-refused"), (errors.InvalidData, 422, "invalid-data"),
    (errors.PersonNotFound, 404, "not-found"), (errors.CaseNotFound, 404, "not-found"),
    (errors.TokenNotFound, 404, "not-found"), (errors.PrincipalNotFound, 404, "not-found"),
    (errors.FingerNotEnrolled, 404, "not-found"), (NoHeadYet, 404, "not-found"),
    (errors.PoolExhausted, 409, "pool-exhausted"),
    (errors.RegisterError, 409, "refused-by-register"),
    (LoginThrottled, 429, "login-throttled"), (AuthError, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"), (AuditError, 422, "audit"),
    (errors.ConcurrencyConflict, 409, "concurrent-change"),
    (errors.NotInitialised, 503, "not-initialised"), (errors.StorageFull, 503, "storage-full"),
    (errors.StorageUnavailable, 503, "storage-unavailable"), (errors.StorageError, 503, "storage"),
    (ExtractorUnavailable, 503, "extractor-unavailable"), (BiometricsError, 422, "fingerprint"),
    (errors.CannotServe, 400, "bad-request"), (errors.OpenPeselError, 400, "bad-request"),
])
def test_each_error_class_carries_its_problem(cls: type[errors.OpenPeselError], status: int,
                                              slug: str) -> None:
    assert (cls.http_status, cls.problem_type) == (status, slug)


def test_not_found_is_one_family_and_a_case_is_not_a_person() -> None:
    family = (errors.PersonNotFound, errors.CaseNotFound, errors.TokenNotFound,
              errors.PrincipalNotFound, errors.FingerNotEnrolled, NoHeadYet)
    assert all(issubclass(cls, errors.NotFound) for cls in family)
    assert all(cls.exit_code == errors.ExitCode.UNKNOWN_PERSON for cls in family)
    assert not any(issubclass(cls, errors.PersonNotFound) for cls in family[1:])
    assert issubclass(errors.PersonNotFound, errors.RegisterError)  # still the register's refusal


def test_the_access_modules_import_one_way() -> None:
    """Inside ``access`` (import-linter's contracts see only packages): no two modules
    import each other."""
    graph = grimp.build_graph("openpesel")
    ours = ("accountable", "authentication", "officials", "residents", "adjudication",
            "audit_admin", "gate", "login", "policy")
    for a, b in itertools.permutations(ours, 2):
        there = graph.chain_exists(importer=f"openpesel.access.{a}",
                                   imported=f"openpesel.access.{b}")
        back = graph.chain_exists(importer=f"openpesel.access.{b}",
                                  imported=f"openpesel.access.{a}")
        assert not (there and back), (a, b)


def test_the_laws_rules_live_in_the_policy() -> None:
    assert ADULT_AGE == 18
    assert parent_may_read(datetime.date(2010, 1, 1), datetime.date(2027, 12, 31))
    assert not parent_may_read(datetime.date(2010, 1, 1), datetime.date(2028, 1, 1))
    assert office_for(Role.MUNICIPAL_CLERK, ev.Kind.BIRTH) is None
    assert office_for(Role.BANK, ev.Kind.BIRTH) == ev.Authority.USC


@pytest.fixture
def gate(register: Register, clock: Clock, tmp_path: Path) -> Gate:
    clock.now = T0
    return Gate(register, AuditLog(load_or_create_key(tmp_path / "k.pem")))


def test_unknown_principals_and_tokens_are_their_own_not_found(gate: Gate) -> None:
    with pytest.raises(errors.PrincipalNotFound):
        gate.deactivate(ADMIN, "nobody")
    with pytest.raises(errors.TokenNotFound):
        gate.revoke(Principal("root", Role.ADMIN, jti="live"), "no-such-jti")
    with gate.store.read() as s:
        (_, last), = gate.audit.entries(s, 0, 1)
    assert (last.action, last.outcome) == ("deactivate-principal", "not_found")


def test_the_audit_log_is_verified_and_signed_only_for_those_who_may(gate: Gate,
                                                                     register: Register
                                                                     ) -> None:
    with pytest.raises(NoHeadYet):
        gate.latest_head()
    born(register, "Ewa", "Nowak", "F", "1980-01-01")
    gate.search(console("a test of the log"), Query("Ewa Nowak"))
    for refused in (gate.verify_audit, gate.sign_head):
        with pytest.raises(Forbidden):
            refused(RESIDENT)
    report = gate.verify_audit(ADMIN)
    head = gate.sign_head(console())
    assert report.ok and head.size == report.size == 2  # the search, and Ewa's own entry
    published = gate.latest_head()
    assert published["tree_size"] == 2
    assert gate.consistency_proof(1, 2)
    assert gate.sign_pending() is None  # nothing appended since the head

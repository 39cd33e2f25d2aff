"""The law holds on every path: impossible dates, Art. 10 for corrections, imports.

Each refusal must change nothing: no event, no number taken from a pool.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.errors import ImportFailed, OpenPeselError, RegisterError
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json
from tests.conftest import Clock, RegisterFactory
from tests.support.office import GMINA, USC, born, count_events, event

TODAY = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def today(clock: Clock) -> Clock:
    clock.now = TODAY
    return clock


def _pools(register: Register) -> int:
    with register.store.read() as s:
        return int(s.conn.exec_driver_sql("SELECT coalesce(sum(issued), 0) FROM pesel_pools")
                   .scalar_one())


# -- impossible dates --------------------------------------------------------

def test_a_birth_in_the_future_is_refused_and_takes_no_number(register: Register,
                                                              today: Clock) -> None:
    """The issue's case: a birth on 2027-11-20 recorded on 2026-12-05 got a PESEL."""
    with pytest.raises(RegisterError, match="after today"):
        born(register, "Zofia", "Nowak", "F", "2027-11-20")
    with pytest.raises(RegisterError, match="after today"):
        born(register, "Zofia", "Nowak", "F", "2026-12-06")
    assert count_events(register) == 0 and _pools(register) == 0
    assert born(register, "Zofia", "Nowak", "F", "2026-12-05").pesel


def test_no_event_is_dated_after_today(register: Register, today: Clock) -> None:
    anna = born(register, "Anna", "Nowak", "F", "1990-01-01").pesel
    cases: list[tuple[ev.Kind, dict[str, Any]]] = [
        (ev.Kind.DIED, {}), (ev.Kind.NAME_CHANGED, {"family_name": "Lis"})]
    for kind, fields in cases:
        with pytest.raises(RegisterError, match="after today"):
            event(register, kind, anna, "2026-12-06", **fields)
    with pytest.raises(RegisterError, match="after today"):
        event(register, ev.Kind.RESIDENCE_REGISTERED, anna, "2027-01-01", GMINA,
              residence="permanent", teryt="1465011", address="ul. Polna 1")
    assert count_events(register) == 1
    assert register.show(anna)["death_date"] is None


def test_today_is_the_day_in_poland(register: Register, clock: Clock) -> None:
    """At 23:30 UTC it is already tomorrow in Warsaw: a birth just after midnight is real."""
    clock.now = datetime.datetime(2026, 12, 5, 23, 29, tzinfo=datetime.UTC)
    assert born(register, "Ola", "Lis", "F", "2026-12-06").pesel


def test_a_birth_before_1800_cannot_be_encoded(register: Register, today: Clock) -> None:
    with pytest.raises(OpenPeselError, match="1800"):
        born(register, "Jan", "Stary", "M", "1799-12-31")
    assert count_events(register) == 0


def test_death_before_birth_is_refused(register: Register, today: Clock) -> None:
    jan = born(register, "Jan", "Nowak", "M", "1990-01-01").pesel
    with pytest.raises(RegisterError, match="before the birth"):
        event(register, ev.Kind.DIED, jan, "1989-12-31")


def test_marriage_age_follows_the_family_code(register: Register, today: Clock) -> None:
    """18, or 16 for a woman with the guardianship court's consent (KRO art. 10)."""
    ewa = born(register, "Ewa", "Lis", "F", "2009-06-01").pesel   # 17 in 2026
    adam = born(register, "Adam", "Lis", "M", "2009-06-01").pesel  # 17 in 2026
    piotr = born(register, "Piotr", "Nowak", "M", "1990-06-01").pesel
    iza = born(register, "Iza", "Nowak", "F", "1990-06-01").pesel
    with pytest.raises(RegisterError, match=r"under the legal age of 18.*court"):
        event(register, ev.Kind.MARRIED, ewa, "2026-07-01", spouse_pesel=piotr)
    with pytest.raises(RegisterError, match="under the legal age of 18"):
        event(register, ev.Kind.MARRIED, iza, "2026-07-01", spouse_pesel=adam,
              court_consent="III RNs 12/26")
    with pytest.raises(RegisterError, match="15 on the date"):
        event(register, ev.Kind.MARRIED, ewa, "2024-07-01", spouse_pesel=piotr,
              court_consent="III RNs 12/26")
    events = count_events(register)
    event(register, ev.Kind.MARRIED, ewa, "2026-07-01", spouse_pesel=piotr,
          court_consent="III RNs 12/26")
    assert count_events(register) == events + 2


def test_a_father_dead_more_than_300_days_is_refused(register: Register, today: Clock) -> None:
    mother = born(register, "Ewa", "Lis", "F", "1990-01-01").pesel
    father = born(register, "Jan", "Lis", "M", "1990-01-01").pesel
    event(register, ev.Kind.DIED, father, "2025-01-01")
    with pytest.raises(RegisterError, match="300 days"):
        born(register, "Ola", "Lis", "F", "2025-12-01", mother_pesel=mother,
             father_pesel=father)
    assert born(register, "Ola", "Lis", "F", "2025-09-01", mother_pesel=mother,
                father_pesel=father).pesel


# -- Art. 10 for corrections -------------------------------------------------

class _Rollback(Exception):
    pass


def _correct(register: Register, authority: ev.Authority, pesel: str, seq: int,
             replacement: dict[str, Any] | None = None) -> str:
    """Try a correction in a transaction that is always rolled back: 'ok' or the refusal."""
    payload: dict[str, Any] = {"reason": "entered in error"}
    if replacement is not None:
        payload["replacement"] = replacement
    try:
        with register.store.write() as s:
            register.record_in(s, Command(ev.Kind.CORRECTED, payload, authority, "K/1",
                                          pesel=pesel, supersedes=seq))
            raise _Rollback
    except _Rollback:
        return "ok"
    except OpenPeselError as exc:
        return str(exc)


def _life(register: Register) -> tuple[str, list[ev.Event]]:
    """One person with an event of nearly every kind a clerk records."""
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01").pesel
    jan = born(register, "Jan", "Lis", "M", "1980-01-01").pesel
    rows = [
        (ev.Kind.NAME_CHANGED, "2000-01-01", USC, {"family_name": "Nowacka"}),
        (ev.Kind.RESIDENCE_REGISTERED, "2001-01-01", GMINA,
         {"residence": "permanent", "teryt": "1465011", "address": "ul. Polna 1"}),
        (ev.Kind.ID_CARD_ISSUED, "2002-01-01", GMINA,
         {"number": "ABC123456", "valid_until": "2012-01-01"}),
        (ev.Kind.PASSPORT_ISSUED, "2003-01-01", ev.Authority.PASSPORT,
         {"number": "EA1234567", "valid_until": "2013-01-01"}),
        (ev.Kind.STAY_ABROAD_BEGAN, "2004-01-01", GMINA, {"country": "DEU"}),
        (ev.Kind.STAY_ABROAD_ENDED, "2004-06-01", GMINA, {}),
        (ev.Kind.CITIZENSHIP_ACQUIRED, "2005-01-01", ev.Authority.VOIVODE, {"country": "DEU"}),
        (ev.Kind.MARRIED, "2006-01-01", USC, {"spouse_pesel": jan}),
        (ev.Kind.DIED, "2020-01-01", USC, {}),
    ]
    for kind, on, office, fields in rows:
        event(register, kind, anna, on, office, **fields)
    return anna, register.history(anna)


def test_a_correction_is_made_by_whoever_may_record_the_kind(register: Register) -> None:
    """The whole table: every office against every kind in a life, withdrawal and rewrite."""
    anna, log = _life(register)
    for target in log:
        for office in ev.Authority:
            outcome = _correct(register, office, anna, target.seq)
            refused_by_art_10 = "may not correct" in outcome
            assert refused_by_art_10 == (not ev.may_correct(office, target.kind)), (
                office, target.kind, outcome)


def test_the_outside_testers_two_corrections_are_refused(register: Register) -> None:
    anna, log = _life(register)
    renamed = next(e for e in log if e.kind is ev.Kind.NAME_CHANGED)
    died = next(e for e in log if e.kind is ev.Kind.DIED)
    before = count_events(register)
    with pytest.raises(RegisterError, match="GMINA may not correct a name_changed"):
        register.record(Command(ev.Kind.CORRECTED, {
            "replacement": {"family_name": "Podrobiona"}, "reason": "forgery"}, GMINA, "K/2",
            pesel=anna, supersedes=renamed.seq))
    with pytest.raises(RegisterError, match="PASSPORT may not correct a died"):
        register.record(Command(ev.Kind.CORRECTED, {"reason": "withdrawn"},
                                ev.Authority.PASSPORT, "K/3", pesel=anna, supersedes=died.seq))
    assert count_events(register) == before
    assert register.show(anna)["death_date"] == "2020-01-01"
    assert _correct(register, USC, anna, died.seq) == "ok"
    assert _correct(register, ev.Authority.MINISTER, anna, died.seq) == "ok"


def test_a_clerks_correction_through_the_gate_is_refused_and_audited(register: Register) -> None:
    anna, log = _life(register)
    renamed = next(e for e in log if e.kind is ev.Kind.NAME_CHANGED)
    audit = AuditLog(Ed25519PrivateKey.generate())
    gate = Gate(register, audit)
    clerk = Access(Principal("ola.gmina", Role.MUNICIPAL_CLERK), "correction of a name 2026/1")
    with pytest.raises(RegisterError, match="may not correct"):
        gate.record(clerk, ev.Kind.CORRECTED, {"replacement": {"family_name": "X"},
                                               "reason": "forgery"}, "K/4", pesel=anna,
                    supersedes=renamed.seq)
    with register.store.read() as s:
        last = audit.entries(s, 0, 1)[0][1]
    assert (last.principal, last.outcome, last.pesel) == ("ola.gmina", "refused", anna)
    assert register.show(anna)["family_name"] == "Nowacka"


# -- imports ---------------------------------------------------------------------

def test_an_import_cannot_backdate_a_live_register(register: Register) -> None:
    """The issue's case: a line recorded 'in 2001' made as_of=2002 return a forged name."""
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    forged = ev.Event(anna.person_id, ev.Kind.NAME_CHANGED,
                      ev.parse_payload(ev.Kind.NAME_CHANGED, {"family_name": "Podrobiona"}),
                      datetime.date(2001, 1, 1), USC, "FORGED/1",
                      datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), seq=99)
    with pytest.raises(ImportFailed, match="empty register"):
        register.import_events([event_to_json(forged)])
    assert register.show(anna.pesel, as_of=datetime.date(2002, 1, 1))["family_name"] == "Nowak"
    assert count_events(register) == 1


def _exported(register: Register) -> list[str]:
    return [event_to_json(e) for e in register.export()]


def test_an_import_keeps_time_and_art_10(register: Register,
                                         make_register: RegisterFactory) -> None:
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    event(register, ev.Kind.NAME_CHANGED, anna.pesel, "2000-01-01", family_name="Lis")
    lines = _exported(register)
    birth, renamed = register.history(anna.pesel)

    future = event_to_json(ev.Event(**{**birth.__dict__, "recorded_at": datetime.datetime(
        2999, 1, 1, tzinfo=datetime.UTC)}))
    backwards = event_to_json(ev.Event(**{**renamed.__dict__, "recorded_at": datetime.datetime(
        2001, 1, 1, tzinfo=datetime.UTC)}))
    by_gmina = event_to_json(ev.Event(**{**renamed.__dict__, "authority": GMINA}))
    correction = ev.Event(anna.person_id, ev.Kind.CORRECTED, ev.parse_payload(
        ev.Kind.CORRECTED, {"reason": "withdrawn"}), renamed.effective_date,
        ev.Authority.PASSPORT, "K/5", renamed.recorded_at, seq=renamed.seq + 1,
        supersedes=renamed.seq)
    cases = {
        "later than now": [future],
        "run forward": [lines[0], backwards],
        "GMINA may not record name_changed": [lines[0], by_gmina],
        "PASSPORT may not correct a name_changed": [*lines, event_to_json(correction)],
    }
    for reason, attempt in cases.items():
        target = make_register()
        with pytest.raises(ImportFailed, match=reason):
            target.import_events(attempt)
        assert count_events(target) == 0, reason


def test_an_import_names_every_person_in_the_audit_log(register: Register,
                                                       make_register: RegisterFactory) -> None:
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    jan = born(register, "Jan", "Nowak", "M", "1981-01-01")
    target = make_register()
    audit = AuditLog(Ed25519PrivateKey.generate())
    gate = Gate(target, audit)
    admin = Access(Principal("root", Role.ADMIN), "migration from the old register")
    assert gate.import_events(admin, _exported(register)) == 2
    with target.store.read() as s:
        for person in (anna, jan):
            mine = audit.entries_for(s, person.person_id)
            assert [(e.action, e.pesel, e.principal) for _, e in mine] == [
                ("import", person.pesel, "root")]

"""Issue 20 §1 through the gate, on both stores: a death, or an adult's ID card reported lost,
reserves the PESEL in the cause's transaction; a withdrawn cause lifts it; who may withdraw
which reservation; a proxy reserves but never withdraws; a guardian acts for the ward."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from openpesel.access.audit import AuditLog
from openpesel.access.gate import Access, Forbidden, Gate, Principal
from openpesel.access.policy import Role
from openpesel.access.signing import load_or_create_key
from openpesel.errors import InvalidEvent, RegisterError
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.registry.transfer import event_to_json
from tests.conftest import Clock, RegisterFactory
from tests.support.office import born

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
USC = Access(Principal("usc-1", Role.USC_REGISTRAR), "death certificate USC/Z/1")
GMINA = Access(Principal("gmina-1", Role.MUNICIPAL_CLERK), "lost ID card reported")
BANK = Access(Principal("bank-1", Role.BANK), "credit application 7/26")
CARD = "ABC123456"


@pytest.fixture
def gate(register: Register, clock: Clock, tmp_path: Path) -> Gate:
    clock.now = T0
    return Gate(register, AuditLog(load_or_create_key(tmp_path / "k.pem")))


def person(gate: Gate, born_on: str = "1980-05-01", card: bool = True) -> str:
    pesel = born(gate.register, "Ewa", "Nowak", "F", born_on).pesel
    if card:
        gate.record(GMINA, ev.Kind.ID_CARD_ISSUED, {"number": CARD, "valid_until": "2034-01-01"},
                    "GMINA/DO/1", pesel, datetime.date(2024, 1, 2))
    return pesel


def acting(gate: Gate, pesel: str, role: Role = Role.RESIDENT, name: str = "ewa") -> Access:
    return Access(Principal(name, role, person_id=gate.register.resolve(pesel)))


def reservation(gate: Gate, pesel: str, **when: object) -> dict[str, object] | None:
    shown: dict[str, object] | None = gate.register.show(pesel, **when)["reservation"]  # type: ignore[arg-type]
    return shown


def test_a_death_reserves_the_number_in_its_own_transaction(gate: Gate, clock: Clock) -> None:
    pesel = person(gate)
    before = clock.now
    done = gate.record(USC, ev.Kind.DIED, {}, "USC/Z/1", pesel, datetime.date(2026, 2, 27))
    died, reserved = done.seqs
    log = gate.register.history(pesel)
    auto = next(e for e in log if e.seq == reserved)
    assert auto.kind is ev.Kind.PESEL_RESERVED and auto.authority is ev.Authority.MINISTER
    assert auto.recorded_at == next(e for e in log if e.seq == died).recorded_at
    assert auto.payload_json()["cause"] == "died" and auto.payload_json()["cause_seq"] == died
    assert reservation(gate, pesel) is not None
    assert gate.check_reservation(BANK, pesel).reserved
    # As-of reads on both sides: as known before the death was entered, no reservation.
    assert reservation(gate, pesel, known_at=before) is None
    assert reservation(gate, pesel, as_of=datetime.date(2026, 3, 1)) is None
    assert reservation(gate, pesel, as_of=datetime.date(2026, 3, 2)) is not None
    with gate.store.read() as s:
        entries = [e for _, e in gate.audit.entries_for(s, gate.register.resolve(pesel))]
    assert any(e.action == "write" and "died" in e.fields for e in entries)


def test_a_childs_number_is_reserved_on_death_too(gate: Gate) -> None:
    pesel = person(gate, "2015-06-01", card=False)
    gate.record(USC, ev.Kind.DIED, {}, "USC/Z/2", pesel, datetime.date(2026, 2, 1))
    assert gate.check_reservation(BANK, pesel).reserved


def test_a_death_corrected_away_lifts_its_reservation_and_the_widowhood(gate: Gate,
                                                                         clock: Clock) -> None:
    pesel = person(gate)
    spouse = born(gate.register, "Jan", "Nowak", "M", "1979-01-01").pesel
    gate.record(USC, ev.Kind.MARRIED, {"spouse_pesel": spouse}, "USC/M/1", pesel,
                datetime.date(2005, 6, 1))
    gate.reserve(acting(gate, pesel))  # her own reservation, made before
    died = gate.record(USC, ev.Kind.DIED, {}, "USC/Z/3", pesel, datetime.date(2026, 3, 1))
    assert reservation(gate, pesel)["cause"] == "died"  # type: ignore[index]
    assert gate.register.show(spouse)["civil_status"] == "widowed"
    between = clock.now
    gate.record(USC, ev.Kind.CORRECTED, {"reason": "entered for the wrong person"}, "USC/K/1",
                pesel, supersedes=died.seqs[0])
    shown = reservation(gate, pesel)
    assert shown is not None and shown["cause"] is None  # her own reservation again
    assert gate.register.show(pesel)["death_date"] is None
    assert gate.register.show(spouse)["civil_status"] == "married"
    # What the register knew between the death and its correction is still there.
    assert reservation(gate, pesel, known_at=between)["cause"] == "died"  # type: ignore[index]
    assert gate.register.show(spouse, known_at=between)["civil_status"] == "widowed"


def test_a_withdrawn_death_leaves_no_reservation_behind(gate: Gate) -> None:
    pesel = person(gate)
    died = gate.record(USC, ev.Kind.DIED, {}, "USC/Z/4", pesel, datetime.date(2026, 3, 1))
    gate.record(USC, ev.Kind.CORRECTED, {"reason": "a clerical error"}, "USC/K/2", pesel,
                supersedes=died.seqs[0])
    assert reservation(gate, pesel) is None
    assert not gate.check_reservation(BANK, pesel).reserved


def test_a_loss_reported_at_the_office_reserves_an_adults_number(gate: Gate,
                                                                 clock: Clock) -> None:
    adult, minor = person(gate), person(gate, "2010-04-01")
    before = clock.now
    for pesel in (adult, minor):
        gate.record(GMINA, ev.Kind.ID_DOCUMENT_REPORTED_LOST, {"number": CARD, "reason": "stolen"},
                    "GMINA/ZG/1", pesel, datetime.date(2026, 3, 1))
        card, = gate.register.show(pesel)["id_cards"]
        assert (card["invalidated"], card["reason"]) == ("2026-03-01", "stolen")
    assert gate.check_reservation(BANK, adult).reserved
    assert not gate.check_reservation(BANK, minor).reserved
    assert reservation(gate, adult)["cause"] == "id_document_reported_lost"  # type: ignore[index]
    # As-of reads on both sides of the loss's reservation, recorded today (2026-03-02).
    assert reservation(gate, adult, known_at=before) is None
    assert reservation(gate, adult, as_of=datetime.date(2026, 3, 1)) is None
    assert gate.register.show(adult, as_of=datetime.date(2026, 3, 1))["id_cards"][0][
        "invalidated"] == "2026-03-01"


def test_an_adult_on_the_date_of_the_loss_not_on_the_day_it_is_entered(gate: Gate) -> None:
    pesel = person(gate, "2008-03-01")  # 18 on 2026-03-01
    gate.record(GMINA, ev.Kind.ID_DOCUMENT_REPORTED_LOST, {"number": CARD}, "GMINA/ZG/2", pesel,
                datetime.date(2026, 2, 28))
    assert not gate.check_reservation(BANK, pesel).reserved


def test_the_resident_reports_online_and_may_withdraw_under_the_30_minute_rule(
        gate: Gate, clock: Clock) -> None:
    pesel = person(gate)
    me = acting(gate, pesel)
    done = gate.report_lost(me, CARD, "lost")
    mine = gate.my_reservation(me)
    assert mine["reserved"] and mine["cause"]["kind"] == "id_document_reported_lost"
    assert mine["cause"]["seq"] == done.seqs[0]
    lost = next(e for e in gate.register.history(pesel) if e.seq == done.seqs[0])
    assert lost.payload_json()["reported_by"] == "resident"
    gate.withdraw(me)
    assert not gate.my_reservation(me)["reserved"]
    with pytest.raises(RegisterError, match="30 minutes"):
        gate.reserve(me)
    clock.now += datetime.timedelta(minutes=31)
    gate.reserve(me)
    assert gate.my_reservation(me) | {"since": None} == {
        "pesel": pesel, "reserved": True, "since": None, "withdraw_at": None, "cause": None}


def test_no_one_withdraws_a_death_reservation(gate: Gate) -> None:
    pesel = person(gate)
    gate.record(USC, ev.Kind.DIED, {}, "USC/Z/5", pesel, datetime.date(2026, 3, 1))
    with pytest.raises(Forbidden, match="death"):
        gate.withdraw(acting(gate, pesel))
    now = gate.clock().isoformat()
    with pytest.raises(RegisterError, match="death"):
        gate.record(GMINA, ev.Kind.RESERVATION_WITHDRAWN, {"at": now, "requested_at": now},
                    "GMINA/W/1", pesel)
    assert gate.check_reservation(BANK, pesel).reserved


def test_a_proxy_reserves_but_never_withdraws_nor_reads(gate: Gate) -> None:
    pesel = person(gate)
    proxy = acting(gate, pesel, Role.PROXY, "proxy-of-ewa")
    gate.reserve(proxy)
    assert gate.check_reservation(BANK, pesel).reserved
    with pytest.raises(Forbidden, match="A proxy may not"):
        gate.withdraw(proxy)
    with pytest.raises(Forbidden):
        gate.my_record(proxy)
    with pytest.raises(Forbidden):
        gate.report_lost(proxy, CARD)
    with gate.store.read() as s:
        seen = [(e.principal, e.role, e.action, e.outcome)
                for _, e in gate.audit.entries_for(s, gate.register.resolve(pesel))]
    assert ("proxy-of-ewa", "proxy", "reserve", "allowed") in seen
    assert ("proxy-of-ewa", "proxy", "withdraw", "denied") in seen


def test_a_guardian_acts_for_the_ward(gate: Gate) -> None:
    ward = person(gate, "1950-02-01")
    guardian = acting(gate, ward, Role.GUARDIAN, "guardian-of-ewa")
    gate.report_lost(guardian, CARD, "stolen")
    assert gate.my_reservation(guardian)["cause"]["kind"] == "id_document_reported_lost"
    assert gate.my_record(guardian)["pesel"] == ward
    gate.withdraw(guardian)
    assert not gate.check_reservation(BANK, ward).reserved
    with gate.store.read() as s:
        seen = {(e.principal, e.role, e.action)
                for _, e in gate.audit.entries_for(s, gate.register.resolve(ward))}
    assert {("guardian-of-ewa", "guardian", a) for a in ("report-loss", "withdraw")} <= seen


def test_a_guardians_account_is_tied_to_the_ward(gate: Gate) -> None:
    ward = person(gate)
    admin = Access(Principal("root", Role.ADMIN))
    assert gate.add_principal(admin, "guardian-1", Role.GUARDIAN, "a long enough secret",
                              pesel=ward) is not None  # a TOTP secret, as a resident gets
    with pytest.raises(RegisterError, match="guardian's account needs"):
        gate.add_principal(admin, "guardian-2", Role.GUARDIAN, "a long enough secret")


def test_no_office_writes_an_automatic_reservation_by_hand(gate: Gate) -> None:
    pesel = person(gate)
    now = gate.clock().isoformat()
    with pytest.raises(RegisterError, match="not by hand"):
        gate.record(GMINA, ev.Kind.PESEL_RESERVED,
                    {"at": now, "cause": "died", "cause_seq": 1}, "GMINA/R/1", pesel)
    with pytest.raises(InvalidEvent, match="cause"):
        gate.record(GMINA, ev.Kind.PESEL_RESERVED, {"at": now, "cause": "died"}, "GMINA/R/2",
                    pesel)
    assert not gate.check_reservation(BANK, pesel).reserved


def test_a_card_not_held_is_refused_and_reserves_nothing(gate: Gate) -> None:
    pesel = person(gate, card=False)
    with pytest.raises(RegisterError, match="holds no valid document"):
        gate.report_lost(acting(gate, pesel), CARD)
    with pytest.raises(InvalidEvent):
        gate.report_lost(acting(gate, pesel), "not-a-card")
    assert not gate.check_reservation(BANK, pesel).reserved


def test_projections_stay_a_fold_of_the_log(gate: Gate) -> None:
    pesel = person(gate)
    gate.report_lost(acting(gate, pesel), CARD)
    died = gate.record(USC, ev.Kind.DIED, {}, "USC/Z/6", pesel, datetime.date(2026, 3, 2))
    gate.record(USC, ev.Kind.CORRECTED, {"reason": "a clerical error"}, "USC/K/3", pesel,
                supersedes=died.seqs[0])
    with gate.store.read() as s:
        rows = s.conn.exec_driver_sql("SELECT pesel FROM reservations").all()
    assert [r[0] for r in rows] == [pesel]
    record = gate.register.show(pesel)
    gate.register.rebuild_projections()
    assert gate.register.show(pesel) == record


def test_an_export_imports_with_its_automatic_reservations(gate: Gate,
                                                           make_register: RegisterFactory
                                                           ) -> None:
    """The log carries the automatic events; an import replays them, making none anew."""
    pesel = person(gate)
    gate.report_lost(acting(gate, pesel), CARD)
    died = gate.record(USC, ev.Kind.DIED, {}, "USC/Z/7", pesel, datetime.date(2026, 3, 2))
    gate.record(USC, ev.Kind.CORRECTED, {"reason": "a clerical error"}, "USC/K/4", pesel,
                supersedes=died.seqs[0])
    lines = [event_to_json(e) for e in gate.register.export()]
    copy = make_register()
    assert copy.import_events(lines).events == len(lines)
    assert copy.show(pesel) == gate.register.show(pesel)
    assert [e.kind for e in copy.history(pesel)] == [e.kind for e in gate.register.history(pesel)]

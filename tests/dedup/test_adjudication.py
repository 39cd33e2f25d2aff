"""De-duplication at enrolment and adjudication, a registry office's day, on both stores.

One synthetic finger (seed 11) is enrolled for Anna; the same finger, touched
again, comes back under another name and is held; an examiner clears it,
links two identities, and refuses what the rules refuse. Scans are made
once per module: fingerprint extraction is the costly part.
"""

from __future__ import annotations

import datetime
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from openpesel.access.gate import Forbidden, Gate
from openpesel.access.policy import Role
from openpesel.dedup.cases import CaseClosed, Decision, Status
from openpesel.dedup.enrolment import Scan
from openpesel.dedup.evidence import canvas_size
from openpesel.errors import RegisterError, StorageError
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.conftest import Clock
from tests.support.adjudication_kit import apply_for, as_role, foreigner, gate_for, scans
from tests.support.office import born, count_events

EXAMINER = as_role(Role.EXAMINER, "examiner.ewa")
SECOND = as_role(Role.EXAMINER, "examiner.jan")


@pytest.fixture(scope="module")
def prints() -> dict[str, bytes]:
    return scans()


@pytest.fixture
def gate(register: Register, tmp_path: Path, clock: Clock) -> Gate:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    return gate_for(register, tmp_path)


def assignments(gate: Gate) -> int:
    store: Store = gate.store
    with store.read() as s:
        return s.count("pesel_assignments")


def audit_actions(gate: Gate, person_id: uuid.UUID) -> list[str]:
    with gate.store.read() as s:
        return [e.action for _, e in gate.audit.entries_for(s, person_id)]


def test_a_duplicate_is_held_until_an_examiner_decides(gate: Gate, register: Register,
                                                        prints: dict[str, bytes]) -> None:
    first = apply_for(gate, foreigner("Anna", "Szewczenko", "F", "1990-04-02"),
                     prints["anna"], "GMINA/UKR/1")
    assert first.recorded is not None and first.case_id is None
    anna = first.recorded
    assert [e.kind for e in register.history(anna.pesel)] == [
        ev.Kind.FOREIGNER_REGISTERED, ev.Kind.FINGERPRINTS_ENROLLED]

    # The same finger under another name and birth date: held, nothing assigned.
    numbers, events = assignments(gate), count_events(register)
    held = apply_for(gate, foreigner("Hanna", "Kowalenko", "F", "1991-07-09"),
                    prints["anna-again"], "GMINA/UKR/2")
    assert held.recorded is None and held.case_id is not None
    assert [x.pesel for x in held.suspects] == [anna.pesel]
    assert held.suspects[0].reasons == ("biometric",) and held.suspects[0].score >= 45
    assert (assignments(gate), count_events(register)) == (numbers, events)
    assert "dedup-candidate" in audit_actions(gate, anna.person_id)

    # The queue, then the evidence the examiner looks at.
    queue = gate.desk.queue(EXAMINER)
    assert [c.case_id for c in queue] == [held.case_id] and queue[0].status is Status.OPEN
    found, png = gate.desk.evidence(EXAMINER, held.case_id, anna.pesel)
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == canvas_size(found.probe, found.candidate)
    assert found.finger == 2 and len(found.pairs) >= 5 and found.probe.minutiae
    assert all(0 <= i < len(found.probe.minutiae) and 0 <= j < len(found.candidate.minutiae)
               for i, j, _ in found.pairs)

    # The case log cannot be rewritten, whatever the code above it does.
    for statement in ("UPDATE adjudication_log SET principal = 'x'",
                      "DELETE FROM adjudication_log"):
        with pytest.raises(StorageError), gate.store.write() as s:
            s.conn.execute(text(statement))

    # "Different": the held registration is released and only now gets its number.
    with pytest.raises(Forbidden):
        gate.desk.decide(as_role(Role.MUNICIPAL_CLERK), held.case_id, Decision.DIFFERENT,
                         "not mine to decide")
    done = gate.desk.decide(EXAMINER, held.case_id, Decision.DIFFERENT,
                            "twins: ridge detail differs in the core")
    assert done.pesel is not None and done.case.status is Status.DIFFERENT
    assert assignments(gate) == numbers + 1
    hanna = register.state(done.pesel)
    assert hanna.first_names == ("Hanna",) and [f.finger for f in hanna.fingers] == [2]
    assert register.history(anna.pesel)[-1].kind is ev.Kind.DUPLICATE_CLEARED
    assert "case-decided" in audit_actions(gate, anna.person_id)
    assert "case-decided" in audit_actions(gate, hanna.person_id)
    with pytest.raises(CaseClosed):
        gate.desk.decide(EXAMINER, held.case_id, Decision.SAME, "changed my mind")

    # 1:N: the released Hanna now has the same finger as Anna; both come first, in that order
    # of score, and each of them finds the search in their own access report.
    ranked = gate.identify(EXAMINER, [Scan(2, prints["anna-again"])], k=3)
    assert [c.key for c in ranked[:2]] == [hanna.pesel, anna.pesel] and ranked[0].rank == 1
    assert gate.identify(EXAMINER, [Scan(2, prints["anna-again"])], sex="M") == []
    assert "identify-candidate" in audit_actions(gate, anna.person_id)
    with pytest.raises(Forbidden):
        gate.identify(as_role(Role.BANK), [Scan(2, prints["anna-again"])])


def test_the_same_person_gets_no_second_identity(gate: Gate, register: Register,
                                                 prints: dict[str, bytes]) -> None:
    # Olena was born here and has no fingerprints: only her name, birth date and sex match.
    olena = born(register, "Olena", "Bondar", "F", "1988-12-01")
    numbers = assignments(gate)
    held = apply_for(gate, foreigner("Olena", "Bondarr", "F", "1988-12-01"), prints["olena"],
                    "GMINA/UKR/3")
    assert held.case_id is not None and held.suspects[0].reasons == ("demographic",)
    with pytest.raises(RegisterError, match="comment"):
        gate.desk.decide(EXAMINER, held.case_id, Decision.SAME, "")
    # Inconclusive escalates: the same examiner may not then close it alone.
    assert gate.desk.decide(EXAMINER, held.case_id, Decision.INCONCLUSIVE,
                            "poor image").case.status is Status.ESCALATED
    assert [c.status for c in gate.desk.queue(EXAMINER)] == [Status.ESCALATED]
    with pytest.raises(RegisterError, match="second examiner"):
        gate.desk.decide(EXAMINER, held.case_id, Decision.SAME, "it is her")
    # Her fingers were never taken, so "same" rests on a document and, below the match
    # threshold, is a first opinion until another examiner confirms it (four eyes).
    assert gate.desk.decide(SECOND, held.case_id, Decision.SAME, "passport photo matches",
                            evidence="passport EX1234567").case.status is Status.PENDING
    done = gate.desk.decide(EXAMINER, held.case_id, Decision.SAME, "agreed")
    assert done.pesel == olena.pesel and assignments(gate) == numbers
    linked = register.history(olena.pesel)[-1]
    assert linked.kind is ev.Kind.IDENTITY_LINKED and linked.authority is ev.Authority.MINISTER
    assert isinstance(linked.payload, ev.IdentityLinked) and linked.payload.role == "applicant"
    assert gate.desk.queue(EXAMINER) == []
    assert [c.status for c in gate.desk.queue(EXAMINER, include_decided=True)] == [Status.SAME]


def test_two_registered_people_are_linked_by_the_earlier_record(gate: Gate,
                                                               register: Register) -> None:
    first = born(register, "Anna", "Lysenko", "F", "1985-01-01")
    later = born(register, "Anna", "Lisenko", "F", "1985-01-02")
    case = gate.desk.open_case(EXAMINER, later.pesel, first.pesel)
    gate.desk.decide(EXAMINER, case.case_id, Decision.SAME, "one person, two numbers",
                     evidence="birth certificate USC/1985/17")
    done = gate.desk.decide(SECOND, case.case_id, Decision.SAME, "confirmed")
    survivor, duplicate = register.state(first.pesel), register.state(later.pesel)
    assert survivor.duplicates == (duplicate.person_id,)
    assert duplicate.duplicate_of == survivor.person_id and len(done.seqs) == 2
    # Neither history is lost, the duplicate takes nothing more, its number stays taken.
    assert [e.kind for e in register.history(later.pesel)] == [ev.Kind.BIRTH,
                                                               ev.Kind.IDENTITY_LINKED]
    with pytest.raises(RegisterError, match="second identity"):
        gate.record(as_role(Role.USC_REGISTRAR), ev.Kind.DIED, {}, "USC/D/1", later.pesel)
    with gate.store.read() as s:
        assert s.holder(later.pesel) is not None
    # A link is never recorded as a clerk's event.
    with pytest.raises(Forbidden, match="examiner"):
        gate.record(as_role(Role.OPERATOR), ev.Kind.IDENTITY_LINKED, {}, "X", first.pesel)

"""Four eyes on "same person" (issue 14, item 12), on both stores.

An examiner opened a case between two unrelated people, with no fingerprints
and a score of 0, and decided "same" alone: the younger record was frozen for
ever. Now a "same" needs evidence (prints on both sides, or a named document)
and, below the match threshold, a second examiner's confirmation before any
link is written. A real fingerprint match above the threshold still needs one.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import pytest

from openpesel.access.gate import Gate
from openpesel.access.policy import Role
from openpesel.dedup import cases as c
from openpesel.dedup.cases import Decision, Status
from openpesel.dedup.service import DEDUP_THRESHOLD
from openpesel.errors import InvalidEvent, RegisterError
from openpesel.registry import events as ev
from openpesel.registry.commands import Recorded
from openpesel.registry.service import Register
from tests.cli.test_cli import Cli
from tests.conftest import Clock
from tests.support.adjudication_kit import apply_for, as_role, foreigner, gate_for, scans
from tests.support.office import born

EWA = as_role(Role.EXAMINER, "examiner.ewa")
JAN = as_role(Role.EXAMINER, "examiner.jan")
SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture
def gate(register: Register, tmp_path: Path, clock: Clock) -> Gate:
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    return gate_for(register, tmp_path)


def strangers(register: Register) -> tuple[Recorded, Recorded]:
    """Two unrelated people, no fingerprints: the tester's case."""
    return (born(register, "Anna", "Nowak", "F", "1980-05-05"),
            born(register, "Piotr", "Zieliński", "M", "1992-09-09"))


def kinds(register: Register, pesel: str) -> list[ev.Kind]:
    return [e.kind for e in register.history(pesel)]


def test_same_without_evidence_is_refused_and_writes_nothing(gate: Gate,
                                                             register: Register) -> None:
    anna, piotr = strangers(register)
    case = gate.desk.open_case(EWA, piotr.pesel, anna.pesel)
    assert case.suspects[0].score == 0.0 and case.suspects[0].fingers == ()
    with pytest.raises(InvalidEvent, match="needs evidence"):
        gate.desk.decide(EWA, case.case_id, Decision.SAME, "looks like her")
    with pytest.raises(InvalidEvent, match="needs evidence"):
        gate.desk.decide(EWA, case.case_id, Decision.SAME, "looks like her", evidence="  ")
    assert kinds(register, piotr.pesel) == [ev.Kind.BIRTH]
    assert register.state(piotr.pesel).duplicate_of is None
    assert gate.desk.show(EWA, case.case_id).status is Status.OPEN


def test_below_the_threshold_a_second_examiner_must_confirm(gate: Gate,
                                                            register: Register) -> None:
    anna, piotr = strangers(register)
    case = gate.desk.open_case(EWA, piotr.pesel, anna.pesel)
    first = gate.desk.decide(EWA, case.case_id, Decision.SAME, "same face",
                             evidence="ID card ABC123456")
    # Only an opinion: no event, no frozen record, the case stays in the queue.
    assert first.case.status is Status.PENDING and first.seqs == () and first.pesel is None
    assert kinds(register, piotr.pesel) == [ev.Kind.BIRTH]
    assert register.state(piotr.pesel).duplicate_of is None
    assert [x.status for x in gate.desk.queue(JAN)] == [Status.PENDING]
    # The same examiner cannot confirm, nor decide otherwise, alone.
    for decision in Decision:
        with pytest.raises(RegisterError, match="second examiner"):
            gate.desk.decide(EWA, case.case_id, decision, "confirming myself")
    done = gate.desk.decide(JAN, case.case_id, Decision.SAME, "agreed, same document")
    assert done.case.status is Status.SAME and len(done.seqs) == 2
    assert register.state(piotr.pesel).duplicate_of == register.state(anna.pesel).person_id
    detail = done.case.detail()["decisions"]
    assert [(d["by"], d["first_opinion"], d["evidence"]) for d in detail] == [
        ("examiner.ewa", True, "ID card ABC123456"), ("examiner.jan", False, None)]


def test_a_second_examiner_may_reject_the_first_opinion(gate: Gate,
                                                        register: Register) -> None:
    anna, piotr = strangers(register)
    case = gate.desk.open_case(EWA, piotr.pesel, anna.pesel)
    gate.desk.decide(EWA, case.case_id, Decision.SAME, "same face", evidence="ID card X99")
    done = gate.desk.decide(JAN, case.case_id, Decision.DIFFERENT, "different people")
    assert done.case.status is Status.DIFFERENT
    assert ev.Kind.IDENTITY_LINKED not in kinds(register, piotr.pesel)
    assert kinds(register, piotr.pesel)[-1] is ev.Kind.DUPLICATE_CLEARED


def test_a_fingerprint_match_above_the_threshold_needs_one_examiner(
        gate: Gate, register: Register) -> None:
    prints = scans()
    apply_for(gate, foreigner("Anna", "Szewczenko", "F", "1990-04-02"), prints["anna"],
              "GMINA/UKR/1")
    held = apply_for(gate, foreigner("Hanna", "Kowalenko", "F", "1991-07-09"),
                     prints["anna-again"], "GMINA/UKR/2")
    assert held.case_id is not None and held.suspects[0].matches(DEDUP_THRESHOLD)
    done = gate.desk.decide(EWA, held.case_id, Decision.SAME, "same ridge flow and core")
    assert done.case.status is Status.SAME and done.pesel == held.suspects[0].pesel
    assert kinds(register, done.pesel)[-1] is ev.Kind.IDENTITY_LINKED


def _case(*suspects: tuple[str, float]) -> c.Case:
    at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    return c.Case(uuid.uuid4(), c.Origin.APPLICATION, at, "clerk", {},
                  tuple(c.Suspect(p, uuid.uuid4(), score, n, (), ("demographic",))
                        for n, (p, score) in enumerate(suspects, 1)))


def test_a_confirmation_names_the_first_opinions_candidate() -> None:
    case = _case(("44051401359", 0.0), ("02070803628", 10.0))
    assert not c.check_same(case, "44051401359", 45.0, False, "court order I C 1/26")
    opinion = c.Ruling(Decision.SAME, "same", "examiner.ewa", case.opened_at, "44051401359",
                       {}, "court order I C 1/26", first_opinion=True)
    pending = c.Case(case.case_id, case.origin, case.opened_at, case.opened_by, case.subject,
                     case.suspects, (opinion,))
    assert pending.status is Status.PENDING
    with pytest.raises(RegisterError, match="first opinion found"):
        c.check_same(pending, "02070803628", 45.0, False, "passport")
    assert c.check_same(pending, "44051401359", 45.0, False, None)  # rests on its document


def test_decisions_written_before_four_eyes_still_fold_as_final() -> None:
    at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    case_id = uuid.uuid4()

    class Entry:
        def __init__(self, kind: str, body: dict[str, Any]) -> None:
            self.kind, self.body, self.at, self.principal = kind, body, at, "examiner.ewa"

    opened = c.opened_body(c.Origin.REGISTERED, {"pesel": "44051401359"}, [])
    old: dict[str, Any] = {"decision": "same", "comment": "x y z", "candidate": None, "outcome": {}}
    assert c.fold(case_id, [Entry("opened", opened), Entry("decided", old)]).status \
        is Status.SAME


@SQLITE_ONLY
def test_four_eyes_over_http_and_the_console(gate: Gate, register: Register, store_url: str,
                                             tmp_path: Path) -> None:
    from openpesel.config import Settings
    from tests.support.live import live_server

    anna, piotr = strangers(register)
    case = gate.desk.open_case(EWA, piotr.pesel, anna.pesel)
    with live_server(register, Settings(data_dir=tmp_path)) as live, \
            live.as_("examiner", purpose="duplicate check") as examiner:
        url = f"/cases/{case.case_id}/decision"
        bare = examiner.post(url, json={"decision": "same", "comment": "same face"})
        assert bare.status_code == 422 and bare.json()["type"] == "/problems/invalid-event"
        first = examiner.post(url, json={"decision": "same", "comment": "same face",
                                         "evidence": "ID card ABC123456"})
        assert first.status_code == 201
        assert first.json()["status"] == "pending" and first.json()["seqs"] == []
    cli = Cli(store_url)
    cli.env |= {"OPENPESEL_DATA_DIR": str(tmp_path), "LOGNAME": "jan"}
    out = cli("cases", "decide", str(case.case_id), "same", "-c", "confirmed at the desk")
    assert "same" in out and register.state(piotr.pesel).duplicate_of is not None

"""Civil biometrics kept only as long as the law allows (issue 21 §5), on both stores.

An ID-card enrolment (Regulation (EU) 2019/1157 Art. 10(3)) is sealed with its own key.
90 days after the card's issue the retention run destroys the key and the images and
records the erasure: the templates cannot be read any more, the log is byte for byte what
it was (and still verifies), and the person's audit report says what was erased.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from openpesel.access.accountable import console
from openpesel.access.gate import Gate
from openpesel.dedup.enrolment import Scan
from openpesel.errors import FingerNotEnrolled
from openpesel.registry import events as ev
from openpesel.registry.retention import ID_CARD_DAYS
from openpesel.registry.service import Register
from openpesel.storage import biometric_keys
from tests.cli.test_cli import Cli
from tests.conftest import Clock
from tests.dedup.test_fingerprint_enrolment import png
from tests.support.adjudication_kit import gate_for
from tests.support.office import GMINA, born, event

OPERATOR = console("retention test")


@pytest.fixture(scope="module")
def prints() -> dict[str, bytes]:
    return {name: png(seed, impression) for name, (seed, impression) in {
        "card": (31, 0), "card-again": (31, 1), "ukr": (32, 0), "ukr-again": (32, 1)}.items()}


@pytest.fixture
def gate(register: Register, tmp_path: Path) -> Gate:
    return gate_for(register, tmp_path)


def _log(register: Register) -> list[tuple[Any, ...]]:
    with register.store.read() as s:
        return [tuple(r) for r in s.conn.exec_driver_sql(
            "SELECT seq, kind, payload FROM events ORDER BY seq")]


def _audited(register: Register, person_id: object, action: str) -> list[dict[str, Any]]:
    with register.store.read() as s:
        rows = s.conn.exec_driver_sql("SELECT entry FROM audit_entries").all()
    entries = [json.loads(bytes(e)) for (e,) in rows]
    return [e for e in entries if e["person_id"] == str(person_id) and e["action"] == action]


def _enrol(gate: Gate, pesel: str, scan: bytes, basis: str) -> int:
    done = gate.enrol_fingerprints(OPERATOR, pesel, [Scan(2, scan)], [], "DO/1", GMINA,
                                   False, basis)
    return done.recorded.seqs[0]


def test_an_id_card_enrolment_is_unreadable_after_its_retention(
        register: Register, gate: Gate, clock: Clock, tmp_path: Path,
        prints: dict[str, bytes]) -> None:
    card = born(register, "Zofia", "Kowal", "F", "1990-03-03")
    ukr = born(register, "Olena", "Bondar", "F", "1991-04-04")
    sealed_seq = _enrol(gate, card.pesel, prints["card"], "id_card")
    _enrol(gate, ukr.pesel, prints["ukr"], "ukr_2022")
    assert "sealed:v1:" in register.history(card.pesel)[-1].payload.model_dump_json()
    assert "sealed:v1:" not in register.history(ukr.pesel)[-1].payload.model_dump_json()

    # Sealed prints serve the 1:1 check at collection, never the 1:N gallery.
    assert gate.verify_fingerprint(OPERATOR, card.pesel, Scan(2, prints["card-again"])).is_match
    found = gate.identify(OPERATOR, [Scan(2, prints["card-again"])])
    assert card.pesel not in [c.key for c in found]
    assert ukr.pesel in [c.key for c in gate.identify(OPERATOR, [Scan(2, prints["ukr-again"])])]

    issued = clock.now.date()
    event(register, ev.Kind.ID_CARD_ISSUED, card.pesel, issued.isoformat(), GMINA,
          number="ZZC123456", valid_until=(issued + datetime.timedelta(days=3650)).isoformat())
    (held,) = gate.show(OPERATOR, card.pesel)["fingers"]
    last_day = issued + datetime.timedelta(days=ID_CARD_DAYS)
    assert (held["basis"], held["held_until"], held["office"]) == (
        "id_card", last_day.isoformat(), "GMINA"), \
        "the record tells the resident under which law, by whom and until when"
    clock.now += datetime.timedelta(days=ID_CARD_DAYS)
    assert gate.erase_expired_biometrics(OPERATOR).erased == []  # the 90th day: still kept
    before = _log(register)
    assert len(list((tmp_path / "fingerprints").rglob("*.png"))) == 2

    clock.now += datetime.timedelta(days=1)
    run = gate.erase_expired_biometrics(OPERATOR)
    assert [(e.pesel, e.enrolment_seq) for e in run.erased] == [(card.pesel, sealed_seq)]
    after = _log(register)
    assert after[:len(before)] == before, "the log is append-only: nothing in it changed"
    assert [k for _, k, _ in after[len(before):]] == ["biometrics_erased"]
    with register.store.read() as s:
        assert biometric_keys.held(s, "id_card") == []
        erased_key = s.conn.exec_driver_sql("SELECT key FROM biometric_keys WHERE "
                                            f"enrolment_seq = {sealed_seq}").scalar_one()
    assert erased_key is None
    with pytest.raises(FingerNotEnrolled, match="erased"):
        gate.verify_fingerprint(OPERATOR, card.pesel, Scan(2, prints["card-again"]))
    assert gate.show(OPERATOR, card.pesel)["fingers"] == []
    as_before = gate.show(OPERATOR, card.pesel, as_of=issued)
    assert [f["finger"] for f in as_before["fingers"]] == [2], "the past still says it was taken"
    assert len(list((tmp_path / "fingerprints").rglob("*.png"))) == 1  # Olena's only
    (entry,) = _audited(register, card.person_id, "biometrics-erase")
    assert f"enrolment:{sealed_seq}" in entry["fields"]
    assert gate.verify_audit(OPERATOR).ok

    # The lasting gallery is untouched, and a later run erases nothing twice.
    clock.now += datetime.timedelta(days=400)
    assert gate.erase_expired_biometrics(OPERATOR).erased == []
    assert gate.verify_fingerprint(OPERATOR, ukr.pesel, Scan(2, prints["ukr-again"])).is_match


def test_biometrics_erased_is_not_a_clerks_event(store_url: str, register: Register) -> None:
    pesel = born(register, "Jan", "Kowal", "M", "1980-01-01").pesel
    err = Cli(store_url)("record", "biometrics-erased", "-p", pesel, "-f", "enrolment_seq=1",
                         "-f", "basis=id_card", "-f", "rule=by hand", "-d", "X/1", code=1)
    assert "retention" in err


def test_id_card_prints_cannot_be_written_or_corrected_into_plain_sight(
        register: Register, gate: Gate, clock: Clock, prints: dict[str, bytes]) -> None:
    from openpesel.errors import OpenPeselError
    from openpesel.registry.commands import Command

    card = born(register, "Ewa", "Nowak", "F", "1990-05-05")
    seq = _enrol(gate, card.pesel, prints["card"], "id_card")
    sealed = register.history(card.pesel)[-1].payload.model_dump(mode="json")
    plain = {"fingers": [{**f, "template": "AAAAAAAA"} for f in sealed["fingers"]],
             "basis": "id_card"}
    unsealed = {**sealed, "key_id": None, "basis": None}
    for payload in (plain, unsealed):  # a hand-made enrolment, a correction that unseals
        with pytest.raises(OpenPeselError, match="sealed"):
            register.record(Command(ev.Kind.FINGERPRINTS_ENROLLED, payload, GMINA, "X/1",
                                    card.pesel))
        with pytest.raises(OpenPeselError, match="sealed"):
            register.record(Command(ev.Kind.CORRECTED, {"replacement": payload, "reason": "typo"},
                                    GMINA, "X/2",
                                    card.pesel, supersedes=seq))

    # Someone else's event naming Ewa's key id and ciphertext opens nothing.
    other = born(register, "Jan", "Nowak", "M", "1985-05-05")
    register.record(Command(ev.Kind.FINGERPRINTS_ENROLLED, sealed, GMINA, "X/3", other.pesel))
    with pytest.raises(FingerNotEnrolled):
        gate.verify_fingerprint(OPERATOR, other.pesel, Scan(2, prints["card-again"]))

    # A sealed enrolment withdrawn by a correction is erased at the next run.
    register.record(Command(ev.Kind.CORRECTED, {"replacement": None, "reason": "in error"},
                            GMINA, "X/4",
                            card.pesel, supersedes=seq))
    clock.now += datetime.timedelta(days=1)
    run = gate.erase_expired_biometrics(OPERATOR)
    assert [(e.pesel, e.enrolment_seq) for e in run.erased] == [(card.pesel, seq)]
    assert run.failed == []

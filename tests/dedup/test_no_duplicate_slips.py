"""No duplicate slips through de-duplication (issue 18, item 4), on both stores.

Fingers here are template-level synthetic sets (``_engine/synthesis/minutiae_sets``):
extraction is not what is tested, and an image costs about 2 s to extract, so
``FingerprintService.assess`` is replaced by one that reads a scan ``T:<seed>:<n>``
as impression ``n`` of synthetic finger ``seed``. Everything after extraction
(the gallery, the screening, the locks, the case log) is the real code.
"""

from __future__ import annotations

import base64
import datetime
import math
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openpesel.access.gate import Gate
from openpesel.access.policy import Role
from openpesel.biometrics import FingerprintImage, encode_template
from openpesel.biometrics._engine.synthesis import minutiae_sets
from openpesel.biometrics.finger import FingerPosition
from openpesel.biometrics.template import FingerprintTemplate, Minutia, MinutiaKind
from openpesel.dedup.enrolment import FingerprintService, FingerResult, Prepared, Scan
from openpesel.dedup.gallery import RegisterGallery
from openpesel.dedup.service import Screened
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.conftest import Clock
from tests.support.adjudication_kit import as_role, foreigner, gate_for

ITERATIONS = 30
"""Rounds of two concurrent registrations of one finger; each must hold one of them."""
CLERK = as_role(Role.MUNICIPAL_CLERK)
EXAMINER = as_role(Role.EXAMINER, "examiner.ewa")


def synthetic(seed: int, impression: int) -> bytes:
    return f"T:{seed}:{impression}".encode()


def _assess(scans: Sequence[Scan]) -> list[Prepared]:
    out = []
    for scan in scans:
        _, seed, impression = scan.data.decode().split(":")
        points = minutiae_sets.impression(minutiae_sets.master(int(seed)), int(impression))
        template = FingerprintTemplate(288, 384, tuple(
            Minutia(round(x), round(y), float(a) % (2 * math.pi), MinutiaKind.ENDING)
            for x, y, a in points), finger=FingerPosition(scan.finger), quality=80)
        record = base64.b64encode(encode_template(template)).decode()
        pixels = np.full((4, 4), (int(seed) * 7 + int(impression)) % 256, dtype=np.uint8)
        out.append(Prepared(FingerResult(scan.finger, 80, len(template.minutiae), False),
                            record, FingerprintImage(pixels)))
    return out


@pytest.fixture(autouse=True)
def template_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FingerprintService, "assess", staticmethod(_assess))


@pytest.fixture
def gates(store_url: str, store: Store, tmp_path: Path, clock: Clock) -> Iterator[list[Gate]]:
    """Two gates on one database, each with its own gallery, like two API workers."""
    clock.now = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    stores = [Store(store_url) for _ in range(2)]
    yield [gate_for(Register(s, clock=clock), tmp_path) for s in stores]
    for s in stores:
        s.dispose()


def apply(gate: Gate, first: str, born: str, scan: bytes, ref: str) -> Screened:
    return gate.register_with_fingerprints(CLERK, ev.Kind.FOREIGNER_REGISTERED,
                                           foreigner(first, "Tkaczenko", "F", born), ref,
                                           [Scan(2, scan)])


def race(gates: list[Gate], round_: int) -> list[Screened | BaseException]:
    """Two registrations of impressions of one finger, started together, one per gate."""
    names = ("Oksana", "Iryna")
    start = threading.Barrier(2)
    results: list[Screened | BaseException] = [RuntimeError("not run")] * 2

    def register(i: int) -> None:
        born = (datetime.date(1970 + 20 * i, 1, 1) + datetime.timedelta(round_)).isoformat()
        start.wait()
        try:
            results[i] = apply(gates[i], names[i], born, synthetic(500 + round_, i),
                               f"GMINA/{round_}/{i}")
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_concurrent_registrations_of_one_finger_hold_one_every_time(
        gates: list[Gate]) -> None:
    """Two workers register the same finger at the same moment: one is always held."""
    for round_ in range(ITERATIONS):
        results = race(gates, round_)
        done = [r for r in results if isinstance(r, Screened)]
        assert len(done) == 2, results
        held = [r for r in done if r.recorded is None]
        assert len(held) == 1, f"round {round_}: {len(held)} of 2 held"
        assert len(held[0].suspects) + len(held[0].held) == 1


def _enrol(register: Register, s: Any, pesel: str, seed: int) -> None:
    (prepared,) = _assess([Scan(2, synthetic(seed, 0))])
    payload = {"fingers": [{"finger": 2, "quality": 80, "template": prepared.template,
                            "image_sha256": "0" * 64}], "missing": []}
    register.record_in(s, Command(ev.Kind.FINGERPRINTS_ENROLLED, payload, ev.Authority.GMINA,
                                  "DO/1", pesel))


def test_the_gallery_sees_an_enrolment_that_commits_after_a_later_one(
        store: Store, register: Register) -> None:
    """An enrolment with a lower event number that commits late is still found."""
    people = [register.record(Command(ev.Kind.FOREIGNER_REGISTERED,
                                      foreigner(n, "Bondarenko", "F", f"198{i}-05-05"),
                                      ev.Authority.GMINA, f"DO/{i}")).pesel
              for i, n in enumerate(("Ola", "Ira"))]
    gallery = RegisterGallery()
    with store.read() as s:
        gallery.refresh(s)
    later_done = threading.Event()

    def later() -> None:
        with store.write() as s:
            _enrol(register, s, people[1], 801)
        later_done.set()

    with store.write() as s:
        _enrol(register, s, people[0], 800)  # the lower event number, still uncommitted
        thread = threading.Thread(target=later)
        thread.start()
        later_done.wait(1.0)  # the old code commits it now; the new one waits for ours
        with store.read() as r:
            gallery.refresh(r)
    thread.join(30)
    assert later_done.is_set()
    with store.read() as s:
        for seed, pesel in zip((800, 801), people, strict=True):
            (probe,) = _assess([Scan(2, synthetic(seed, 1))])
            hits = gallery.search(s, {2: _decoded(probe)}, 2)
            assert hits and hits[0].key == pesel, (seed, [h.key for h in hits])


def _decoded(p: Prepared) -> Any:
    from openpesel.biometrics import decode_template

    return decode_template(base64.b64decode(p.template))


def test_two_held_applications_find_each_other(gates: list[Gate]) -> None:
    """A held application is in no gallery, yet the next with its finger finds it."""
    gate = gates[0]
    # Maria has no fingers enrolled, so an application in her name and birth date is held
    # (only an examiner can clear her); its finger is in no gallery.
    gate.record(CLERK, ev.Kind.FOREIGNER_REGISTERED, foreigner("Maria", "Tkaczenko", "F",
                                                               "1990-01-01"), "GMINA/A")
    held_one = apply(gate, "Maria", "1990-01-01", synthetic(901, 0), "GMINA/C")
    assert held_one.case_id is not None and not held_one.held
    twin = apply(gate, "Zoja", "1993-03-03", synthetic(901, 1), "GMINA/D")
    assert twin.recorded is None and twin.case_id is not None
    assert [h.case_id for h in twin.held] == [held_one.case_id]
    assert twin.held[0].score >= gate.desk.service.threshold
    # Each case shows the other.
    shown = gate.desk.show(EXAMINER, held_one.case_id)
    assert [str(twin.case_id)] == [h["case_id"] for h in shown.detail()["held"]]
    # Released into the register, the first becomes a candidate of the second.
    released = gate.desk.decide(EXAMINER, held_one.case_id,
                                _decision("different"), "other person, checked the passport")
    assert released.pesel is not None
    again = gate.desk.show(EXAMINER, twin.case_id)
    assert released.pesel in [x.pesel for x in again.suspects]


def _decision(name: str) -> Any:
    from openpesel.dedup.cases import Decision

    return Decision(name)


def test_an_enrolment_on_a_registered_person_is_screened(gates: list[Gate]) -> None:
    """Fingers taken for an ID card that are someone else's open a case."""
    gate = gates[0]
    anna = apply(gate, "Anna", "1990-01-01", synthetic(950, 0), "GMINA/A")
    assert anna.recorded is not None
    # Her own prints again (a new card) match only her: no case.
    own = gate.enrol_fingerprints(CLERK, anna.recorded.pesel, [Scan(2, synthetic(950, 2))],
                                  [], "DO/ID/2")
    assert own.case_id is None
    olga = gate.record(CLERK, ev.Kind.FOREIGNER_REGISTERED,
                       foreigner("Olga", "Melnyk", "F", "1985-06-06"), "GMINA/B")
    done = gate.enrol_fingerprints(CLERK, olga.pesel, [Scan(2, synthetic(950, 1))], [],
                                   "DO/ID/1")
    assert done.case_id is not None and done.recorded.pesel == olga.pesel
    case = gate.desk.show(EXAMINER, done.case_id)
    assert case.subject["pesel"] == olga.pesel
    assert [x.pesel for x in case.suspects] == [anna.recorded.pesel]

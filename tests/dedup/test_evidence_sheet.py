"""The examiner sees what fusion decided (issue 18 §6): every finger both sides gave, one
row each under the fused score the search ranked the candidate by, on both stores."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from openpesel.access.gate import Gate
from openpesel.access.policy import Role
from openpesel.dedup.enrolment import Scan
from openpesel.dedup.evidence import GAP, HEADER, canvas_size
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from tests.conftest import Clock
from tests.support.adjudication_kit import as_role, foreigner, gate_for, png

EXAMINER = as_role(Role.EXAMINER, "examiner.ewa")
CLERK = as_role(Role.MUNICIPAL_CLERK)


@pytest.fixture(scope="module")
def prints() -> dict[tuple[int, int], bytes]:
    return {(seed, i): png(seed, i) for seed in (11, 13) for i in (0, 1)}


def _apply(gate: Gate, first: str, impression: int, prints: dict[tuple[int, int], bytes],
           ref: str) -> object:
    return gate.register_with_fingerprints(
        CLERK, ev.Kind.FOREIGNER_REGISTERED, foreigner(first, "Szewczenko", "F", "1990-04-02"),
        ref, [Scan(2, prints[(11, impression)]), Scan(7, prints[(13, impression)])])


def test_the_sheet_shows_every_finger_compared_under_the_fused_score(
        register: Register, tmp_path: Path, clock: Clock,
        prints: dict[tuple[int, int], bytes]) -> None:
    gate = gate_for(register, tmp_path)
    anna = _apply(gate, "Anna", 0, prints, "GMINA/UKR/1").recorded  # type: ignore[attr-defined]
    held = _apply(gate, "Hanna", 1, prints, "GMINA/UKR/2")
    case_id = held.case_id  # type: ignore[attr-defined]
    assert case_id is not None

    pages, sheet = gate.desk.evidence_sheet(EXAMINER, case_id, anna.pesel)
    assert [e.finger for e in pages] == [2, 7]
    suspect = gate.desk.show(EXAMINER, case_id).suspect(anna.pesel)
    assert {f: round(s) for f, s in suspect.fingers} == {e.finger: round(e.score) for e in pages}
    assert pages[0].candidate_score == suspect.score == pytest.approx(
        sum(e.score for e in pages), rel=0.01), "the fused score is the sum over fingers"
    image = Image.open(io.BytesIO(sheet))
    rows = [canvas_size(e.probe, e.candidate) for e in pages]
    assert image.size == (max(w for w, _ in rows), HEADER + sum(h + GAP for _, h in rows))

    # The one-finger view is still there, and the examiner's reading is audited.
    one, _ = gate.desk.evidence(EXAMINER, case_id, anna.pesel, 7)
    assert one.finger == 7
    with register.store.read() as s:
        entries = [json.loads(bytes(e)) for (e,) in s.conn.exec_driver_sql(
            "SELECT entry FROM audit_entries")]
    sheet_entry = next(e for e in entries if e["action"] == "case-evidence"
                       and "finger:2" in e["fields"] and "finger:7" in e["fields"])
    assert sheet_entry["pesel"] == anna.pesel

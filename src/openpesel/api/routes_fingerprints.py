"""Fingerprints over HTTP: enrol scans as an event, verify a scan 1:1.

The endpoints are async only to read the uploads; the work itself (a second
of minutiae extraction per scan, then a write) runs in the thread pool, or it
would stall every other request on the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from openpesel.access.gate import Access, Gate
from openpesel.api.deps import access, gate
from openpesel.api.models import ERRORS, PeselPath, RecordedOut
from openpesel.registry.payloads import BiometricBasis

if TYPE_CHECKING:  # the fingerprint stack is imported on first use, not at start-up
    from openpesel.dedup.enrolment import Scan

router = APIRouter(prefix="/persons/{pesel}/fingerprints", tags=["fingerprints"],
                   responses=ERRORS)
Purposeful = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]
MAX_SCAN = 4 << 20
Finger = Annotated[int, Field(ge=1, le=10, description="ANSI/NIST-ITL finger position")]
Fingers = Annotated[list[Finger], Form(min_length=1, max_length=10, description=(
    "Finger positions 1-10, one per scan, in the order of the scans"))]
Scans = Annotated[list[UploadFile], File(min_length=1, max_length=10, description=(
    "1 to 10 scans: PNG, TIFF, BMP, JPEG or WSQ, one per finger position"))]


class FingerOut(BaseModel):
    finger: int
    quality: int
    minutiae: int
    needs_recapture: bool


class EnrolmentOut(BaseModel):
    recorded: RecordedOut
    fingers: list[FingerOut]


class VerdictOut(BaseModel):
    match: bool
    score: float
    threshold: float
    false_match_rate: float


async def _scan(finger: int, upload: UploadFile) -> Scan:
    from openpesel.dedup.enrolment import Scan
    from openpesel.errors import InvalidEvent

    data = await upload.read(MAX_SCAN + 1)
    if len(data) > MAX_SCAN:
        raise InvalidEvent(f"A scan may have at most {MAX_SCAN} bytes.")
    return Scan(finger, data)


async def scans_of(fingers: list[int], scans: list[UploadFile]) -> list[Scan]:
    """Pair each scan with its finger position (the schema bounds each list, not the pairing)."""
    from openpesel.errors import InvalidEvent

    if len(fingers) != len(scans):
        raise InvalidEvent("Give one finger position for each scan, 1 to 10 scans.")
    return [await _scan(f, s) for f, s in zip(fingers, scans, strict=True)]


@router.post("", status_code=201, summary="Enrol up to ten fingers (one event)")
async def enrol(pesel: PeselPath, a: Purposeful, g: TheGate, fingers: Fingers, scans: Scans,
                document_ref: Annotated[str, Form(min_length=1, max_length=120)],
                basis: Annotated[BiometricBasis | None, Form(
                    description="The law the prints are held under: id_card ones are sealed "
                    "and erased 90 days after the card's issue (docs/retention.md)")] = None,
                ) -> EnrolmentOut:
    prepared = await scans_of(fingers, scans)
    done = await run_in_threadpool(g.enrol_fingerprints, a, pesel, prepared, [], document_ref,
                                   None, False, basis)
    return EnrolmentOut(
        recorded=RecordedOut(pesel=done.recorded.pesel, seqs=list(done.recorded.seqs)),
        fingers=[FingerOut(**f.__dict__) for f in done.fingers])


@router.post("/{finger}/verification", summary="1:1 verification of a scan")
async def verification(pesel: PeselPath, finger: Annotated[int, Path(ge=1, le=10)],
                       a: Purposeful, g: TheGate,
                       scan: Annotated[UploadFile, File()],
                       false_match_rate: Annotated[float, Query(
                           ge=0.0001, le=0.01, description="The decision's false-match rate; "
                           "calibrated at 1 %, 0.1 % and 0.01 %")] = 0.001) -> VerdictOut:
    verdict = await run_in_threadpool(g.verify_fingerprint, a, pesel, await _scan(finger, scan),
                                      false_match_rate)
    return VerdictOut(match=verdict.is_match, score=verdict.score, threshold=verdict.threshold,
                      false_match_rate=verdict.false_match_rate)

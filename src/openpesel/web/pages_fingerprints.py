"""Fingerprint enrolment: up to ten scans, quality per finger, a prompt to rescan.

The scans go to ``Gate.enrol_fingerprints``, which assesses them and records
one event. If a finger's quality is below the threshold nothing is recorded
and the page shows every finger's quality, asking for the weak ones again
(or, where a finger cannot do better, for the clerk to accept it knowingly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from openpesel.access.gate import Forbidden
from openpesel.access.policy import Role, may_record
from openpesel.errors import InvalidEvent, OpenPeselError
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, the_gate

if TYPE_CHECKING:
    from openpesel.dedup.enrolment import FingerResult, Scan

router = APIRouter()
MAX_SCAN = 4 << 20
FINGERS = {1: "right thumb", 2: "right index", 3: "right middle", 4: "right ring",
           5: "right little", 6: "left thumb", 7: "left index", 8: "left middle",
           9: "left ring", 10: "left little"}
"""ANSI/NIST-ITL finger positions."""


@router.get("/persons/{pesel}/fingerprints")
def enrol_form(request: Request, v: Seen, pesel: str) -> Response:
    if not (may_record(v.role, ev.Kind.FINGERPRINTS_ENROLLED) or v.role is Role.OPERATOR):
        raise Forbidden("Your office may not enrol fingerprints (Art. 10).")
    return page(request, "fingerprints.html", v, pesel=validate(pesel), fingers=FINGERS,
                results=None, error=None)


async def _scans(request: Request) -> tuple[list[Scan], dict[str, str]]:
    from openpesel.dedup.enrolment import Scan

    form = await request.form()
    scans = []
    for finger in FINGERS:
        upload = form.get(f"finger_{finger}")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_SCAN + 1)
            if len(data) > MAX_SCAN:
                raise InvalidEvent(f"A scan may have at most {MAX_SCAN} bytes.")
            if data:
                scans.append(Scan(finger, data))
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return scans, fields


@router.post("/persons/{pesel}/fingerprints", dependencies=[Csrf])
async def enrol(request: Request, v: Seen, pesel: str) -> Response:
    from openpesel.biometrics.errors import LowQuality

    number = validate(pesel)
    gate = the_gate(request)
    scans, fields = await _scans(request)
    document_ref = fields.get("document_ref", "").strip()
    accept = fields.get("accept_low_quality") == "yes"
    error, results, recorded = None, None, None
    if not scans:
        error = v._("Choose at least one scan.")
    elif not document_ref:
        error = v._("Give the reference of the application document.")
    else:
        try:
            done = gate.enrol_fingerprints(v.access(), number, scans, [], document_ref[:120],
                                           accept_low_quality=accept)
            results, recorded = done.fingers, done.recorded
        except LowQuality as exc:
            error, results = v._(str(exc)), _assess(scans)
        except OpenPeselError as exc:
            error = v._(str(exc))
    return page(request, "fingerprints.html", v, status=200 if recorded else 422,
                pesel=number, fingers=FINGERS, results=results, recorded=recorded,
                error=error, document_ref=document_ref)


def _assess(scans: list[Scan]) -> list[FingerResult]:
    """Each finger's quality, to say which to rescan; nothing is stored."""
    from openpesel.dedup.enrolment import FingerprintService

    return [p.result for p in FingerprintService.assess(scans)]

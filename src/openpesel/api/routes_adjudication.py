"""Identification, screened registrations and the examiners' cases over HTTP; MOSIP ABIS.

Thin adapters over ``Gate.desk``: parse, call, present. Evidence comes as an
image (``image/png``) for people and as JSON (minutiae, pairs, scores) for
the web interface, from the same data.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, WithJsonSchema

from openpesel.access.gate import Access, Gate
from openpesel.api.deps import access, gate
from openpesel.api.models import ERRORS, Page, Pesel, PeselPath, RecordedOut, Strict
from openpesel.api.paging import Cursor, Limit, page_after, scope
from openpesel.api.routes_fingerprints import FingerOut, Fingers, Scans, scans_of

if TYPE_CHECKING:
    from openpesel.dedup.cases import Case

router = APIRouter(tags=["adjudication"], responses=ERRORS)
_YEAR = {"type": "integer", "minimum": 1850, "maximum": 2200}


def _absent(schema: dict[str, Any]) -> WithJsonSchema:
    """An optional form field is left out, never null (a form has no null), so the
    document shows only the value's own schema."""
    return WithJsonSchema(schema)
Purposeful = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]


class FingerScoreOut(BaseModel):
    finger: int
    score: float


class CandidateOut(BaseModel):
    pesel: str
    score: float
    rank: int
    fingers: list[FingerScoreOut]


class RegistrationOut(BaseModel):
    status: Literal["recorded", "held"]
    recorded: RecordedOut | None
    case_id: uuid.UUID | None
    candidates: list[str]
    fingers: list[FingerOut]


class DecisionIn(Strict):
    decision: Literal["same", "different", "inconclusive"]
    comment: str = Field(min_length=3, max_length=1000)
    candidate: Pesel | None = Field(default=None,
                                    description="The PESEL the subject is the same person as")
    evidence: str | None = Field(default=None, min_length=3, max_length=200, description=(
        "The document a \"same\" decision rests on; required when the subject and the "
        "candidate have no finger in common (docs/adjudication.md, four eyes)"))


class DecisionOut(BaseModel):
    case_id: uuid.UUID
    status: str = Field(description="\"pending\": a first opinion that a second examiner "
                                    "must confirm; nothing was written to the register yet")
    seqs: list[int]
    pesel: str | None


class CaseIn(Strict):
    subject: Pesel
    candidate: Pesel


@router.post("/identification", summary="1:N: who among everyone enrolled left these prints")
async def identification(a: Purposeful, g: TheGate, fingers: Fingers, scans: Scans,
                         sex: Annotated[Literal["F", "M"] | None, Form(), _absent(
                             {"type": "string", "enum": ["F", "M"]})] = None,
                         born_from: Annotated[int | None, Form(), _absent(_YEAR)] = None,
                         born_to: Annotated[int | None, Form(), _absent(_YEAR)] = None,
                         k: Annotated[int, Form(ge=1, le=100)] = 10) -> list[CandidateOut]:
    years = None
    if born_from is not None or born_to is not None:
        years = (born_from or 1850, born_to or 2200)
    found = await run_in_threadpool(g.identify, a, await scans_of(fingers, scans), sex, years, k)
    return [CandidateOut(pesel=c.key, score=c.score, rank=c.rank,
                         fingers=[FingerScoreOut(finger=f.finger, score=f.score)
                                  for f in c.fingers]) for c in found]


@router.post("/registrations", status_code=201,
             summary="Register a person with fingerprints; a suspected duplicate is held (202)",
             responses={202: {"model": RegistrationOut,
                              "description": "Held: a case was opened, nothing assigned"}})
async def registration(a: Purposeful, g: TheGate, response: Response,
                       kind: Annotated[Literal["birth", "foreigner_registered"], Form()],
                       payload: Annotated[str, Form(min_length=2, max_length=20_000,
                                                    description="The event's payload, JSON")],
                       document_ref: Annotated[str, Form(min_length=1, max_length=120)],
                       fingers: Fingers, scans: Scans,
                       effective_date: Annotated[datetime.date | None, Form(), _absent(
                           {"type": "string", "format": "date"})] = None,
                       ) -> RegistrationOut:
    from openpesel.errors import InvalidEvent
    from openpesel.registry import events as ev

    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise InvalidEvent("payload is not JSON.") from None
    if not isinstance(data, dict):
        raise InvalidEvent("payload is a JSON object of the event's fields.")
    done = await run_in_threadpool(g.register_with_fingerprints, a, ev.Kind(kind), data,
                                   document_ref, await scans_of(fingers, scans), (),
                                   effective_date)
    held = done.recorded is None
    if held:
        response.status_code = 202
    recorded = (None if done.recorded is None else
                RecordedOut(pesel=done.recorded.pesel, seqs=list(done.recorded.seqs)))
    return RegistrationOut(status="held" if held else "recorded", recorded=recorded,
                           case_id=done.case_id, candidates=[x.pesel for x in done.suspects],
                           fingers=[FingerOut(**f.__dict__) for f in done.fingers])


def _case_json(case: Case, detail: bool) -> dict[str, Any]:
    return case.detail() if detail else case.summary()


@router.get("/cases", summary="The adjudication queue: undecided first, oldest first")
def cases(a: Purposeful, g: TheGate,
          all_cases: Annotated[bool, Query(alias="all")] = False, limit: Limit = 100,
          cursor: Cursor = None) -> Page[dict[str, Any]]:
    return page_after(g.desk.queue(a, all_cases), _queue_key, lambda c: _case_json(c, False),
                      cursor, scope("cases", all_cases),
                      (int, datetime.datetime.fromisoformat, str), limit)


def _queue_key(case: Case) -> list[Any]:
    """Where a case stands in the queue (``dedup.cases.queue``'s order)."""
    from openpesel.dedup.cases import UNDECIDED  # loaded with the cases, as above

    return [int(case.status not in UNDECIDED), case.opened_at, str(case.case_id)]


@router.post("/cases", status_code=201,
             summary="Open a case: two registered people suspected to be one")
def open_case(body: CaseIn, a: Purposeful, g: TheGate) -> dict[str, Any]:
    return _case_json(g.desk.open_case(a, body.subject, body.candidate), True)


@router.get("/cases/{case_id}", summary="A case: subject, candidates, scores, decisions")
def case(case_id: uuid.UUID, a: Purposeful, g: TheGate) -> dict[str, Any]:
    return _case_json(g.desk.show(a, case_id), True)


@router.get("/cases/{case_id}/evidence/{pesel}",
            summary="Probe and candidate side by side: PNG, or the same as JSON",
            responses={200: {"content": {"image/png": {}, "application/json": {}},
                              "description": "PNG, or with format=json the same as data"}})
def evidence(case_id: uuid.UUID, pesel: PeselPath, a: Purposeful, g: TheGate,
             finger: Annotated[int | None, Query(ge=1, le=10)] = None,
             format: Annotated[Literal["png", "json"], Query()] = "png",
             all_fingers: Annotated[bool, Query(description=(
                 "Every finger both sides gave, one row each, under the fused score "
                 "(the PNG; as JSON, a list)"))] = False) -> Response:
    if all_fingers:
        pages, sheet = g.desk.evidence_sheet(a, case_id, pesel)
        if format == "json":
            return Response(json.dumps([e.to_json() for e in pages]),
                            media_type="application/json")
        return Response(sheet, media_type="image/png")
    found, png = g.desk.evidence(a, case_id, pesel, finger, png=format == "png")
    if png is None:
        return Response(json.dumps(found.to_json()), media_type="application/json")
    return Response(png, media_type="image/png")


@router.post("/cases/{case_id}/decision", status_code=201, summary="Decide a case")
def decide(case_id: uuid.UUID, body: DecisionIn, a: Purposeful, g: TheGate) -> DecisionOut:
    from openpesel.dedup.cases import Decision

    done = g.desk.decide(a, case_id, Decision(body.decision), body.comment, body.candidate,
                         body.evidence)
    return DecisionOut(case_id=case_id, status=done.case.status.value, seqs=list(done.seqs),
                       pesel=done.pesel)


@router.post("/abis", summary="MOSIP ABIS: insert, identify, delete, ping, pendingJobs, "
                              "referenceCount (JSON messages)")
async def abis(request: Request, a: Purposeful, g: TheGate) -> dict[str, Any]:
    body = await request.body()
    try:
        message: object = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested a thousand deep
        message = None  # answered as MOSIP expects: failureReason 4, invalid request
    return await run_in_threadpool(g.desk.abis, a, message)

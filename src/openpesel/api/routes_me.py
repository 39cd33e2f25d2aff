"""Residents: my record, my history, who accessed it, and my PESEL reservation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from openpesel.access.gate import Access, Gate, access_report
from openpesel.access.report import to_pdf
from openpesel.api.deps import access, gate
from openpesel.api.models import (
    ERRORS,
    EventOut,
    LostIn,
    Page,
    PeselPath,
    RecordedOut,
    ReservationOut,
    WithdrawIn,
)
from openpesel.api.paging import Cursor, Limit
from openpesel.api.routes_register import events_page

router = APIRouter(prefix="/me", tags=["me"], responses=ERRORS)
Mine = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]


@router.get("", summary="My record")
def my_record(a: Mine, g: TheGate) -> dict[str, Any]:
    return g.my_record(a)


@router.get("/history", summary="My timeline")
def my_history(a: Mine, g: TheGate, limit: Limit = 100, cursor: Cursor = None
               ) -> Page[EventOut]:
    return events_page(g.my_history(a), f"me:{a.principal.name}", cursor, limit)


@router.get("/children", summary="My children (links to their records while they are minors)")
def my_children(a: Mine, g: TheGate) -> list[dict[str, Any]]:
    return g.my_children(a)


@router.get("/children/{pesel}", summary="My minor child's record")
def my_child(pesel: PeselPath, a: Mine, g: TheGate) -> dict[str, Any]:
    return g.my_record(a, child_pesel=pesel)


@router.get("/access-report", summary="Who accessed my data: a signed report, JSON or PDF",
            responses={200: {"content": {"application/pdf": {}}}})
def my_access_report(a: Mine, g: TheGate,
                     format: Annotated[Literal["json", "pdf"], Query()] = "json") -> Any:
    report = access_report(g, a)
    if format == "pdf":
        return Response(to_pdf(report), media_type="application/pdf")
    return report


@router.get("/reservation-checks", summary="Who checked my reservation: a signed report")
def my_reservation_checks(a: Mine, g: TheGate) -> dict[str, Any]:
    return access_report(g, a, only="check")


@router.get("/reservation", summary="My reservation now, and its cause if the law made it")
def my_reservation(a: Mine, g: TheGate) -> ReservationOut:
    return ReservationOut.model_validate(g.my_reservation(a))


@router.post("/documents/lost", status_code=201,
             summary="Report my ID card lost or stolen: it is invalidated, and an adult's "
                     "PESEL reserved")
def report_lost(body: LostIn, a: Mine, g: TheGate) -> RecordedOut:
    done = g.report_lost(a, body.number, body.reason)
    return RecordedOut(pesel=done.pesel, seqs=list(done.seqs))


@router.post("/reservation", status_code=201, summary="Reserve my PESEL (adults only)")
def reserve(a: Mine, g: TheGate) -> RecordedOut:
    done = g.reserve(a)
    return RecordedOut(pesel=done.pesel, seqs=list(done.seqs))


@router.post("/reservation/withdrawal", status_code=201,
             summary="Withdraw my reservation now, or schedule it; re-reserving waits 30 min")
def withdraw(body: WithdrawIn, a: Mine, g: TheGate) -> RecordedOut:
    done = g.withdraw(a, body.at)
    return RecordedOut(pesel=done.pesel, seqs=list(done.seqs))

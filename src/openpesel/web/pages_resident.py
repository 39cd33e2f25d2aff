"""The resident's portal: my data, my history, who saw it, my reservation, my children."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from openpesel.access.gate import Forbidden, access_report
from openpesel.access.report import to_pdf
from openpesel.errors import InvalidEvent, RegisterError
from openpesel.registry.rules import RESERVE_AGAIN_AFTER
from openpesel.web.display import cause_reason, local_input
from openpesel.web.pages_office import _shown
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, the_gate

router = APIRouter()


def reserved_now(reservation: dict[str, Any] | None, pesel: str,
                 now: datetime.datetime) -> bool:
    """Whether the record's reservation holds at ``now`` (a withdrawal may be scheduled).

    >>> at = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
    >>> r = {"pesel": "1", "since": "2026-01-01T10:00:00+00:00",
    ...      "withdraw_at": "2026-01-01T11:00:00+00:00"}
    >>> reserved_now(r, "1", at), reserved_now(r | {"withdraw_at": None}, "1", at)
    (False, True)
    """
    if not reservation or reservation.get("pesel") != pesel:
        return False
    until = reservation.get("withdraw_at")
    return until is None or now < datetime.datetime.fromisoformat(until)


def _portal(request: Request, v: Seen, status: int = 200, error: str | None = None) -> Response:
    gate, access = the_gate(request), v.access()
    record = gate.my_record(access)
    history = gate.my_history(access)
    children = gate.my_children(access)
    seen = gate.my_audit(access)
    now = gate.clock()
    reserved = record.get("reservation")
    if not reserved_now(reserved, str(record["pesel"]), now):
        reserved = None
    cause = next((e for e in history if reserved and e.seq == reserved.get("cause_seq")), None)
    cards = [c for c in record.get("id_cards", []) if not c.get("invalidated")]
    return page(request, "me.html", v, status=status, r=record,
                reason=cause_reason(reserved.get("cause") if reserved else None, v._),
                cause=cause, by_law_only=bool(reserved and reserved.get("cause") == "died"),
                cards=cards,
                events=[(e, _shown(e, v._)) for e in history], children=children,
                seen=[(i, e) for i, e in seen if e.action != "check"],
                checks=[(i, e) for i, e in seen if e.action == "check"],
                reserved=reserved, wait_minutes=int(RESERVE_AGAIN_AFTER.total_seconds() // 60),
                now=now, error=error)


@router.get("/me")
def me(request: Request, v: Seen) -> Response:
    return _portal(request, v)


@router.get("/me/children/{pesel}")
def child(request: Request, v: Seen, pesel: str) -> Response:
    record = the_gate(request).my_record(v.access(), child_pesel=pesel)
    return page(request, "child.html", v, r=record)


@router.get("/me/access-report.json")
def report_json(request: Request, v: Seen) -> Response:
    report = access_report(the_gate(request), v.access())
    return Response(json.dumps(report, ensure_ascii=False, indent=1),
                    media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="access-report.json"'})


@router.get("/me/access-report.pdf")
def report_pdf(request: Request, v: Seen) -> Response:
    report = access_report(the_gate(request), v.access())
    return Response(to_pdf(report), media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="access-report.pdf"'})


@router.post("/me/reservation", dependencies=[Csrf])
def reserve(request: Request, v: Seen) -> Response:
    try:
        the_gate(request).reserve(v.access())
    except RegisterError as exc:
        return _portal(request, v, 409, v._(str(exc)))
    return RedirectResponse("/me#reservation", status_code=303)


@router.post("/me/reservation/withdrawal", dependencies=[Csrf])
def withdraw(request: Request, v: Seen,
             at: Annotated[str, Form(max_length=20)] = "") -> Response:
    when = None
    if at.strip():
        try:
            when = local_input(at.strip())  # typed in Polish time
        except ValueError:
            return _portal(request, v, 422, v._("Give a date and a time."))
    try:
        the_gate(request).withdraw(v.access(), when)
    except (RegisterError, Forbidden) as exc:
        return _portal(request, v, 409, v._(str(exc)))
    return RedirectResponse("/me#reservation", status_code=303)


@router.post("/me/documents/lost", dependencies=[Csrf])
def report_lost(request: Request, v: Seen, number: Annotated[str, Form(max_length=20)] = "",
                reason: Annotated[str, Form(max_length=10)] = "lost") -> Response:
    """Report my ID card lost or stolen: it is invalidated, and an adult's number reserved
    in the same transaction (``registry/automatic.py``)."""
    if reason not in ("lost", "stolen"):
        return _portal(request, v, 422, v._("Choose whether the card was lost or stolen."))
    try:
        the_gate(request).report_lost(v.access(), number.strip().upper(), reason)
    except InvalidEvent:
        return _portal(request, v, 422, v._("An ID card number is three letters and six "
                                            "digits, such as ABC123456."))
    except (RegisterError, Forbidden) as exc:
        return _portal(request, v, 409, v._(str(exc)))
    return RedirectResponse("/me#reservation", status_code=303)

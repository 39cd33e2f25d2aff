"""Officials and machine clients: login, numbers, people, events, reservation checks."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from openpesel.access.gate import Access, Gate, Principal
from openpesel.api.deps import RateLimited, access, gate, principal
from openpesel.api.models import (
    ERRORS,
    CheckOut,
    EventIn,
    EventOut,
    NumberOut,
    Page,
    PeselPath,
    RecordedOut,
    RevokeRequest,
    TokenOut,
    TokenRequest,
)
from openpesel.api.paging import (
    Cursor,
    Limit,
    SearchOffset,
    check_offset,
    decode,
    page,
    page_after,
    scope,
)
from openpesel.number import get_birth_date, get_sex, validate
from openpesel.registry import events as ev
from openpesel.registry.events import PESEL_SCHEMA
from openpesel.registry.search import Hit, Query as SearchQuery

router = APIRouter(responses=ERRORS)
SEARCHABLE = r"[^\W\d_]|^\d{11}$"
"""A search names someone (a letter somewhere) or gives a PESEL, else nothing is asked."""
Purposeful = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]


def event_out(e: ev.Event) -> EventOut:
    return EventOut(seq=e.seq, kind=e.kind.value, effective_date=e.effective_date,
                    recorded_at=e.recorded_at, authority=e.authority.value,
                    document_ref=e.document_ref, supersedes=e.supersedes,
                    payload=e.payload_json())


@router.post("/auth/token", tags=["auth"], summary="Log in and get a bearer token")
def login(body: TokenRequest, g: TheGate, request: Request) -> TokenOut:
    client = request.client.host if request.client else "unknown"
    if not request.app.state.bucket.allow(f"login:{client}:{body.username}"):
        raise RateLimited()
    issued = g.login(body.username, body.secret, body.totp, address=client)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, role=issued.role)


@router.post("/auth/revoke", tags=["auth"], status_code=204,
             summary="Revoke your token, or (administrators) any token by its id")
def revoke(body: RevokeRequest, who: Annotated[Principal, Depends(principal)],
           g: TheGate) -> None:
    g.revoke(who, body.jti)


@router.get("/numbers/{pesel}", tags=["numbers"], summary="Validate and decode a PESEL")
def number(pesel: PeselPath) -> NumberOut:
    valid = validate(pesel)
    return NumberOut(pesel=valid, birth_date=get_birth_date(valid), sex=get_sex(valid).value)


@router.get("/event-kinds", tags=["events"], summary="Event kinds, their fields and offices")
def event_kinds() -> list[dict[str, Any]]:
    return [{"kind": k.value, "authorities": sorted(a.value for a in ev.AUTHORS[k]),
             "schema": ev.PAYLOADS[k].model_json_schema()} for k in ev.Kind]


@router.get("/persons", tags=["persons"], summary="Search by name or PESEL")
def search_persons(
    a: Purposeful, g: TheGate,
    q: Annotated[str, Query(
        min_length=1, max_length=200, pattern=SEARCHABLE,
        description="Names (at least one letter) or a PESEL",
        json_schema_extra={"anyOf": [{k: v for k, v in PESEL_SCHEMA.items() if k != "type"},
                                     {"pattern": r"[^\W\d_]"}]})],
    born: datetime.date | None = None,
    year: Annotated[int | None, Query(ge=1800, le=2299)] = None,
    sex: Annotated[str | None, Query(pattern="^[FM]$")] = None,
    teryt: Annotated[str | None, Query(pattern=r"^\d{2,7}$")] = None,
    limit: Limit = 20, offset: SearchOffset = 0, cursor: Cursor = None,
) -> Page[Hit]:
    check_offset(offset, cursor)
    where = scope("persons", q, born, year, sex, teryt)
    after = decode(cursor, where, (float, datetime.date.fromisoformat, uuid.UUID))
    hits = g.search(a, SearchQuery(q, born, year, sex, teryt, limit=limit,
                                   after=None if after is None else (after[0], after[1],
                                                                     after[2])),
                    offset=offset)
    return page(list(hits), limit, hits.last, where, offset)


@router.get("/persons/{pesel}", tags=["persons"],
            summary="A person's record, now or as of a date as known at a moment")
def read_person(pesel: PeselPath, a: Purposeful, g: TheGate, as_of: datetime.date | None = None,
                known_at: datetime.datetime | None = None) -> dict[str, Any]:
    if known_at is not None and known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=datetime.UTC)
    return g.show(a, pesel, as_of, known_at)


@router.get("/persons/{pesel}/history", tags=["persons"], summary="A person's timeline")
def person_history(pesel: PeselPath, a: Purposeful, g: TheGate, limit: Limit = 100,
                   cursor: Cursor = None) -> Page[EventOut]:
    return events_page(g.history(a, pesel), f"history:{pesel}", cursor, limit)


def events_page(events: list[ev.Event], about: str, cursor: str | None,
                limit: int) -> Page[EventOut]:
    """A page of one person's timeline, by ``seq``."""
    return page_after(events, lambda e: [e.seq], event_out, cursor, scope(about), (int,), limit)


@router.post("/events", tags=["events"], status_code=201,
             summary="Record an event; the office is the caller's role's (Art. 10)")
def record_event(body: EventIn, a: Purposeful, g: TheGate) -> RecordedOut:
    done = g.record(a, ev.parse_kind(body.kind), body.payload, body.document_ref, body.pesel,
                    body.effective_date, body.supersedes, body.authority)
    return RecordedOut(pesel=done.pesel, seqs=list(done.seqs))


@router.get("/reservations/{pesel}", tags=["reservations"],
            summary="Is this PESEL reserved? For banks, notaries and telecoms")
async def check_reservation(pesel: PeselPath, a: Purposeful, g: TheGate) -> CheckOut:
    # The check runs in the thread pool: it waits for its audit entry's commit, and waiting
    # on the event loop would stall every request in the server behind one slow write (the
    # load test's p99 of seconds). The endpoint itself is async, so FastAPI checks the answer
    # on the event loop: a sync endpoint costs a second thread-pool hand-off per request, for
    # the response model alone (docs/profiles/issue17.md).
    done = await run_in_threadpool(g.check_reservation, a, pesel)
    return CheckOut(pesel=done.pesel, reserved=done.reserved, check_id=done.check_id,
                    checked_at=done.checked_at)


@router.get("/statistics/population", tags=["statistics"], summary="Aggregates only")
def statistics(a: Purposeful, g: TheGate) -> dict[str, Any]:
    return g.statistics(a)

"""The supervisor's audit page: browse the log, and verify it against its signed heads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from openpesel.access.gate import Forbidden
from openpesel.access.policy import Action, decide
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, Viewer, the_gate

router = APIRouter()
PAGE = 50


@router.get("/audit")
def audit(request: Request, v: Seen, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    size, entries = the_gate(request).audit_entries(v.access(), offset, PAGE)
    return page(request, "audit.html", v, size=size, entries=entries, offset=offset,
                step=PAGE, verified=None)


def _require_audit(v: Viewer) -> None:
    decision = decide(v.role, Action.AUDIT, Action.AUDIT.value)
    if not decision.allowed:
        raise Forbidden(decision.reason)


@router.post("/audit/verify", dependencies=[Csrf])
def verify(request: Request, v: Seen) -> Response:
    """Recompute the whole tree, check every head, then sign the head as it stands."""
    _require_audit(v)
    gate = the_gate(request)
    with gate.store.read() as s:
        report = gate.audit.verify(s)
    with gate.store.write() as s:
        head = gate.audit.head(s, gate.clock())
    size, entries = gate.audit_entries(v.access(), 0, PAGE)
    return page(request, "audit.html", v, size=size, entries=entries, offset=0, step=PAGE,
                verified=report, head=head.to_json())

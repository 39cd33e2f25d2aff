"""Administrators: principals, the audit log, and whole-register operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from openpesel.access.gate import Access, Gate
from openpesel.api.deps import access, gate
from openpesel.api.models import ERRORS, EventOut, Page, UserIn, UserOut
from openpesel.api.paging import Limit, Offset
from openpesel.api.routes_register import event_out

router = APIRouter(tags=["admin"], responses=ERRORS)
Admin = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]


@router.post("/users", status_code=201, summary="Create a principal")
def add_user(body: UserIn, a: Admin, g: TheGate) -> UserOut:
    totp = g.add_principal(a, body.name, body.role, body.secret, body.display_name, body.pesel)
    return UserOut(name=body.name, role=body.role.value,
                   display_name=body.display_name or body.name, active=True, totp_secret=totp)


@router.get("/users", summary="List principals")
def list_users(a: Admin, g: TheGate) -> list[UserOut]:
    return [UserOut(name=u.name, role=u.role, display_name=u.display_name, active=u.active)
            for u in g.principals(a)]


@router.delete("/users/{name}", status_code=204, summary="Deactivate a principal")
def deactivate_user(name: str, a: Admin, g: TheGate) -> None:
    g.deactivate(a, name)


@router.get("/audit/head", tags=["audit"], summary="Sign and return the audit log's tree head")
def audit_head(a: Admin, g: TheGate) -> dict[str, Any]:
    return g.sign_head(a).to_json()  # signing writes a head; readers get heads in reports


@router.get("/audit/verify", tags=["audit"], summary="Recompute and check the whole log")
def audit_verify(a: Admin, g: TheGate) -> dict[str, Any]:
    report = g.verify_audit(a)
    return {"ok": report.ok, "size": report.size, "problems": list(report.problems)}


@router.get("/export", tags=["bulk"], summary="The event log, a page at a time")
def export(a: Admin, g: TheGate, limit: Limit = 100, offset: Offset = 0) -> Page[EventOut]:
    events = g.export(a)
    return Page[EventOut](items=[event_out(e) for e in events[offset:offset + limit]],
                          total=len(events), limit=limit, offset=offset)


@router.post("/import", tags=["bulk"], summary="Replay an exported JSONL log (all or nothing)")
def import_log(a: Admin, g: TheGate, body: Annotated[
        str, Body(media_type="text/plain", min_length=1, max_length=1 << 20)]) -> dict[str, int]:
    return {"imported": g.import_events(a, body.splitlines())}


@router.post("/rebuild-projections", tags=["bulk"], summary="Replay the log into fresh tables")
def rebuild(a: Admin, g: TheGate) -> dict[str, int]:
    return {"people": g.rebuild_projections(a)}

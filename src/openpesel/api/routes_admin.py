"""Administrators: principals, the audit log, and whole-register operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import StreamingResponse

from openpesel.access.gate import Access, Gate
from openpesel.api.deps import access, gate
from openpesel.api.models import ERRORS, Page, UserIn, UserOut
from openpesel.api.paging import Cursor, Limit, decode, page, scope
from openpesel.registry.transfer import event_to_json

router = APIRouter(tags=["admin"], responses=ERRORS)
JSONL = "application/x-ndjson"
Admin = Annotated[Access, Depends(access)]
TheGate = Annotated[Gate, Depends(gate)]


@router.post("/users", status_code=201, summary="Create a principal")
def add_user(body: UserIn, a: Admin, g: TheGate) -> UserOut:
    totp = g.add_principal(a, body.name, body.role, body.secret, body.display_name, body.pesel)
    return UserOut(name=body.name, role=body.role.value,
                   display_name=body.display_name or body.name, active=True, totp_secret=totp)


@router.get("/users", summary="List principals, by name")
def list_users(a: Admin, g: TheGate, limit: Limit = 100, cursor: Cursor = None
               ) -> Page[UserOut]:
    where = scope("users")
    after = decode(cursor, where, (str,))
    users = [UserOut(name=u.name, role=u.role, display_name=u.display_name, active=u.active)
             for u in g.principals(a, None if after is None else after[0], limit)]
    return page(users, limit, [users[-1].name] if users else None, where)


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


@router.get("/export", tags=["bulk"], response_class=StreamingResponse,
            summary="The event log as JSON Lines, streamed; resumable after any seq",
            responses={200: {"content": {JSONL: {}}, "description": (
                "One event a line, in `seq` order, as `openpesel export` writes it and "
                "`POST /import` reads it. The log is read in chunks as the body is sent, "
                "never whole; a body cut short resumes with `after_seq` set to the `seq` "
                "of its last whole line.")}})
def export(a: Admin, g: TheGate, after_seq: Annotated[int, Query(
        ge=0, le=2**63 - 1, description="Only events after this seq.")] = 0
           ) -> StreamingResponse:
    # Authorised and audited here, before the response starts: a refusal is a 403, not a
    # stream cut short. Each chunk is then read and encoded on the thread pool.
    chunks = g.export(a, after_seq)
    return StreamingResponse(("".join(event_to_json(e) + "\n" for e in chunk)
                              for chunk in chunks), media_type=JSONL)


@router.post("/import", tags=["bulk"], summary="Replay an exported JSONL log (all or nothing)")
def import_log(a: Admin, g: TheGate, body: Annotated[
        str, Body(media_type="text/plain", min_length=1, max_length=1 << 20)]) -> dict[str, int]:
    return {"imported": g.import_events(a, body.splitlines())}


@router.post("/rebuild-projections", tags=["bulk"], summary="Replay the log into fresh tables")
def rebuild(a: Admin, g: TheGate) -> dict[str, int]:
    return {"people": g.rebuild_projections(a)}

"""Request-scoped dependencies: who is calling, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openpesel.access.credentials import AuthError
from openpesel.access.gate import Access, Gate, Principal
from openpesel.http.problems import problem
from openpesel.http.ratelimit import TokenBucket

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token.")


class RateLimited(Exception):
    pass


# Dependencies are async on purpose: they only compute (or hit the 2-second token
# cache), and a sync dependency costs a thread-pool round trip on every request.
async def gate(request: Request) -> Gate:
    g: Gate = request.app.state.gate
    return g


async def principal(
    request: Request,
    g: Annotated[Gate, Depends(gate)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise AuthError("This endpoint needs a bearer token (Authorization: Bearer ...).")
    who = g.authenticate(credentials.credentials)
    bucket: TokenBucket = request.app.state.bucket
    if not bucket.allow(who.name):
        raise RateLimited()
    return who


async def access(
    who: Annotated[Principal, Depends(principal)],
    x_purpose: Annotated[str | None, Header(max_length=200, description=(
        "Why the data is needed; required for personal data."))] = None,
    x_legal_basis: Annotated[str | None, Header(max_length=200, description=(
        "The legal basis; required of police, courts and prosecutors."))] = None,
    x_case_ref: Annotated[str | None, Header(max_length=100, description=(
        "The case reference; required of police, courts and prosecutors."))] = None,
) -> Access:
    return Access(who, x_purpose, x_legal_basis, x_case_ref)


__all__ = ["RateLimited", "access", "gate", "principal", "problem"]

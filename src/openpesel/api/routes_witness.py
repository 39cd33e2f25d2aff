"""The audit log's public face, for witnesses: the latest signed head and consistency proofs.

Public, as in Certificate Transparency (RFC 6962 get-sth, get-sth-consistency):
no token, and not audited. They disclose the log's size, its root and inner
hashes of the Merkle tree, never an entry: a hash of an entry (its principal,
purpose, person and a microsecond time) cannot be guessed back. What they
protect is the other way round: a witness must be able to check the register
without holding an account the register could revoke. Callers are rate-limited
by address instead (docs/access.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from openpesel.access.gate import Gate
from openpesel.api.deps import RateLimited, gate
from openpesel.api.models import ERRORS
from openpesel.http.ratelimit import TokenBucket

TheGate = Annotated[Gate, Depends(gate)]


async def by_address(request: Request) -> None:
    """No principal to rate-limit: the client's address stands in for it."""
    bucket: TokenBucket = request.app.state.bucket
    if not bucket.allow(f"address:{request.client.host if request.client else '-'}"):
        raise RateLimited()


router = APIRouter(tags=["audit"], responses=ERRORS, dependencies=[Depends(by_address)])


@router.get("/audit/heads/latest", summary="The latest signed tree head, with the public key "
            "that checks it (public, for witnesses)")
def latest_head(g: TheGate) -> dict[str, Any]:
    return g.latest_head()


@router.get("/audit/proofs/consistency", summary="RFC 6962 consistency proof between two "
            "sizes of the log (public, for witnesses)")
def consistency(g: TheGate, old: Annotated[int, Query(ge=0)],
                new: Annotated[int, Query(ge=0)]) -> dict[str, Any]:
    proof = g.consistency_proof(old, new)
    return {"old": old, "new": new, "proof": [h.hex() for h in proof]}

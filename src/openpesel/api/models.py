"""Request and response bodies: strict on the way in, documented on the way out."""

from __future__ import annotations

import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from openpesel.access.policy import Role
from openpesel.registry.events import Authority

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9._:-]+$")
    secret: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    totp: str | None = Field(default=None, pattern=r"^\d{6}$")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime.datetime
    role: str


class RevokeRequest(Strict):
    jti: str | None = Field(default=None, max_length=36)


class NumberOut(BaseModel):
    pesel: str
    birth_date: datetime.date
    sex: str


class EventIn(Strict):
    kind: str = Field(max_length=40)
    pesel: str | None = Field(default=None, max_length=20)
    payload: dict[str, Any]
    document_ref: str = Field(min_length=1, max_length=120)
    effective_date: datetime.date | None = None
    supersedes: int | None = Field(default=None, ge=1)
    authority: Authority | None = Field(
        default=None, description="The office; only an operator names it, others act for "
                                  "their role's office.")


class RecordedOut(BaseModel):
    pesel: str
    seqs: list[int]


class EventOut(BaseModel):
    seq: int
    kind: str
    effective_date: datetime.date
    recorded_at: datetime.datetime
    authority: str
    document_ref: str
    supersedes: int | None
    payload: dict[str, Any]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class CheckOut(BaseModel):
    pesel: str
    reserved: bool
    check_id: int
    checked_at: datetime.datetime


class UserIn(Strict):
    name: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9._-]+$")
    role: Role
    secret: str = Field(min_length=12, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    display_name: str = Field(default="", max_length=120, pattern=r"^[^\x00-\x1f\x7f]*$")
    pesel: str | None = Field(default=None, max_length=20)


class UserOut(BaseModel):
    name: str
    role: str
    display_name: str
    active: bool
    totp_secret: str | None = None


class AuditEntryOut(BaseModel):
    index: int
    entry: dict[str, Any]


class WithdrawIn(Strict):
    at: datetime.datetime | None = None


class ProblemOut(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


_PROBLEM = {"model": ProblemOut, "content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {**_PROBLEM, "description": text} for code, text in [
        (401, "Missing, malformed, expired or revoked token"),
        (403, "The role may not do this, or the purpose or legal basis is missing"),
        (404, "No such person"),
        (409, "Refused by the register's rules"),
        (413, "Body too large"),
        (422, "Invalid input"),
        (429, "Too many requests"),
        (503, "Register unavailable"),
    ]
}

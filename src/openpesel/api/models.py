"""Request and response bodies: strict on the way in, documented on the way out."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from openpesel.access.policy import Role
from openpesel.registry import events as ev
from openpesel.registry.events import PESEL_SCHEMA, Authority

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Pesel = Annotated[str, Field(max_length=20), WithJsonSchema(PESEL_SCHEMA)]
"""A PESEL in a body: documented as 11 digits in format 'pesel', checked by ``validate``
(whose plain-words 422 beats a bare pattern error)."""

PeselPath = Annotated[str, Path(description="A PESEL: 11 digits, valid date and check digit",
                                json_schema_extra={k: v for k, v in PESEL_SCHEMA.items()
                                                   if k != "description"})]


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
    pesel: Pesel | None = None
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
    """One page of a list (``api/paging.py``): no list is ever read whole for a page."""

    items: list[T]
    limit: int
    offset: int = 0
    next: str | None = Field(
        default=None, description="The cursor of the next page (pass it as `cursor`); null "
                                  "on the last page.")


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
    pesel: Pesel | None = None


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


class LostIn(Strict):
    """An ID card reported lost or stolen by its holder (or their guardian)."""

    number: ev.IdCardNumber = Field(description="The ID card's series and number: ABC123456")
    reason: Literal["lost", "stolen"] = "lost"


class ReservationCause(BaseModel):
    """The event that reserved the number by itself (issue 20 §1)."""

    kind: Literal["died", "id_document_reported_lost"]
    seq: int
    effective_date: datetime.date
    document_ref: str


class ReservationOut(BaseModel):
    pesel: str
    reserved: bool
    since: datetime.datetime | None = None
    withdraw_at: datetime.datetime | None = None
    cause: ReservationCause | None = Field(
        default=None, description="Why the number is reserved, if the law reserved it "
                                  "(none: reserved on request)")


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
        (400, "Malformed request (a multipart body that cannot be parsed)"),
        (401, "Missing, malformed, expired or revoked token"),
        (403, "The role may not do this, or the purpose or legal basis is missing"),
        (404, "No such person"),
        (409, "Refused by the register's rules"),
        (413, "Body too large"),
        (422, "Invalid input: against this document (type /problems/validation), or a "
              "rule a schema cannot state: a PESEL's check digit, a scan that is no "
              "fingerprint, a date the law does not allow"),
        (429, "Too many requests"),
        (503, "Register unavailable"),
    ]
}


def _kind_model(kind: ev.Kind) -> type[BaseModel]:
    """``EventIn`` for one kind: its payload model, and a PESEL unless the event creates one."""
    title = "".join(part.title() for part in kind.value.split("_")) + "Event"
    pesel: Any = ((Pesel | None, None) if kind in ev.CREATING_KINDS else (Pesel, ...))
    return create_model(  # type: ignore[call-overload,no-any-return]
        title, __base__=Strict, __doc__=f"A {kind.value} event.",
        kind=(Literal[kind.value], ...), pesel=pesel, payload=(ev.PAYLOADS[kind], ...),
        **{name: (field.annotation, field) for name, field in EventIn.model_fields.items()
           if name not in ("kind", "pesel", "payload")})


EVENT_KINDS: list[type[BaseModel]] = [_kind_model(k) for k in ev.Kind
                                      if ev.not_by_hand(k) is None]
"""What ``POST /events`` accepts, one model per kind, built from ``events.PAYLOADS``:
the route parses ``EventIn`` itself (the register's own words for a mistyped kind or
field), and the OpenAPI document shows this discriminated union (``api.contract``)."""

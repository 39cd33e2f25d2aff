"""A form for every kind of event the caller's office may record."""

from __future__ import annotations

import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from openpesel.access.gate import Forbidden
from openpesel.access.policy import Action, Role, may_record
from openpesel.errors import InvalidNumber, OpenPeselError
from openpesel.number import validate
from openpesel.registry import events as ev
from openpesel.web import forms
from openpesel.web.pages_office import recordable
from openpesel.web.render import page
from openpesel.web.session import Csrf, Seen, Viewer, the_gate

router = APIRouter()
PESEL_FIELDS = ("mother_pesel", "father_pesel", "spouse_pesel", "other_pesel")


def _kinds(v: Viewer) -> list[ev.Kind]:
    """Births and foreigners' registrations create a person; the rest need one."""
    creating = [k for k in sorted(ev.CREATING_KINDS)
                if may_record(v.role, k) or v.role is Role.OPERATOR]
    return creating + recordable(v)


def _kind(v: Viewer, name: str) -> ev.Kind:
    kind = ev.parse_kind(name)
    if kind not in _kinds(v):
        raise Forbidden(f"Your office may not record {kind.value} (Art. 10).")
    return kind


@router.get("/events/new")
def new_event(request: Request, v: Seen, kind: str = "", pesel: str = "") -> Response:
    v.require(Action.RECORD)
    if not kind:
        return page(request, "event_kinds.html", v, kinds=_kinds(v), pesel=pesel)
    k = _kind(v, kind)
    return page(request, "event_form.html", v, kind=k, fields=forms.fields(k), values={},
                errors={}, pesel=pesel, creating=k in ev.CREATING_KINDS)


@router.post("/events/new", dependencies=[Csrf])
async def record_event(request: Request, v: Seen,
                       kind: Annotated[str, Form(max_length=40)],
                       document_ref: Annotated[str, Form(max_length=120)] = "",
                       pesel: Annotated[str, Form(max_length=20)] = "",
                       effective_date: Annotated[str, Form(max_length=20)] = "",
                       supersedes: Annotated[str, Form(max_length=20)] = "") -> Response:
    k = _kind(v, kind)
    form = {key: value for key, value in (await request.form()).items()
            if isinstance(value, str)}
    creating = k in ev.CREATING_KINDS
    data, errors = forms.payload(k, form)
    errors |= forms.check(k, data, v._)
    if not document_ref.strip():
        errors["document_ref"] = v._("This field is required.")
    for name in (*PESEL_FIELDS, *(() if creating else ("pesel",))):
        number = data.get(name) if name != "pesel" else pesel.strip()
        if name == "pesel" and not number:
            errors["pesel"] = v._("This field is required.")
        elif number:
            try:
                validate(str(number))
            except InvalidNumber as exc:
                errors[name] = v._(str(exc))
    effective = None
    if effective_date.strip():
        try:
            effective = datetime.date.fromisoformat(effective_date.strip())
        except ValueError:
            errors["effective_date"] = v._("Give a date as YYYY-MM-DD.")
    seq = None
    if supersedes.strip():
        if not supersedes.strip().isdigit():
            errors["supersedes"] = v._("Give a whole number.")
        else:
            seq = int(supersedes)
    if not errors:
        try:
            done = the_gate(request).record(v.access(), k, data, document_ref.strip(),
                                            None if creating else pesel.strip(), effective, seq)
        except Forbidden:
            raise
        except OpenPeselError as exc:
            errors[_field_of(k, str(exc))] = v._(str(exc))
        else:  # the person's page confirms what was written
            seqs = ",".join(map(str, done.seqs))
            return RedirectResponse(f"/persons/{done.pesel}?recorded={seqs}#done",
                                    status_code=303)
    return page(request, "event_form.html", v, status=422, kind=k, fields=forms.fields(k),
                values=form, errors=errors, pesel=pesel, creating=creating)


def _field_of(kind: ev.Kind, message: str) -> str:
    """Which field a refusal is about, when the register's message names one.

    >>> _field_of(ev.Kind.BIRTH, "birth: family_name: too long"), _field_of(ev.Kind.DIED, "x")
    ('family_name', 'form')
    """
    names = {f.name for f in forms.fields(kind)} | {"document_ref", "pesel"}
    parts = message.split(": ")
    if len(parts) > 2 and parts[0] == kind.value and parts[1] in names:
        return parts[1]
    return next((n for n in names if n in message), "form")

"""The rules of the records offices keep beside civil status: residence, stays abroad,
identity documents and citizenship.

Each is a handler of ``rules.apply``: a pure function from the state and an
event to the new state, raising ``RegisterError`` with the rule in plain words.
They live apart from the civil-status rules only to keep each module short.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from openpesel.errors import RegisterError
from openpesel.registry import events as ev
from openpesel.registry.state import Document, PersonState, Residence, Stay
from openpesel.registry.types import Handler


def residence_registered(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.ResidenceRegistered", e.payload)
    here = Residence(p.teryt, p.address, e.effective_date, p.until)
    if p.residence is ev.ResidenceKind.PERMANENT:
        if s.permanent_residence is not None:
            raise RegisterError(
                f"{s.pesel} already has a permanent residence; deregister it first.")
        return replace(s, permanent_residence=here)
    if s.temporary_residence is not None:
        raise RegisterError(f"{s.pesel} already has a temporary residence; deregister it first.")
    if p.until is not None and p.until <= e.effective_date:
        raise RegisterError("A temporary residence must end after it begins.")
    return replace(s, temporary_residence=here)


def residence_deregistered(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.ResidenceDeregistered", e.payload)
    if p.residence is ev.ResidenceKind.PERMANENT:
        if s.permanent_residence is None:
            raise RegisterError(f"{s.pesel} has no permanent residence to deregister.")
        return replace(s, permanent_residence=None)
    if s.temporary_residence is None:
        raise RegisterError(f"{s.pesel} has no temporary residence to deregister.")
    return replace(s, temporary_residence=None)


def abroad_began(s: PersonState, e: ev.Event) -> PersonState:
    if s.abroad is not None:
        raise RegisterError(f"{s.pesel} is already recorded as staying abroad.")
    p = cast("ev.StayAbroadBegan", e.payload)
    return replace(s, abroad=Stay(p.country, e.effective_date))


def abroad_ended(s: PersonState, e: ev.Event) -> PersonState:
    if s.abroad is None:
        raise RegisterError(f"{s.pesel} is not recorded as staying abroad.")
    return replace(s, abroad=None)


def with_documents(s: PersonState, field: str, docs: tuple[Document, ...]) -> PersonState:
    return replace(s, id_cards=docs) if field == "id_cards" else replace(s, passports=docs)


def issued(field: str) -> Handler:
    def issue(s: PersonState, e: ev.Event) -> PersonState:
        p = cast("ev.IdCardIssued", e.payload)
        held: tuple[Document, ...] = getattr(s, field)
        if any(d.number == p.number for d in held):
            raise RegisterError(f"Document {p.number} is already recorded for {s.pesel}.")
        if p.valid_until <= e.effective_date:
            raise RegisterError("A document must be valid after the day it is issued.")
        return with_documents(s, field, (*held, Document(p.number, e.effective_date,
                                                          p.valid_until)))

    return issue


def invalidated(field: str) -> Handler:
    def invalidate(s: PersonState, e: ev.Event) -> PersonState:
        p = cast("ev.DocumentInvalidated", e.payload)
        held: tuple[Document, ...] = getattr(s, field)
        match = [d for d in held if d.number == p.number and d.invalidated is None]
        if not match:
            raise RegisterError(f"{s.pesel} holds no valid document {p.number}.")
        done = replace(match[0], invalidated=e.effective_date, reason=p.reason)
        return with_documents(s, field, tuple(done if d is match[0] else d for d in held))

    return invalidate


def citizenship_acquired(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.Citizenship", e.payload)
    if p.country in s.citizenships:
        raise RegisterError(f"{s.pesel} already holds {p.country} citizenship.")
    status = None if p.country == "POL" else s.foreigner_status
    return replace(s, citizenships=(*s.citizenships, p.country), foreigner_status=status)


def citizenship_lost(s: PersonState, e: ev.Event) -> PersonState:
    p = cast("ev.Citizenship", e.payload)
    if p.country not in s.citizenships:
        raise RegisterError(f"{s.pesel} does not hold {p.country} citizenship.")
    return replace(s, citizenships=tuple(c for c in s.citizenships if c != p.country))

"""The law's checks that the event path makes beyond one person's fold.

Art. 10 for direct events and for corrections, and the rules between a child
and the parents the register holds (the fold of one person cannot see a
second person's record). Pure functions of events and states: the service
calls them while it holds the records concerned.
"""

from __future__ import annotations

import datetime
from typing import Any

from openpesel.errors import RegisterError
from openpesel.registry import events as ev
from openpesel.registry.rules import age_on
from openpesel.registry.state import PersonState

PARENT_MIN_AGE_YEARS = 12
PATERNITY_AFTER_DEATH_DAYS = 300
"""A child born up to 300 days after the husband's death is still presumed his (KRO art. 62)."""


def check_authority(kind: ev.Kind, authority: ev.Authority) -> None:
    """Art. 10: only the offices the law names may record a kind of event."""
    if authority not in ev.AUTHORS[kind]:
        allowed = ", ".join(sorted(a.value for a in ev.AUTHORS[kind]))
        raise RegisterError(
            f"A {authority.value} may not record {kind.value}; only {allowed} may.")


def check_corrector(authority: ev.Authority, kind: ev.Kind) -> None:
    """Art. 10 for corrections: the office entitled to record the kind, or the keeper."""
    if not ev.may_correct(authority, kind):
        allowed = ", ".join(sorted(a.value for a in ev.AUTHORS[kind] | ev.CORRECTORS))
        raise RegisterError(
            f"A {authority.value} may not correct a {kind.value} entry; only {allowed} may.")


def check_correction(seq: int | None, fix: ev.Corrected, log: list[ev.Event],
                     authority: ev.Authority) -> int:
    """The event a correction supersedes: in this record, not itself a correction, and
    one the correcting office may correct; a replacement must be a valid payload of it."""
    target = next((e for e in log if e.seq == seq), None)
    if target is None:
        raise RegisterError(f"Event {seq} is not in this person's record.")
    if target.kind is ev.Kind.CORRECTED:
        raise RegisterError("Correct the original event, not a correction.")
    check_corrector(authority, target.kind)
    if fix.replacement is not None:
        ev.parse_payload(target.kind, fix.replacement)
    return target.seq


def check_parent(role: str, parent: PersonState, born: datetime.date) -> None:
    """A parent the register holds must be old enough, and alive (or recently dead) then."""
    if age_on(parent.birth_date, born) < PARENT_MIN_AGE_YEARS:
        raise RegisterError(
            f"The {role} ({parent.pesel}, born {parent.birth_date}) cannot be the parent of a "
            f"child born {born}: a parent is at least {PARENT_MIN_AGE_YEARS} years older.")
    if role == "mother" and parent.death_date is not None and parent.death_date < born:
        raise RegisterError(
            f"The mother ({parent.pesel}) died on {parent.death_date}, before {born}.")
    if (role == "father" and parent.death_date is not None
            and (born - parent.death_date).days > PATERNITY_AFTER_DEATH_DAYS):
        raise RegisterError(
            f"The father ({parent.pesel}) died on {parent.death_date}, more than "
            f"{PATERNITY_AFTER_DEATH_DAYS} days before {born} (KRO art. 62).")


def parent_fields(parents: list[tuple[str, PersonState]]) -> dict[str, Any]:
    """Parents given by PESEL become their stable ids and their names at the time."""
    fields: dict[str, Any] = {}
    for role, parent in parents:
        fields |= {f"{role}_pesel": None, f"{role}_id": parent.person_id,
                   f"{role}_first_name": parent.first_names[0],
                   f"{role}_family_name": parent.family_name}
    return fields

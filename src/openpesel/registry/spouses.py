"""What one spouse's event writes on the other's record: a marriage, divorce or annulment
mirrored, a death's ``spouse_died``, and that ``spouse_died`` withdrawn with the death.

Kept beside ``service.py``, which appends the events these functions make, so the
write path reads as "record, then its consequences".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from openpesel.registry import events as ev
from openpesel.registry.ports import RegisterSession
from openpesel.registry.state import PersonState

MIRRORED = frozenset({ev.Kind.MARRIED, ev.Kind.DIVORCED, ev.Kind.MARRIAGE_ANNULLED})
"""Kinds whose event is mirrored on the other spouse's record."""


def widowed_by(kind: ev.Kind, state: PersonState, log: list[ev.Event], supersedes: int | None,
               payload: ev.Payload) -> uuid.UUID | None:
    """The spouse whose record a death, or the withdrawal of a death, changes too."""
    if kind is ev.Kind.DIED:
        return state.spouse_id
    withdrawn = isinstance(payload, ev.Corrected) and payload.replacement is None
    if withdrawn and any(e.seq == supersedes and e.kind is ev.Kind.DIED for e in log):
        return state.spouse_id
    return None


def mirrored(event: ev.Event, spouse_id: uuid.UUID, me: PersonState) -> ev.Event:
    """A marriage, divorce or annulment as it stands on the other spouse's record."""
    update: dict[str, Any] = {"spouse_id": me.person_id, "family_name": None}
    if event.kind is ev.Kind.MARRIED:
        update |= {"spouse_first_name": me.first_names[0], "spouse_family_name": me.family_name}
    return replace(event, person_id=spouse_id, payload=event.payload.model_copy(update=update))


def widow(death: ev.Event, spouse_id: uuid.UUID) -> ev.Event:
    """The ``spouse_died`` a death writes on the surviving spouse's record."""
    return replace(death, person_id=spouse_id, kind=ev.Kind.SPOUSE_DIED,
                   payload=ev.SpouseDied(spouse_id=death.person_id))


def unwiden(s: RegisterSession, append: Callable[[ev.Event], int],
            state_of: Callable[[uuid.UUID], PersonState], spouse_id: uuid.UUID,
            person_id: uuid.UUID, log: list[ev.Event], died_seq: int, fix: ev.Event
            ) -> list[int]:
    """A death withdrawn in error withdraws the spouse's ``spouse_died`` it wrote.

    The death and its mirror were written in one transaction, so the mirror is
    the spouse's ``spouse_died`` naming this person, recorded at the same moment. If the
    spouse has died since, married to this person again, this person is now the one
    widowed, on the date of that death.
    """
    died = next(e for e in log if e.seq == died_seq)
    theirs = s.events_for(spouse_id)
    fixed = {e.supersedes for e in theirs if e.kind is ev.Kind.CORRECTED}
    mirror = next((e for e in theirs if e.kind is ev.Kind.SPOUSE_DIED
                   and e.recorded_at == died.recorded_at and e.seq not in fixed
                   and cast("ev.SpouseDied", e.payload).spouse_id == person_id), None)
    if mirror is None:
        return []
    undo = ev.Corrected(reason=cast("ev.Corrected", fix.payload).reason)
    seqs = [append(replace(fix, person_id=spouse_id, payload=undo,
                           effective_date=mirror.effective_date, supersedes=mirror.seq))]
    spouse = state_of(spouse_id)
    if spouse.death_date is not None and spouse.spouse_id == person_id:
        seqs.append(append(replace(
            fix, kind=ev.Kind.SPOUSE_DIED, payload=ev.SpouseDied(spouse_id=spouse_id),
            effective_date=spouse.death_date, supersedes=None)))
    return seqs

"""Reads of the past: the links of an as-of record come from the same fold as the record."""

from __future__ import annotations

import datetime
import uuid

from openpesel.registry.history import fold
from openpesel.registry.kin import Relative, links_as_of, relatives
from openpesel.registry.ports import RegisterSession
from openpesel.registry.state import PersonState


def links_then(s: RegisterSession, state: PersonState, as_of: datetime.date | None,
                known_at: datetime.datetime | None
                ) -> tuple[list[tuple[str, uuid.UUID]], dict[uuid.UUID, Relative]]:
    """Links from the same bitemporal fold as the record: each relative folded too.

    Candidates are the record's own parents and spouse then, and everyone
    who is, or in some version of their record was, its child; a relative
    not yet in the register then, or not related then, is no link.
    """
    children = {o for r, o in s.linked(state.person_id) if r == "child"}
    children |= set(s.past_children(state.person_id))
    folded: dict[uuid.UUID, PersonState] = {}
    for other in sorted(children | {o for _, o in relatives(state)}):
        then = fold(s.events_for(other), as_of, known_at)
        if then is not None:
            folded[other] = then
    links = links_as_of(state, folded, children)
    return links, {o: Relative.of_state(folded[o]) for _, o in links}

"""Reads of a record with its relatives: now, in one statement, and in the past, where
the links come from the same fold as the record."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

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


Shown = tuple[dict[str, Any] | None, list[tuple[str, Relative]]]
"""A record (None: not in the register then) and its (relation, relative) links."""


def record_now(s: RegisterSession, pesel: str) -> Shown | None:
    """The current record of whoever holds or held ``pesel``, and their relatives, read in
    one statement (``RegisterSession.current``); None if no one did."""
    current = s.current(pesel)
    if current is None:
        return None
    return current.record, [(relation, relative) for relation, _, relative in current.links]


def record_then(s: RegisterSession, person_id: uuid.UUID, as_of: datetime.date | None,
                known_at: datetime.datetime | None) -> Shown:
    """The record as of ``as_of`` as known at ``known_at``, and its relatives then."""
    state = fold(s.events_for(person_id), as_of, known_at)
    if state is None:
        return None, []
    links, others = links_then(s, state, as_of, known_at)
    return state.to_json(), [(relation, others[o]) for relation, o in links if o in others]

"""The shapes of the projections, as pure functions of a person's state.

The event path (``storage/projections.py``), a rebuild and the bulk loader
all write the rows these functions give, so a projection can only ever
disagree with the fold if the fold itself changes. Which rows changed
between two states is a set difference of what these return; the links
are ``kin.relatives``.
"""

from __future__ import annotations

from typing import Any

from openpesel.registry.names import tokens
from openpesel.registry.state import PersonState, Reservation

PERSON_FIELDS = ("person_id", "pesel", "family_name", "first_names", "birth_date", "sex",
                 "teryt", "alive", "civil_status", "last_seq", "record")
"""The columns of a ``persons`` row, in the order ``person_row`` gives them."""


def person_row(state: PersonState) -> tuple[Any, ...]:
    """The current record's row: its searchable columns and the whole record as JSON."""
    home = state.permanent_residence or state.temporary_residence
    return (state.person_id, state.pesel, state.family_name, " ".join(state.first_names),
            state.birth_date, state.sex.value, home.teryt if home else None, state.alive,
            state.civil_status.value, state.last_seq, state.to_json())


def name_rows(state: PersonState | None) -> set[tuple[str, str]]:
    """(name, role) search keys of a person: every name they carry or carried.

    >>> name_rows(None)
    set()
    """
    if state is None:
        return set()
    family = set(tokens(state.family_name))
    names = {(n, "family") for n in family}
    names |= {(n, "first") for n in tokens(" ".join(state.first_names))}
    # A maiden name still finds its bearer, ranked as a name no longer carried.
    names |= {(n, "former") for n in tokens(state.family_name_at_birth) if n not in family}
    for former in state.former_names:
        names |= {(n, "former") for n in tokens(former.family_name + " "
                                                + " ".join(former.first_names))}
    return names


def held_reservation(state: PersonState | None) -> Reservation | None:
    """The reservation a ``reservations`` row holds: only one of the number held now."""
    r = None if state is None else state.reservation
    return r if r is not None and state is not None and r.pesel == state.pesel else None

"""Who is whose relative, as a fold says: the links of a record, for any date.

A record's own fold names its parents and its spouse. Its children are named
by *their* records, so a read of a parent must fold each child too: a child
who was not yet born on the date asked for, or whose record named someone
else as parent then (before an adoption, or before a correction), is no link
of that parent's on that date. The register keeps, beside the current links,
every parent any version of a record ever named (``named_parents``), so the
children of a past date can always be found and then folded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openpesel.registry import events as ev
from openpesel.registry.state import PersonState

Link = tuple[str, uuid.UUID]

REWRITES_PARENTS = frozenset({ev.Kind.ADOPTED, ev.Kind.CORRECTED})
"""Kinds after which a record may name other parents than its birth event did."""


def relatives(state: PersonState | None) -> set[Link]:
    """The links a record states itself: its parents and its spouse.

    >>> relatives(None)
    set()
    """
    if state is None:
        return set()
    links = {("mother", state.mother.person_id if state.mother else None),
             ("father", state.father.person_id if state.father else None),
             ("spouse", state.spouse_id)}
    return {(r, o) for r, o in links if o is not None}


def is_child_of(child: PersonState, parent_id: uuid.UUID) -> bool:
    return any(p is not None and p.person_id == parent_id for p in (child.mother, child.father))


def named_parents(log: Iterable[ev.Event]) -> set[uuid.UUID]:
    """Every person any event of this log names as a parent, corrections' versions included.

    A superset of the parents of every past version of the record: the reads
    that use it fold each candidate, so naming one too many costs a fold,
    never a wrong link.
    """
    named: set[uuid.UUID] = set()
    for e in log:
        versions: list[object] = [e.payload]
        if isinstance(e.payload, ev.Corrected) and e.payload.replacement is not None:
            versions.append(e.payload.replacement)
        for version in versions:
            for role in ("mother_id", "father_id"):
                value = (version.get(role) if isinstance(version, dict)
                         else getattr(version, role, None))
                if value is not None:
                    named.add(uuid.UUID(str(value)))
    return named


def links_as_of(state: PersonState, folded: Mapping[uuid.UUID, PersonState],
                children: Iterable[uuid.UUID]) -> list[Link]:
    """The record's links, each one standing in the folds of both people.

    ``folded`` holds the other people's states folded for the same date and
    moment as ``state``; anyone missing from it was not in the register then.
    """
    own = sorted((r, o) for r, o in relatives(state) if o in folded)
    kids = sorted(c for c in set(children)
                  if c in folded and is_child_of(folded[c], state.person_id))
    return [*own, *(("child", c) for c in kids)]


@dataclass(frozen=True)
class Relative:
    """What a record shows of a linked person: their number and name, as of the same read."""

    pesel: str
    name: str

    @classmethod
    def of_state(cls, state: PersonState) -> Relative:
        return cls(state.pesel, " ".join([*state.first_names[:1], state.family_name]))

    @classmethod
    def of_record(cls, record: Mapping[str, Any]) -> Relative:
        """From a projected record (``PersonState.to_json``), as current reads hold it."""
        return cls(record["pesel"], " ".join([*record["first_names"][:1],
                                              record["family_name"]]))

"""The proof a bulk-loaded chunk is right: a sample folded with the register's own code.

``population.rows`` writes the projections from templates, not through the
fold. Before a chunk commits, a few residents of every shape (a renamed wife,
her husband, a child, a foreigner, a year-only birth date) have their events
parsed with ``events.parse_payload``, folded with ``history.fold``, and
compared with the rows about to be written (``registry.projection``'s
``person_row`` and ``name_rows``, ``kin.relatives``): the rows the event path
writes. A mismatch aborts the chunk.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable

from openpesel.errors import RegisterError
from openpesel.population.synth import Residents
from openpesel.registry import events as ev
from openpesel.registry.history import fold
from openpesel.registry.kin import relatives
from openpesel.registry.projection import name_rows, person_row
from openpesel.registry.rules import age_on
from openpesel.storage.bulk_writer import ChunkRows

SAMPLE = 12
"""Residents per chunk whose rows are proved equal to the fold before the chunk commits."""


class BulkLoadError(RegisterError):
    """The load cannot go on as asked (a seed reused with another size, a template fault)."""


def prove_sample(people: Residents, rows: ChunkRows, indices: Iterable[int]) -> None:
    """Fold the sample's events with the register's own code and compare with the rows.

    Every payload goes through ``events.parse_payload`` and ``history.fold``
    applies the register's rules, so a template that drifts from the law (or
    from ``PersonState.to_json``) stops the load before anything is committed.
    """
    hexes = {people.person_id[i].hex: i for i in indices}
    by_person: dict[int, list[ev.Event]] = {i: [] for i in hexes.values()}
    moment = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    for seq, pid, kind, payload, effective, _rec, authority, doc in rows.events:
        if pid in hexes:
            k = ev.Kind(kind)
            parsed = ev.parse_payload(k, json.loads(payload))
            if json.dumps(parsed.model_dump(mode="json", exclude_none=True)) != payload:
                raise BulkLoadError(f"A {kind} payload is not in the form Register stores it: "
                                    f"{payload}")
            by_person[hexes[pid]].append(ev.Event(
                people.person_id[hexes[pid]], k, parsed, datetime.date.fromisoformat(effective),
                ev.Authority(authority), doc, moment, seq=seq))
    person_rows = {r[0]: r for r in rows.persons if r[0] in hexes}
    their_names: dict[str, set[tuple[str, str]]] = {h: set() for h in hexes}
    their_links: dict[str, set[tuple[str, uuid.UUID]]] = {h: set() for h in hexes}
    for n, p, r, *keys in rows.names:
        if p in hexes:
            their_names[p].add((n, r))
            # The search columns must be the bearer's, as the migration's trigger copies them.
            if tuple(keys) != (person_rows[p][5], person_rows[p][4], person_rows[p][6]):
                raise BulkLoadError(f"Chunk {people.index}: the name keys of {p} carry "
                                    "another sex, birth date or place than the person.")
    for p, r, o in rows.links:
        if p in hexes:
            their_links[p].add((r, uuid.UUID(o)))
    for i, log in by_person.items():
        state = fold(log)
        if state is None:
            raise BulkLoadError(f"Resident {i} of chunk {people.index} folds to nothing.")
        hexed = people.person_id[i].hex
        row, fold_row = person_rows[hexed], person_row(state)
        mine, theirs = row[10], json.dumps(fold_row[10])
        if mine != theirs:
            raise BulkLoadError(f"The record template differs from the fold for resident {i} of "
                                f"chunk {people.index}: {mine} != {theirs}")
        if their_names[hexed] != name_rows(state):
            raise BulkLoadError(f"Name keys differ from the fold for resident {i}.")
        if their_links[hexed] != relatives(state):
            raise BulkLoadError(f"Links differ from the fold for resident {i}.")
        # The columns between the id and the record; the template writes dates as text.
        if row[1:10] != (*fold_row[1:4], str(fold_row[4]), *fold_row[5:10]):
            raise BulkLoadError(f"The persons row differs from the fold for resident {i}.")
        for parent in (state.mother, state.father):
            if parent is not None and parent.person_id is not None:
                j = people.person_id.index(parent.person_id)
                if age_on(datetime.date.fromordinal(int(people.birth[j])), state.birth_date) < 12:
                    raise BulkLoadError(f"A parent of resident {i} is under 12 years older.")


def sample(people: Residents) -> list[int]:
    """A few of every shape: a renamed wife, her husband, a child, a foreigner, a year-only."""
    picks: list[int] = []
    shapes = [
        (people.married_name[i] is not None for i in range(len(people))),
        (bool(people.spouse[i] >= 0 and not people.female[i]) for i in range(len(people))),
        (bool(people.mother[i] >= 0) for i in range(len(people))),
        (bool(people.foreign[i]) for i in range(len(people))),
        (bool(people.year_only[i]) for i in range(len(people))),
        (True for _ in range(len(people))),
    ]
    for shape in shapes:
        picks += [i for i, hit in enumerate(shape) if hit][:2]
    return sorted(set(picks))[:SAMPLE]


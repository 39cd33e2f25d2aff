"""A bulk-loaded chunk's rows: the events, numbers and projections the event path would write.

The projections are written from templates rather than by folding every
person and serialising ``PersonState.to_json``, which costs several times as
much (``docs/bulk-load.md`` says how it was measured). The templates
write exactly what ``json.dumps`` would (same key order, separators and
escapes), and ``population.proof`` folds a sample of every chunk with the
register's own code and compares, so a template that drifts from the law or
from ``PersonState.to_json`` stops the load before anything commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from operator import itemgetter

import numpy as np

from openpesel.population.allocate import iso
from openpesel.population.synth import RESIDENCE_AFTER_BIRTH_DAYS, IntArray, Residents
from openpesel.registry.names import tokens
from openpesel.storage.bulk_writer import ChunkRows


@cache
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


@cache
def _q(text: str) -> str:
    """A JSON string, as ``json.dumps`` writes it (names and places repeat: cached)."""
    return json.dumps(text)


def residence_days(people: Residents) -> IntArray:
    """Natives are registered a fortnight after birth, foreigners the day after arrival
    (never after ``as_of``, never before the registration itself)."""
    after = np.where(people.foreign, 1, RESIDENCE_AFTER_BIRTH_DAYS)
    days: IntArray = np.maximum(people.registered, np.minimum(people.registered + after,
                                                              people.as_of.toordinal()))
    return days


# The JSON below is written from templates, not json.dumps of dicts: a third of the
# cost. The text is exactly json.dumps's (same key order, separators and escapes);
# proof.prove_sample() checks that on every chunk, and the tests compare it byte for byte
# with what Register.rebuild_projections() writes.


class _Lists:
    """A chunk's columns as Python lists: indexing NumPy scalars per field costs more
    than the rest of the row building."""

    def __init__(self, people: Residents) -> None:
        n = len(people)
        self.n = n
        self.ids = [str(p) for p in people.person_id]
        self.hexes = [p.hex for p in people.person_id]
        self.first = people.first_name
        self.at_birth = people.family_at_birth
        self.taken = people.married_name
        self.family = [t or b for t, b in zip(people.married_name, people.family_at_birth,
                                              strict=True)]
        self.sex = ["F" if f else "M" for f in people.female.tolist()]
        self.foreign: list[bool] = people.foreign.tolist()
        self.ukr: list[bool] = people.ukr.tolist()
        self.year_only: list[bool] = people.year_only.tolist()
        self.born = [iso(d) for d in people.birth.tolist()]
        self.registered = [iso(d) for d in people.registered.tolist()]
        self.moved_in = [iso(d) for d in residence_days(people).tolist()]
        self.wedding = [iso(d) if d >= 0 else "" for d in people.wedding.tolist()]
        self.mother: list[int] = people.mother.tolist()
        self.father: list[int] = people.father.tolist()
        self.spouse: list[int] = people.spouse.tolist()
        self.place = people.birth_place
        homes: list[int] = people.home.tolist()
        self.teryt = [people.teryt[h] for h in homes]
        self.address = [json.dumps(people.address[h]) for h in homes]


def _parent_fields(c: _Lists, j: int, role: str) -> str:
    return (f'"{role}_id": "{c.ids[j]}", "{role}_first_name": {_q(c.first[j])}, '
            f'"{role}_family_name": {_q(c.family[j])}, ')


def _parent_record(c: _Lists, j: int) -> str:
    if j < 0:
        return "null"
    return (f'{{"person_id": "{c.ids[j]}", "first_name": {_q(c.first[j])}, '
            f'"family_name": {_q(c.family[j])}}}')


def _creation_payload(c: _Lists, i: int, pesel: str) -> str:
    """The payload ``Register._create`` stores: parents resolved to ids and names, the
    model's field order, ``None`` left out."""
    parents = (_parent_fields(c, c.mother[i], "mother") + _parent_fields(c, c.father[i], "father")
               if c.mother[i] >= 0 else "")
    country = "UKR" if c.foreign[i] else "POL"
    status = ""
    if c.foreign[i]:
        status = ', "status": "UKR"' if c.ukr[i] else ', "status": "permanent_residence"'
    return (f'{{{parents}"first_names": [{_q(c.first[i])}], '
            f'"family_name": {_q(c.at_birth[i])}, "sex": "{c.sex[i]}", '
            f'"birth_date": "{c.born[i]}", '
            f'"birth_date_precision": "{"year" if c.year_only[i] else "day"}", '
            f'"birth_place": {_q(c.place[i])}, "birth_country": "{country}", '
            f'"citizenship": "{country}", "pesel": "{pesel}"{status}}}')


def build_rows(people: Residents, pesels: Sequence[str], seqs: Sequence[int], recorded: str,
               document: str) -> ChunkRows:
    """All rows of a chunk (pure). ``seqs`` must hold ``event_count(people)`` numbers."""
    rows = ChunkRows()
    c = _Lists(people)
    n = c.n
    seq_iter = iter(seqs)
    creation = [next(seq_iter) for _ in range(n)]
    residence = [next(seq_iter) for _ in range(n)]
    married: dict[int, int] = {}
    wives = [i for i in range(n) if c.sex[i] == "F" and c.spouse[i] >= 0]
    for w in wives:
        married[w] = next(seq_iter)
        married[c.spouse[w]] = next(seq_iter)

    hexes, ids = c.hexes, c.ids
    events = rows.events
    for i in range(n):
        foreign = c.foreign[i]
        events.append((creation[i], hexes[i], "foreigner_registered" if foreign else "birth",
                       _creation_payload(c, i, pesels[i]), c.registered[i], recorded,
                       "GMINA" if foreign else "USC", f"{document}/c/{i}"))
    rows.assignments = list(zip(pesels, hexes, creation, strict=True))
    for i in range(n):
        kind = "temporary" if c.foreign[i] else "permanent"
        events.append((
            residence[i], hexes[i], "residence_registered",
            f'{{"residence": "{kind}", "teryt": "{c.teryt[i]}", "address": {c.address[i]}}}',
            c.moved_in[i], recorded, "GMINA", f"{document}/r/{i}"))
    for w in wives:
        h = c.spouse[w]
        taken = c.taken[w]
        mine = (f'{{"spouse_id": "{ids[h]}", "spouse_first_name": {_q(c.first[h])}, '
                f'"spouse_family_name": {_q(c.family[h])}'
                + (f', "family_name": {_q(taken)}}}' if taken is not None else "}"))
        theirs = (f'{{"spouse_id": "{ids[w]}", "spouse_first_name": {_q(c.first[w])}, '
                  f'"spouse_family_name": {_q(c.at_birth[w])}}}')
        events.append((married[w], hexes[w], "married", mine, c.wedding[w], recorded, "USC",
                       f"{document}/m/{w}"))
        events.append((married[h], hexes[h], "married", theirs, c.wedding[w], recorded, "USC",
                       f"{document}/m/{w}"))

    names_out, links_out, vocabulary = rows.names, rows.links, rows.vocabulary
    for i in range(n):
        first, at_birth, family = c.first[i], c.at_birth[i], c.family[i]
        spouse, foreign = c.spouse[i], c.foreign[i]
        last_seq = max(creation[i], residence[i], married.get(i, 0))
        home = (f'{{"teryt": "{c.teryt[i]}", "address": {c.address[i]}, '
                f'"since": "{c.moved_in[i]}", "until": null}}')
        renamed = c.taken[i] is not None
        former = (f'[{{"first_names": [{_q(first)}], "family_name": {_q(at_birth)}, '
                  f'"until": "{c.wedding[i]}"}}]') if renamed else "[]"
        country = "UKR" if foreign else "POL"
        status = ("null" if not foreign else '"UKR"' if c.ukr[i] else '"permanent_residence"')
        civil = "married" if spouse >= 0 else "single"
        record = (
            f'{{"person_id": "{ids[i]}", "pesel": "{pesels[i]}", "first_names": [{_q(first)}], '
            f'"family_name": {_q(family)}, "family_name_at_birth": {_q(at_birth)}, '
            f'"sex": "{c.sex[i]}", "birth_date": "{c.born[i]}", '
            f'"birth_date_precision": "{"year" if c.year_only[i] else "day"}", '
            f'"birth_place": {_q(c.place[i])}, "birth_country": "{country}", '
            f'"registered_on": "{c.registered[i]}", '
            f'"mother": {_parent_record(c, c.mother[i])}, '
            f'"father": {_parent_record(c, c.father[i])}, '
            f'"citizenships": ["{country}"], "foreigner_status": {status}, '
            f'"civil_status": "{civil}", '
            f'"spouse_id": {f"{chr(34)}{ids[spouse]}{chr(34)}" if spouse >= 0 else "null"}, '
            f'"former_names": {former}, "former_pesels": [], '
            f'"permanent_residence": {"null" if foreign else home}, '
            f'"temporary_residence": {home if foreign else "null"}, "abroad": null, '
            '"id_cards": [], "passports": [], "death_date": null, "fingers": [], '
            '"missing_fingers": [], "reservation": null, "last_withdrawal": null, '
            '"duplicate_of": null, "duplicates": [], '
            f'"last_seq": {last_seq}, "events": {3 if i in married else 2}}}')
        rows.persons.append((hexes[i], pesels[i], family, first, c.born[i], c.sex[i],
                             c.teryt[i], True, civil, last_seq, record))
        names = {(t, "family") for t in _tokens(family)}
        names |= {(t, "first") for t in _tokens(first)}
        if renamed:
            names |= {(t, "former") for t in _tokens(at_birth + " " + first)}
        for name, role in sorted(names):
            names_out.append((name, hexes[i], role, c.sex[i], c.born[i], c.teryt[i]))
            vocabulary.add(name)
        for relation, other in (("father", c.father[i]), ("mother", c.mother[i]),
                                ("spouse", spouse)):
            if other >= 0:
                links_out.append((hexes[i], relation, hexes[other]))
    # Insert in the order of the indexes that would otherwise be written at random: by
    # number (which also orders by birth date within a century). Ids are in load order.
    rows.persons.sort(key=itemgetter(1))
    rows.assignments.sort(key=itemgetter(0))
    return rows


def event_count(people: Residents) -> int:
    """How many events ``build_rows`` writes: a creation and a residence each, and a
    marriage on both spouses' records."""
    return 2 * len(people) + 2 * int(((people.spouse >= 0) & people.female).sum())


"""Finding people by name, tolerant of missing diacritics and typos.

Each query word is expanded, through the ``name_variants`` index, to the
register's names within its edit budget; people who carry a match for every
word are then narrowed by birth date, sex and place in SQL and ranked by
how closely their names match (exact beats one typo beats two).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from openpesel.errors import InvalidEvent
from openpesel.number import is_valid, validate
from openpesel.registry.names import max_edits, tokens
from openpesel.storage.store import PersonFilter, Session

FORMER_NAME_WEIGHT = 0.9
"""A name someone no longer carries still finds them, but after those who carry it."""

# Letters a foreign or hurried clerk swaps for one another.
_SOUND = str.maketrans({"y": "i", "v": "w", "q": "k", "x": "s"})


@dataclass(frozen=True)
class Query:
    text: str = ""
    born: datetime.date | None = None
    year: int | None = None
    sex: str | None = None
    teryt: str | None = None
    limit: int = 20


@dataclass(frozen=True)
class Hit:
    pesel: str
    first_names: str
    family_name: str
    birth_date: datetime.date
    sex: str
    teryt: str | None
    alive: bool
    score: float


def search(s: Session, q: Query) -> list[Hit]:
    if q.teryt is not None and not re.fullmatch(r"\d{2,7}", q.teryt):
        raise InvalidEvent("A place is given as a TERYT code prefix of 2 to 7 digits.")
    words = tokens(q.text)
    born_from = born_to = q.born
    if q.year is not None:
        born_from, born_to = datetime.date(q.year, 1, 1), datetime.date(q.year, 12, 31)
    filters = PersonFilter(born_from, born_to, q.sex, q.teryt)
    if not words and is_valid(q.text):
        holder = s.holder(validate(q.text))
        matches = [] if holder is None else s.people_by_id([holder[0]], filters)
    elif not words:
        raise InvalidEvent("Search needs a name or a PESEL.")
    else:
        vocabulary = [_closeness(s, word) for word in words]
        if not all(vocabulary):
            return []
        matches = s.people_by_names(vocabulary, FORMER_NAME_WEIGHT, filters, q.limit)
    return [Hit(r.pesel, r.first_names, r.family_name, r.birth_date, r.sex, r.teryt, r.alive,
                round(float(r.score), 3)) for r in matches]


def _closeness(s: Session, word: str) -> dict[str, float]:
    """The register's names within the word's edit budget, each with how close it is."""
    closeness: dict[str, float] = {}
    for name in s.names_like(word):
        distance = Levenshtein.distance(word, name)
        if distance <= max_edits(word):
            # Half of the score is on sound-alike spellings, so "Kowalsky" is
            # closer to "Kowalski" than to "Kowalska", though both are one edit off.
            heard = Levenshtein.distance(word.translate(_SOUND), name.translate(_SOUND))
            closeness[name] = 1.0 - (distance + heard) / 2 / (max(len(word), len(name)) + 1)
    return closeness

"""Finding people by name, tolerant of missing diacritics and typos.

Each query word is expanded, through the ``name_variants`` index, to the
register's names within its edit budget, each with how close it is. A
person's score is the mean over the words of the closest name they carry for
it (a name no longer carried counts ``FORMER_NAME_WEIGHT`` of that). Hits are
ranked by score, then birth date, then person id: an order the name index
(``ports.NameIndex``, ``storage/search_index.py``) can produce without sorting,
so that a query costs about what its page costs, not what its names' bearers
cost.

Two plans give that same ranking:

- **gather**, when one word's names (or the TERYT prefix's residents) number
  fewer than ``GATHER_CAP`` (``PLACE_CAP``) under the filters: take all of
  them, find for each the best name it carries for every word (index probes,
  best name first, stopping at the first carried), and rank in Python. Rare
  names, an exact birth date, a small municipality, a sex no bearer has.
- **walk**, when every word is common: visit the combinations of one name per
  word in falling score, and for each walk the rarest of its names in index
  order, checking the others, until the page is full. "Anna Nowak" stops after
  the first combination and a few hundred index entries, among millions of
  bearers.

Neither plan bounds a combination of names that are each common but rarely
carried together: the walk then passes over the rarer name's bearers at
length (one probe each on SQLite; PostgreSQL merges the two ranges, which is
cheaper). With real Polish names, whose surnames are mostly rare, that is
uncommon; with the synthetic register's 97 surnames it is "Kornelia
Żukowska". A pair index (first name, family name) would bound it.
"""

from __future__ import annotations

import datetime
import heapq
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from rapidfuzz.distance import Levenshtein

from openpesel.errors import InvalidEvent
from openpesel.number import Sex, is_valid, validate
from openpesel.registry.names import max_edits, tokens
from openpesel.registry.ports import (
    EARLIEST,
    LATEST,
    Key,
    NameIndex,
    Narrowing,
    PersonFilter,
    SearchSession,
)

FORMER_NAME_WEIGHT = 0.9
"""A name someone no longer carries still finds them, but after those who carry it."""

GATHER_CAP = 300
"""Below this many bearers (of a word, under the filters) scoring them all is cheaper
than walking. No count reads further than this, so counting costs at most this much."""

PLACE_CAP = 5000
"""Below this many residents under a TERYT prefix, scoring all of them (about 4 µs each,
from ``ix_persons_place``) is cheaper than walking names common everywhere but rare there."""

CURRENT: tuple[str, ...] = ("family", "first")
FORMER: tuple[str, ...] = ("former",)

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


@dataclass(frozen=True, order=True)
class _Option:
    """One way to match a word: a name, in current or former roles, worth ``value``."""

    value: float
    name: str
    roles: tuple[str, ...]


Ranked = tuple[float, datetime.date, uuid.UUID]
"""(score, birth date, person id): what a hit is ranked by."""


def search(s: SearchSession, q: Query) -> list[Hit]:
    if q.teryt is not None and not re.fullmatch(r"\d{2,7}", q.teryt):
        raise InvalidEvent("A place is given as a TERYT code prefix of 2 to 7 digits.")
    words = tokens(q.text)
    born_from = born_to = q.born
    if q.year is not None:
        born_from, born_to = datetime.date(q.year, 1, 1), datetime.date(q.year, 12, 31)
    if not words and is_valid(q.text):
        holder = s.holder(validate(q.text))
        filters = PersonFilter(born_from, born_to, q.sex, q.teryt)
        matches = [] if holder is None else s.people_by_id([holder[0]], filters)
        return [_hit(r, 1.0) for r in matches]
    if not words:
        raise InvalidEvent("Search needs a name or a PESEL.")
    vocabulary = [_closeness(s, word) for word in words]
    if not all(vocabulary) or q.limit <= 0:
        return []
    where = Narrowing(
        sexes=tuple(x.value for x in Sex) if q.sex is None else (q.sex,),
        born_from=born_from or EARLIEST, born_to=born_to or LATEST, teryt=q.teryt)
    with s.name_index() as ix:
        ranked = rank(ix, vocabulary, where, q.limit)
        rows = ix.people([pid for _, _, pid in ranked])
    return [_hit(rows[pid], score) for score, _, pid in ranked if pid in rows]


def rank(ix: NameIndex, vocabulary: list[dict[str, float]], where: Narrowing,
         limit: int) -> list[Ranked]:
    """The first ``limit`` people carrying a close name for every word, best first."""
    options = [sorted((_Option(_worth(c, roles), name, roles)
                       for name, c in closeness.items() for roles in (CURRENT, FORMER)),
                      reverse=True)
               for closeness in vocabulary]
    counts = [sum(c.values()) for c in ix.count_bearers(
        [(sorted(closeness), CURRENT + FORMER) for closeness in vocabulary], where,
        GATHER_CAP)]
    fewest = min(range(len(counts)), key=counts.__getitem__)
    gathered = None
    if counts[fewest] < GATHER_CAP:
        gathered = _gathered(ix, sorted(vocabulary[fewest]), options, where, limit, GATHER_CAP)
    elif where.teryt is not None and ix.count_residents(where, PLACE_CAP) < PLACE_CAP:
        gathered = _gathered(ix, None, options, where, limit, PLACE_CAP)
    # None: more people came than were counted a moment ago (a concurrent writer); the
    # walk is right whatever their number.
    return _walked(ix, options, where, limit) if gathered is None else gathered


def _gathered(ix: NameIndex, driver: list[str] | None, options: list[list[_Option]],
              where: Narrowing, limit: int, cap: int) -> list[Ranked] | None:
    """Score everyone the driver names (or the place) bring, as ``_walked`` would rank them."""
    keys = [[(o.name, o.roles) for o in word] for word in options]
    rows = ix.gather(driver, keys, where, cap)
    if rows is None:
        return None
    ranked, scored = [], set()
    for person_id, birth_date, *best in rows:
        if None not in best and person_id not in scored:
            scored.add(person_id)
            # The sum runs as in ``_combinations``, so equal scores are equal floats.
            score = sum(options[w][i].value for w, i in enumerate(best)) / len(options)
            ranked.append((-score, birth_date, person_id))
    return [(-negative, b, p) for negative, b, p in heapq.nsmallest(limit, ranked)]


def _walked(ix: NameIndex, options: list[list[_Option]], where: Narrowing,
            limit: int) -> list[Ranked]:
    """Rank by walking one combination of names after another, best first."""
    bearers: dict[tuple[str, tuple[str, ...]], dict[str, int]] = {}
    found: list[Ranked] = []
    seen: set[uuid.UUID] = set()
    for score, group in groupby(_combinations(options), key=lambda c: c[0]):
        tier = [combination for _, combination in group]
        # The names of a tier not counted yet are counted together: one round trip.
        fresh = sorted({(o.name, o.roles) for c in tier for o in c} - bearers.keys())
        if fresh:
            bearers.update(zip(fresh, ix.count_bearers(
                [([name], roles) for name, roles in fresh], where, GATHER_CAP),
                strict=True))
        # Each list is in index order. Of the (limit - found) people still wanted, none
        # lies deeper in a list than that plus the (found) people already ranked, who
        # may be in it again: so every list is cut at ``limit``.
        lists: list[list[Key]] = []
        for combination in tier:
            for sex in where.sexes:
                sizes = [bearers[o.name, o.roles][sex] for o in combination]
                if 0 in sizes:
                    continue
                first = min(range(len(sizes)), key=sizes.__getitem__)
                others = [(o.name, o.roles) for i, o in enumerate(combination) if i != first]
                lists.append(ix.walk((combination[first].name, combination[first].roles),
                                     others, sex, where, limit))
        for birth_date, person_id in heapq.merge(*lists):
            if person_id not in seen:
                seen.add(person_id)
                found.append((score, birth_date, person_id))
                if len(found) == limit:
                    return found
    return found


def _combinations(options: list[list[_Option]]) -> Iterator[tuple[float, tuple[_Option, ...]]]:
    """Every choice of one option per word, by falling score (best-first, lazily)."""

    def score(at: tuple[int, ...]) -> float:
        return sum(options[w][i].value for w, i in enumerate(at)) / len(options)

    start = (0,) * len(options)
    frontier = [(-score(start), start)]
    queued = {start}
    while frontier:
        negative, at = heapq.heappop(frontier)
        yield -negative, tuple(options[w][i] for w, i in enumerate(at))
        for w in range(len(at)):
            if at[w] + 1 < len(options[w]):
                step = (*at[:w], at[w] + 1, *at[w + 1:])
                if step not in queued:
                    queued.add(step)
                    heapq.heappush(frontier, (-score(step), step))


def _worth(closeness: float, roles: Sequence[str]) -> float:
    return closeness * FORMER_NAME_WEIGHT if roles == FORMER else closeness


def _hit(r: Any, score: float) -> Hit:
    return Hit(r.pesel, r.first_names, r.family_name, r.birth_date, r.sex, r.teryt, r.alive,
               round(float(score), 3))


def _closeness(s: SearchSession, word: str) -> dict[str, float]:
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

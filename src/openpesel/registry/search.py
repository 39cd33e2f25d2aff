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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, islice
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
    NameKey,
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


Ranked = tuple[float, datetime.date, uuid.UUID]
"""(score, birth date, person id): what a hit is ranked by."""


@dataclass(frozen=True)
class Query:
    text: str = ""
    born: datetime.date | None = None
    year: int | None = None
    sex: str | None = None
    teryt: str | None = None
    limit: int = 20
    after: Ranked | None = None
    """The rank key of the last hit of the page before (``Hits.last``): this page's hits
    are the ``limit`` that rank after it (keyset paging, ``_walked``)."""


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


class Hits(list[Hit]):
    """A page of hits, and the rank key of its last (the next page's ``Query.after``)."""

    last: Ranked | None = None

    def skip(self, count: int) -> Hits:
        """The hits after the first ``count``: still ending with the same last hit."""
        rest = Hits(self[count:])
        rest.last = self.last if rest else None
        return rest


def search(s: SearchSession, q: Query) -> Hits:
    if q.teryt is not None and not re.fullmatch(r"\d{2,7}", q.teryt):
        raise InvalidEvent("A place is given as a TERYT code prefix of 2 to 7 digits.")
    words = tokens(q.text)
    born_from = born_to = q.born
    if q.year is not None:
        born_from, born_to = datetime.date(q.year, 1, 1), datetime.date(q.year, 12, 31)
    if not words and is_valid(q.text):
        holder = s.holder(validate(q.text))
        filters = PersonFilter(born_from, born_to, q.sex, q.teryt)
        matches = [] if holder is None or q.after else s.people_by_id([holder[0]], filters)
        return _hits([(_hit(r, 1.0), (1.0, r.birth_date, r.person_id)) for r in matches])
    if not words:
        raise InvalidEvent("Search needs a name or a PESEL.")
    vocabulary = [_closeness(s, word) for word in words]
    if not all(vocabulary) or q.limit <= 0:
        return Hits()
    where = Narrowing(
        sexes=tuple(x.value for x in Sex) if q.sex is None else (q.sex,),
        born_from=born_from or EARLIEST, born_to=born_to or LATEST, teryt=q.teryt)
    with s.name_index() as ix:
        ranked = rank(ix, vocabulary, where, q.limit, q.after)
        rows = ix.people([pid for _, _, pid in ranked])
    return _hits([(_hit(rows[key[2]], key[0]), key) for key in ranked if key[2] in rows])


def _hits(keyed: list[tuple[Hit, Ranked]]) -> Hits:
    found = Hits(hit for hit, _ in keyed)
    found.last = keyed[-1][1] if keyed else None
    return found


def rank(ix: NameIndex, vocabulary: list[dict[str, float]], where: Narrowing,
         limit: int, after: Ranked | None = None) -> list[Ranked]:
    """The first ``limit`` people carrying a close name for every word, best first
    (after the rank key ``after``)."""
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
        gathered = _gathered(ix, sorted(vocabulary[fewest]), options, where, limit, GATHER_CAP,
                             after)
    elif where.teryt is not None and ix.count_residents(where, PLACE_CAP) < PLACE_CAP:
        gathered = _gathered(ix, None, options, where, limit, PLACE_CAP, after)
    # None: more people came than were counted a moment ago (a concurrent writer); the
    # walk is right whatever their number.
    return _walked(ix, options, where, limit, after) if gathered is None else gathered


def _gathered(ix: NameIndex, driver: list[str] | None, options: list[list[_Option]],
              where: Narrowing, limit: int, cap: int,
              after: Ranked | None = None) -> list[Ranked] | None:
    """Score everyone the driver names (or the place) bring, as ``_walked`` would rank them."""
    keys = [[(o.name, o.roles) for o in word] for word in options]
    rows = ix.gather(driver, keys, where, cap)
    if rows is None:
        return None
    ranked, scored = [], set()
    start = None if after is None else (-after[0], after[1], after[2])
    for person_id, birth_date, *best in rows:
        if None not in best and person_id not in scored:
            scored.add(person_id)
            key = (-_score(options, best), birth_date, person_id)
            if start is None or key > start:
                ranked.append(key)
    return [(-negative, b, p) for negative, b, p in heapq.nsmallest(limit, ranked)]


def _walked(ix: NameIndex, options: list[list[_Option]], where: Narrowing,
            limit: int, after: Ranked | None = None) -> list[Ranked]:
    """Rank by walking one combination of names after another, best first.

    Resumed ``after`` a rank key, the walk skips the tiers that scored above it
    (pure arithmetic, no query) and starts the cursor's own tier at its (birth
    date, id). Whoever it meets there or below may have been listed already, in
    a tier it skipped: so it asks the index for each one's best names (``best``,
    a page of probes at a time) and keeps those whose best score is this tier's.
    Those it drops do not count towards the page, so its lists go on, a page of
    the index at a time, instead of stopping at ``limit``.
    """
    bearers: dict[tuple[str, tuple[str, ...]], dict[str, int]] = {}
    found: list[Ranked] = []
    seen: set[uuid.UUID] = set()
    keys = [[(o.name, o.roles) for o in word] for word in options]
    for score, group in groupby(_combinations(options), key=lambda c: c[0]):
        if after is not None and score > after[0]:
            continue
        start = after[1:] if after is not None and score == after[0] else None
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
        lists: list[Iterator[Key]] = []
        for combination in tier:
            for sex in where.sexes:
                sizes = [bearers[o.name, o.roles][sex] for o in combination]
                if 0 in sizes:
                    continue
                first = min(range(len(sizes)), key=sizes.__getitem__)
                others = [(o.name, o.roles) for i, o in enumerate(combination) if i != first]
                lists.append(_bearers(ix, (combination[first].name, combination[first].roles),
                                      others, sex, where, limit, start, after is not None))
        sightings = _first_sightings(heapq.merge(*lists), seen)
        while batch := list(islice(sightings, 1 if after is None else limit)):
            tops = None if after is None else ix.best([pid for _, pid in batch], keys)
            for birth_date, person_id in batch:
                if tops is None or _score(options, tops.get(person_id, (None,))) == score:
                    found.append((score, birth_date, person_id))
                    if len(found) == limit:
                        return found
    return found


def _bearers(ix: NameIndex, driver: NameKey, others: Sequence[NameKey], sex: str,
             where: Narrowing, limit: int, after: Key | None, more: bool) -> Iterator[Key]:
    """One combination's bearers in index order: ``limit`` of them, or (``more``) a page
    of the index after another until they run out."""
    while True:
        page = ix.walk(driver, others, sex, where, limit, after)
        yield from page
        if not more or len(page) < limit:
            return
        after = page[-1]


def _first_sightings(keys: Iterable[Key], seen: set[uuid.UUID]) -> Iterator[Key]:
    """Each person once, where first met (``seen`` remembers them across tiers)."""
    for key in keys:
        if key[1] not in seen:
            seen.add(key[1])
            yield key


def _score(options: list[list[_Option]], at: Sequence[int | None]) -> float:
    """The score of one option per word (``at``), or -1 if a word has none.

    One function for every plan, so that equal scores are equal floats."""
    if None in at:
        return -1.0
    return sum(options[w][i].value for w, i in enumerate(at) if i is not None) / len(options)


def _combinations(options: list[list[_Option]]) -> Iterator[tuple[float, tuple[_Option, ...]]]:
    """Every choice of one option per word, by falling score (best-first, lazily)."""

    def score(at: tuple[int, ...]) -> float:
        return _score(options, at)

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

"""Vectorised synthetic residents for bulk loads: pure, seeded, chunked, no I/O.

``population.plan`` draws people one at a time and plans whole lives; that is
right for a demo of ten thousand and far too slow for 38.5 million. This
module draws the same kind of people (the same age pyramid, the same
Zipf-weighted name lists, the same TERYT-shaped addresses, 2.6 % foreigners,
most with UKR status registered 16 March - 30 April 2022) with NumPy, a chunk
at a time.

Each chunk depends only on ``(seed, chunk index, count, as_of)``: its random
stream is ``default_rng([seed, index])``, so any chunk can be regenerated on
its own. That is what makes a bulk load resumable: a loader killed half-way
regenerates exactly the chunks it has not committed yet.

Families are made inside a chunk only, where they are cheap: about 62 % of
native women marry a native man of about their age (both at least 20 at the
wedding), the wife takes her husband's name in its feminine form, and most
native children are given a married couple from the same chunk as parents
(both parents at least 20 years older, the wedding before the birth); a child
takes the father's family name and lives at the father's address.

Dates are proleptic ordinals (``datetime.date.toordinal``) in NumPy arrays;
strings are built only where the register stores strings.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from openpesel.population import data
from openpesel.population.plan import FOREIGNER_SHARE, UKR_END, UKR_START, feminine

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UKR_SHARE_OF_FOREIGNERS = 0.85
YEAR_ONLY_SHARE_OF_FOREIGNERS = 0.03
MARRIED_SHARE_OF_WOMEN = 0.62
CHILD_WITH_PARENTS_SHARE = 0.8
ADULT_DAYS = 7305
"""20 years in days, rounded up: a person this many days old has had their 20th birthday."""
PARENT_MAX_DAYS = int(42 * 365.25)
RESIDENCE_AFTER_BIRTH_DAYS = 14
FOREIGNER_FIRST_NON_UKR = datetime.date(2005, 1, 1).toordinal()


@dataclass(frozen=True)
class Residents:
    """One chunk of residents; row ``i`` of every array is the same person.

    ``mother``, ``father`` and ``spouse`` index rows of the same chunk (-1: none).
    ``home`` is the row whose address this person registers (their own, or
    their father's); ``teryt``/``address``/``place`` are indexed by row too.
    """

    seed: int
    index: int
    as_of: datetime.date
    person_id: list[uuid.UUID]
    female: BoolArray
    birth: IntArray
    year_only: BoolArray
    foreign: BoolArray
    ukr: BoolArray
    registered: IntArray
    first_name: list[str]
    family_at_birth: list[str]
    married_name: list[str | None]
    birth_place: list[str]
    teryt: list[str]
    address: list[str]
    home: IntArray
    mother: IntArray
    father: IntArray
    spouse: IntArray
    wedding: IntArray

    def __len__(self) -> int:
        return len(self.person_id)

    def family_name(self, i: int) -> str:
        """The name carried today: the married name if one was taken."""
        return self.married_name[i] or self.family_at_birth[i]


@cache
def _zipf(n: int) -> npt.NDArray[np.float64]:
    w = np.arange(1, n + 1, dtype=np.float64) ** -data.ZIPF
    p: npt.NDArray[np.float64] = w / w.sum()
    return p


def _pick(rng: np.random.Generator, items: list[str], n: int) -> IntArray:
    """Indices into a ranked list, Zipf-weighted as ``Planner._pick`` weighs them."""
    return rng.choice(len(items), size=n, p=_zipf(len(items))).astype(np.int64)


@cache
def _feminine_surnames() -> list[str]:
    return [feminine(s) for s in data.SURNAMES]


def _between(rng: np.random.Generator, first: IntArray, last: IntArray) -> IntArray:
    """A uniform day in [first, last] (just ``first`` where the span is empty)."""
    span = np.maximum(last - first, 0)
    out: IntArray = first + (rng.random(len(first)) * (span + 1)).astype(np.int64)
    return out


def _follow(links: IntArray, values: IntArray) -> IntArray:
    """``values[i] = values[links[i]]`` along chains of links (parent before child).

    A parent is at least 20 years older than the child, so chains are at most
    a handful of generations long; iterate until nothing changes.
    """
    out = values.copy()
    linked = np.flatnonzero(links >= 0)
    for _ in range(16):
        new = out.copy()
        new[linked] = out[links[linked]]
        if np.array_equal(new, out):
            break
        out = new
    return out


def residents(seed: int, index: int, count: int, as_of: datetime.date) -> Residents:
    """Chunk ``index`` of population ``seed``: ``count`` residents alive on ``as_of``."""
    rng = np.random.default_rng([seed, index])
    n = count
    today = as_of.toordinal()

    # Age and sex from the pyramid, as Planner.people_from_pyramid draws them.
    bands = np.array(data.AGE_BANDS_THOUSANDS, dtype=np.float64)
    band = rng.choice(len(bands), size=n, p=bands / bands.sum())
    width = np.where(band == len(bands) - 1, 15, 5)
    age_days = ((band * 5 + rng.random(n) * width) * 365.25).astype(np.int64)
    birth: IntArray = today - age_days
    female: BoolArray = rng.random(n) < np.array(data.FEMALE_SHARE_BY_BAND)[band]
    foreign: BoolArray = rng.random(n) < FOREIGNER_SHARE
    ukr: BoolArray = foreign & (rng.random(n) < UKR_SHARE_OF_FOREIGNERS)
    year_only: BoolArray = foreign & (rng.random(n) < YEAR_ONLY_SHARE_OF_FOREIGNERS)
    if year_only.any():
        birth[year_only] = [datetime.date.fromordinal(int(b)).replace(month=1, day=1).toordinal()
                            for b in birth[year_only]]

    # When foreigners were registered: UKR in spring 2022, the rest as adults since 2005.
    ukr_day = _between(rng, np.full(n, UKR_START.toordinal()), np.full(n, UKR_END.toordinal()))
    other_first = np.maximum(birth + 18 * 366, FOREIGNER_FIRST_NON_UKR)
    other_day = np.minimum(_between(rng, other_first, np.full(n, today)), today)
    registered: IntArray = np.where(foreign, np.maximum(np.where(ukr, ukr_day, other_day), birth),
                                    birth)

    # Names.
    native_f = _pick(rng, data.FEMALE_NAMES, n)
    native_m = _pick(rng, data.MALE_NAMES, n)
    ukr_f = _pick(rng, data.UKR_FEMALE, n)
    ukr_m = _pick(rng, data.UKR_MALE, n)
    surname = _pick(rng, data.SURNAMES, n)
    ukr_surname = _pick(rng, data.UKR_SURNAMES, n)
    places = _pick(rng, data.UKR_PLACES, n)

    # Addresses, as Planner._address shapes them.
    pops = np.array([v[2] for v in data.VOIVODESHIPS], dtype=np.float64)
    voiv = rng.choice(len(pops), size=n, p=pops / pops.sum())
    street = _pick(rng, data.STREETS, n)
    number = rng.integers(1, 120, size=n)
    in_capital = rng.random(n) < data.CAPITAL_SHARE
    county = rng.integers(1, 21, size=n)
    gmina = rng.integers(1, 16, size=n)
    gmina_kind = rng.integers(1, 4, size=n)

    # Marriages between natives of about the same age.
    spouse = np.full(n, -1, dtype=np.int64)
    wedding = np.full(n, -1, dtype=np.int64)
    men = np.flatnonzero(~female & ~foreign)
    men = men[np.argsort(birth[men], kind="stable")]
    women = np.flatnonzero(female & ~foreign & (rng.random(n) < MARRIED_SHARE_OF_WOMEN))
    gap = (rng.normal(2.5, 3, size=len(women)) * 365).astype(np.int64)
    if len(men) and len(women):
        slot = np.minimum(np.searchsorted(birth[men], birth[women] - gap), len(men) - 1)
        _, first_claim = np.unique(slot, return_index=True)  # one wife per man
        wives, husbands = women[first_claim], men[slot[first_claim]]
        adult = np.maximum(birth[wives], birth[husbands]) + ADULT_DAYS
        ok = adult < today
        wives, husbands, adult = wives[ok], husbands[ok], adult[ok]
        day = _between(rng, adult, np.minimum(adult + 3650, today))
        spouse[wives], spouse[husbands] = husbands, wives
        wedding[wives] = wedding[husbands] = day

    # Children of couples: both parents 20-42 years older, married before the birth.
    mother = np.full(n, -1, dtype=np.int64)
    father = np.full(n, -1, dtype=np.int64)
    wives = np.flatnonzero(female & (spouse >= 0))
    wives = wives[np.argsort(birth[wives], kind="stable")]
    children = np.flatnonzero(~foreign & (rng.random(n) < CHILD_WITH_PARENTS_SHARE))
    draw = rng.random(len(children))
    if len(wives) and len(children):
        lo = np.searchsorted(birth[wives], birth[children] - PARENT_MAX_DAYS)
        hi = np.searchsorted(birth[wives], birth[children] - ADULT_DAYS, side="right")
        has = hi > lo
        pick = np.minimum(lo + (draw * (hi - lo)).astype(np.int64), len(wives) - 1)
        mum = wives[pick]
        dad = spouse[mum]
        ok = (has & (wedding[mum] < birth[children])
              & (birth[dad] <= birth[children] - ADULT_DAYS))
        mother[children[ok]] = mum[ok]
        father[children[ok]] = dad[ok]

    # A child takes the father's surname and address, along whole chains of generations.
    surname = _follow(father, surname)
    home = _follow(father, np.arange(n, dtype=np.int64))

    capitals = [v[3] for v in data.VOIVODESHIPS]
    fem = _feminine_surnames()
    first_name: list[str] = []
    family_at_birth: list[str] = []
    birth_place: list[str] = []
    teryt: list[str] = []
    address: list[str] = []
    for i in range(n):
        v = int(voiv[i])
        code, capital, capital_teryt = data.VOIVODESHIPS[v][0], capitals[v], data.VOIVODESHIPS[v][4]
        road = f"ul. {data.STREETS[street[i]]} {number[i]}"
        if in_capital[i]:
            teryt.append(capital_teryt)
            address.append(f"{road}, {capital}")
        else:
            municipality = f"{code}{county[i]:02d}{gmina[i]:02d}"
            teryt.append(f"{municipality}{gmina_kind[i]}")
            address.append(f"{road}, gmina {municipality}")
        if foreign[i]:
            first_name.append((data.UKR_FEMALE if female[i] else data.UKR_MALE)[
                (ukr_f if female[i] else ukr_m)[i]])
            family_at_birth.append(data.UKR_SURNAMES[ukr_surname[i]])
            birth_place.append(data.UKR_PLACES[places[i]])
        else:
            first_name.append(data.FEMALE_NAMES[native_f[i]] if female[i]
                              else data.MALE_NAMES[native_m[i]])
            family_at_birth.append(fem[surname[i]] if female[i] else data.SURNAMES[surname[i]])
            birth_place.append(capitals[int(voiv[home[i]])])

    married_name: list[str | None] = [None] * n
    for w in np.flatnonzero(female & (spouse >= 0)):
        taking = fem[surname[spouse[w]]]
        if taking != family_at_birth[w]:
            married_name[w] = taking

    person_id = person_ids(seed, index, rng.integers(0, 2**32, size=n, dtype=np.uint64))
    return Residents(
        seed=seed, index=index, as_of=as_of, person_id=person_id, female=female, birth=birth,
        year_only=year_only, foreign=foreign, ukr=ukr, registered=registered,
        first_name=first_name, family_at_birth=family_at_birth, married_name=married_name,
        birth_place=birth_place, teryt=teryt, address=address, home=home, mother=mother,
        father=father, spouse=spouse, wedding=wedding,
    )


def person_ids(seed: int, index: int, noise: npt.NDArray[np.uint64]) -> list[uuid.UUID]:
    """Ids that sort in load order: (population, chunk, row), then 32 random bits.

    Random UUIDs scatter every insert over the indexes on ``person_id``; at
    tens of millions of rows that is a random write per row. These ids append
    instead. They are version-4 shaped and never collide with each other (the
    row is part of the id); against random ids they have 32 random bits plus a
    48-bit population-and-chunk prefix.
    """
    population = int.from_bytes(hashlib.blake2b(str(seed).encode(), digest_size=2).digest(),
                                "big")
    head = (population << 112) | ((index & 0xFFFFFFFF) << 80)
    return [uuid.UUID(int=head | (row << 32) | int(noise[row]), version=4)
            for row in range(len(noise))]


def chunk_sizes(size: int, chunk: int) -> list[int]:
    """How many residents each chunk holds: all full but the last.

    >>> chunk_sizes(250, 100)
    [100, 100, 50]
    """
    if size < 0 or chunk < 1:
        raise ValueError("size must be >= 0 and chunk >= 1")
    return [min(chunk, size - start) for start in range(0, size, chunk)]

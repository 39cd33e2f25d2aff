"""A plan of life events for a synthetic population: pure, seeded, no database.

People are drawn from the age pyramid; couples marry, children are born to
couples and take the father's family name (in its feminine form for
daughters), families share a home, some people move, divorce, travel,
change names, and some die last of all. About 2.6 % are foreigners, most
with UKR status registered in spring 2022, as in the real register.

Each event is dated, and the plan is replayed in date order, so every
reference (a mother, a spouse) exists before it is used, and a death is the
last thing that happens to anyone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from openpesel.population import data
from openpesel.registry import events as ev

DAY = datetime.timedelta(days=1)
UKR_START, UKR_END = datetime.date(2022, 3, 16), datetime.date(2022, 4, 30)
FOREIGNER_SHARE = 0.026


@dataclass(frozen=True)
class Ref:
    """Another planned person, to be given by their PESEL once they have one."""

    index: int


@dataclass(frozen=True)
class Planned:
    date: datetime.date
    order: int
    kind: ev.Kind
    subject: int
    payload: dict[str, Any]
    authority: ev.Authority


@dataclass
class Person:
    index: int
    sex: str
    birth: datetime.date
    foreign: bool
    family_name: str = ""
    first_name: str = ""
    home: tuple[str, str] | None = None
    spouse: int | None = None
    wedding: datetime.date | None = None
    last: datetime.date = datetime.date.min
    events: list[Planned] = field(default_factory=list)


def feminine(surname: str) -> str:
    """Polish adjectival surnames agree in gender: Kowalski -> Kowalska."""
    for masc, fem in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if surname.endswith(masc):
            return surname[: -len(masc)] + fem
    return surname


def _zipf(n: int) -> npt.NDArray[np.float64]:
    w = np.arange(1, n + 1, dtype=np.float64) ** -data.ZIPF
    p: npt.NDArray[np.float64] = w / w.sum()
    return p


class Planner:
    def __init__(self, size: int, seed: int, today: datetime.date) -> None:
        self.rng = np.random.default_rng(seed)
        self.size = size
        self.today = today
        self.order = 0
        self.cards = 0
        self.people: list[Person] = []
        pops = np.array([v[2] for v in data.VOIVODESHIPS])
        self.voiv_p = pops / pops.sum()

    # -- helpers ---------------------------------------------------------

    def _pick(self, items: list[str]) -> str:
        return items[int(self.rng.choice(len(items), p=_zipf(len(items))))]

    def _day_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        span = max((last - first).days, 0)
        return first + int(self.rng.integers(0, span + 1)) * DAY

    def _plan(self, p: Person, when: datetime.date, kind: ev.Kind, payload: dict[str, Any],
              authority: ev.Authority, *others: Person) -> None:
        self.order += 1
        p.events.append(Planned(when, self.order, kind, p.index, payload, authority))
        for who in (p, *others):
            who.last = max(who.last, when)

    def _address(self) -> tuple[str, str]:
        code, _, _, capital, capital_teryt = data.VOIVODESHIPS[
            int(self.rng.choice(len(data.VOIVODESHIPS), p=self.voiv_p))]
        street = f"ul. {self._pick(data.STREETS)} {int(self.rng.integers(1, 120))}"
        if self.rng.random() < data.CAPITAL_SHARE:
            return capital_teryt, f"{street}, {capital}"
        county, gmina = int(self.rng.integers(1, 21)), int(self.rng.integers(1, 16))
        kind = int(self.rng.integers(1, 4))
        municipality = f"{code}{county:02d}{gmina:02d}"
        return f"{municipality}{kind}", f"{street}, gmina {municipality}"

    def _move_in(self, p: Person, when: datetime.date, home: tuple[str, str]) -> None:
        if p.home is not None:
            self._plan(p, when, ev.Kind.RESIDENCE_DEREGISTERED, {"residence": "permanent"},
                       ev.Authority.GMINA)
        p.home = home
        self._plan(p, when, ev.Kind.RESIDENCE_REGISTERED,
                   {"residence": "permanent", "teryt": home[0], "address": home[1]},
                   ev.Authority.GMINA)

    # -- the plan --------------------------------------------------------

    def people_from_pyramid(self) -> None:
        bands = np.array(data.AGE_BANDS_THOUSANDS, dtype=float)
        band = self.rng.choice(len(bands), size=self.size, p=bands / bands.sum())
        width = np.where(band == len(bands) - 1, 15, 5)
        age_days = ((band * 5 + self.rng.random(self.size) * width) * 365.25).astype(int)
        female = self.rng.random(self.size) < np.array(data.FEMALE_SHARE_BY_BAND)[band]
        foreign = self.rng.random(self.size) < FOREIGNER_SHARE
        order = np.argsort(-age_days, kind="stable")  # oldest first
        for i, k in enumerate(order):
            birth = self.today - int(age_days[k]) * DAY
            self.people.append(Person(i, "F" if female[k] else "M", birth, bool(foreign[k])))

    def marriages(self) -> None:
        men = [p for p in self.people if p.sex == "M" and not p.foreign]
        women = [p for p in self.people if p.sex == "F" and not p.foreign]
        free = sorted(men, key=lambda m: m.birth)
        births = np.array([m.birth.toordinal() for m in free])
        taken = np.zeros(len(free), dtype=bool)
        for w in women:
            if self.rng.random() > 0.62:
                continue
            target = w.birth.toordinal() - int(self.rng.normal(2.5, 3) * 365)
            start = int(np.searchsorted(births, target))
            for j in range(start, min(start + 40, len(free))):
                if not taken[j]:
                    break
            else:
                continue
            if taken[j]:
                continue
            m = free[j]
            adult = years_after(max(w.birth, m.birth), 20)
            if adult >= self.today:
                continue
            taken[j] = True
            w.spouse, m.spouse = m.index, w.index
            w.wedding = m.wedding = self._day_between(adult, min(adult + 3650 * DAY, self.today))

    def identities(self) -> None:
        for p in self.people:
            if p.foreign:
                pool = data.UKR_FEMALE if p.sex == "F" else data.UKR_MALE
                p.first_name, p.family_name = self._pick(pool), self._pick(data.UKR_SURNAMES)
            else:
                pool = data.FEMALE_NAMES if p.sex == "F" else data.MALE_NAMES
                p.first_name = self._pick(pool)
                surname = self._pick(data.SURNAMES)
                p.family_name = feminine(surname) if p.sex == "F" else surname

    def parents(self) -> dict[int, tuple[int, int]]:
        """Assign couples to children whose mother was 20-42 and married at the birth."""
        couples = sorted((p for p in self.people if p.sex == "F" and p.spouse is not None),
                         key=lambda w: w.birth)
        mother_births = np.array([w.birth.toordinal() for w in couples])
        out: dict[int, tuple[int, int]] = {}
        for child in self.people:
            if child.foreign or not len(couples) or self.rng.random() > 0.8:
                continue
            born = child.birth.toordinal()
            lo = int(np.searchsorted(mother_births, born - int(42 * 365.25)))
            hi = int(np.searchsorted(mother_births, born - int(20 * 365.25)))
            options = [w for w in couples[lo:hi] if w.wedding and w.wedding <= child.birth]
            if options:
                mother = options[int(self.rng.integers(len(options)))]
                assert mother.spouse is not None
                out[child.index] = (mother.index, mother.spouse)
        return out

    def births(self, parents: dict[int, tuple[int, int]]) -> None:
        for p in self.people:
            if p.foreign:
                self._foreigner(p)
                continue
            home = self._address()
            payload: dict[str, Any] = {"first_names": [p.first_name], "sex": p.sex,
                                       "birth_date": p.birth.isoformat()}
            kin: list[Person] = []
            if p.index in parents:
                kin = [self.people[i] for i in parents[p.index]]
                mother, father = kin
                surname = father.family_name
                p.family_name = feminine(surname) if p.sex == "F" else surname
                payload |= {"mother_pesel": Ref(mother.index), "father_pesel": Ref(father.index)}
                home = father.home or home
            payload |= {"family_name": p.family_name, "birth_place": _capital(home[0])}
            self._plan(p, p.birth, ev.Kind.BIRTH, payload, ev.Authority.USC, *kin)
            self._move_in(p, p.birth + 14 * DAY, home)

    def _foreigner(self, p: Person) -> None:
        registered = self._day_between(UKR_START, UKR_END)
        ukr = self.rng.random() < 0.85
        payload: dict[str, Any] = {
            "first_names": [p.first_name], "family_name": p.family_name, "sex": p.sex,
            "birth_date": p.birth.isoformat(), "birth_place": self._pick(data.UKR_PLACES),
            "birth_country": "UKR", "citizenship": "UKR",
            "status": "UKR" if ukr else "permanent_residence",
        }
        if not ukr:
            registered = self._day_between(max(p.birth + 18 * 366 * DAY, datetime.date(2005, 1, 1)),
                                           self.today)
        if self.rng.random() < 0.03:  # a birth date known only by its year
            payload |= {"birth_date": p.birth.replace(month=1, day=1).isoformat(),
                        "birth_date_precision": "year"}
            p.birth = p.birth.replace(month=1, day=1)
        if registered < p.birth:
            registered = p.birth
        self._plan(p, registered, ev.Kind.FOREIGNER_REGISTERED, payload, ev.Authority.GMINA)
        home = self._address()
        p.home = home
        self._plan(p, registered + DAY, ev.Kind.RESIDENCE_REGISTERED,
                   {"residence": "temporary", "teryt": home[0], "address": home[1]},
                   ev.Authority.GMINA)

    def _wed(self, husband: Person) -> None:
        assert husband.spouse is not None and husband.wedding is not None
        wife = self.people[husband.spouse]
        taking = feminine(husband.family_name)
        self._plan(wife, husband.wedding, ev.Kind.MARRIED,
                   {"spouse_pesel": Ref(husband.index), "family_name": taking}
                   if taking != wife.family_name else {"spouse_pesel": Ref(husband.index)},
                   ev.Authority.USC, husband)
        wife.family_name = taking
        if husband.home is not None:
            self._move_in(wife, husband.wedding + 30 * DAY, husband.home)
        if self.rng.random() < 0.15:
            when = self._day_between(husband.wedding + 700 * DAY, self.today)
            if when < self.today:
                self._plan(husband, when, ev.Kind.DIVORCED, {"spouse_pesel": Ref(wife.index)},
                           ev.Authority.USC, wife)

    def _after(self, p: Person, first: datetime.date) -> datetime.date | None:
        """A day after everything planned for ``p`` and after ``first``, if any is left."""
        start = max(p.last, first) + DAY
        return self._day_between(start, self.today - DAY) if start < self.today else None

    def _document(self, p: Person, adult: datetime.date, kind: ev.Kind, number: str) -> None:
        issued = self._day_between(max(adult, self.today - 3650 * DAY), self.today - DAY)
        authority = ev.Authority.PASSPORT if kind is ev.Kind.PASSPORT_ISSUED else ev.Authority.GMINA
        self._plan(p, issued, kind, {"number": number,
                                     "valid_until": (issued + 3652 * DAY).isoformat()}, authority)

    def adult_life(self) -> None:
        for p in self.people:
            adult = years_after(p.birth, 18)
            if adult >= self.today:
                continue
            if not p.foreign:
                self.cards += 1
                self._document(p, adult, ev.Kind.ID_CARD_ISSUED,
                               f"{_letters(self.cards)}{self.cards % 1_000_000:06d}")
                if self.rng.random() < 0.25:
                    self._document(p, adult, ev.Kind.PASSPORT_ISSUED,
                                   f"{_letters(self.cards)[:2]}{self.cards % 10_000_000:07d}")
                moved = self._after(p, adult) if self.rng.random() < 0.12 else None
                if moved:
                    self._move_in(p, moved, self._address())
                renamed = self._after(p, adult) if self.rng.random() < 0.005 else None
                name = self._pick(data.FEMALE_NAMES if p.sex == "F" else data.MALE_NAMES)
                if renamed and name != p.first_name:
                    self._plan(p, renamed, ev.Kind.NAME_CHANGED, {"first_names": [name]},
                               ev.Authority.USC)
            began = self._after(p, adult) if self.rng.random() < 0.02 else None
            if began:
                country = str(self.rng.choice(["DEU", "GBR", "NLD", "NOR", "IRL"]))
                self._plan(p, began, ev.Kind.STAY_ABROAD_BEGAN, {"country": country},
                           ev.Authority.GMINA)
                back = self._after(p, began) if self.rng.random() < 0.6 else None
                if back:
                    self._plan(p, back, ev.Kind.STAY_ABROAD_ENDED, {}, ev.Authority.GMINA)

    def deaths(self) -> None:
        """Death comes last: after everything planned for the person or naming them."""
        for p in self.people:
            age = (self.today - p.birth).days / 365.25
            if age < 55 or self.rng.random() > min(0.02 * 1.09 ** (age - 55), 0.6):
                continue
            first = max(p.last + DAY, self.today - 3650 * DAY)
            if first >= self.today:
                continue
            self._plan(p, self._day_between(first, self.today - DAY), ev.Kind.DIED, {},
                       ev.Authority.USC)

    def plan(self) -> list[Planned]:
        self.people_from_pyramid()
        self.identities()
        self.marriages()
        kinship = self.parents()
        self.births(kinship)
        for husband in self.people:
            if husband.wedding and husband.sex == "M":
                self._wed(husband)
        self.adult_life()
        self.deaths()
        everything = [e for p in self.people for e in p.events]
        creating = ev.CREATING_KINDS
        everything.sort(key=lambda e: (e.date, e.kind not in creating, e.order))
        return everything


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The anniversary; a 29 February birthday falls on 1 March in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def _capital(teryt: str) -> str:
    return next(v[3] for v in data.VOIVODESHIPS if v[0] == teryt[:2])


def _letters(n: int) -> str:
    a, b, c = n // 676 % 26, n // 26 % 26, n % 26
    return "".join(chr(ord("A") + x) for x in (a, b, c))


def plan(size: int, seed: int, today: datetime.date) -> list[Planned]:
    """The whole population's events in the order they happened."""
    return Planner(size, seed, today).plan()

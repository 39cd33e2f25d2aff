"""Counts for the dashboard: no person is named, only totals.

Three questions a registry office asks of its register at a glance: where
the living are (by voivodeship), how old they are (by sex and five-year
band), and how many births, deaths and marriages were recorded month by
month. Each is one grouped query that works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct, extract, func, literal_column, select

from openpesel.storage import schema as t
from openpesel.storage.session import StoreTransaction

AGE_BAND = 5
OLDEST_BAND = 100
"""Everyone aged 100 or more shares the top band."""
MONTHS = 24
MONTHLY_KINDS = ("birth", "died", "married")


@dataclass(frozen=True)
class Dashboard:
    by_voivodeship: dict[str, int]
    """Living residents by the first two digits of their TERYT code ("none": no address)."""
    age_bands: list[tuple[int, int, int]]
    """(lowest age of the band, men, women), youngest band first."""
    months: list[str]
    """``YYYY-MM``, oldest first."""
    monthly: dict[str, list[int]] = field(default_factory=dict)
    """For each of ``MONTHLY_KINDS``, one count per month of ``months``."""

    @property
    def alive(self) -> int:
        return sum(self.by_voivodeship.values())


def month_span(today: datetime.date, count: int = MONTHS) -> list[str]:
    """The ``count`` months up to and including ``today``'s.

    >>> month_span(datetime.date(2026, 2, 10), 3)
    ['2025-12', '2026-01', '2026-02']
    """
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def age_band(birth_year: int, today: datetime.date) -> int:
    """The band (its lowest age) of someone born in ``birth_year``, by age this year.

    >>> age_band(1990, datetime.date(2026, 6, 1)), age_band(1900, datetime.date(2026, 6, 1))
    (35, 100)
    """
    age = max(today.year - birth_year, 0)
    return min(age // AGE_BAND * AGE_BAND, OLDEST_BAND)


def _voivodeship() -> Any:
    """The first two digits of the TERYT code. Literal arguments, not bound ones:
    PostgreSQL must see the same expression in SELECT and GROUP BY."""
    return func.substr(t.persons.c.teryt, literal_column("1"), literal_column("2"))


def alive_by_voivodeship_and_sex(s: StoreTransaction) -> dict[str, dict[str, int]]:
    """The living, by voivodeship ("none": no address) and sex: the statistics office's
    table."""
    c = t.persons.c
    region = _voivodeship()
    rows = s.conn.execute(select(region, c.sex, func.count())
                          .where(c.alive.is_(True)).group_by(region, c.sex)).all()
    by_region: dict[str, dict[str, int]] = {}
    for code, sex, count in rows:
        by_region.setdefault(code or "none", {})[sex] = int(count)
    return by_region


def dashboard(s: StoreTransaction, today: datetime.date) -> Dashboard:
    p = t.persons.c
    region = _voivodeship()
    by_region: dict[str, int] = {}
    for code, count in s.conn.execute(select(region, func.count()).where(p.alive.is_(True))
                                      .group_by(region)):
        by_region[code or "none"] = by_region.get(code or "none", 0) + int(count)

    year = extract("year", p.birth_date)
    bands: dict[int, list[int]] = {}
    for born, sex, count in s.conn.execute(select(year, p.sex, func.count())
                                           .where(p.alive.is_(True)).group_by(year, p.sex)):
        band = bands.setdefault(age_band(int(born), today), [0, 0])
        band[0 if sex == "M" else 1] += int(count)
    top = max(bands, default=0)
    counts = {b: (m, w) for b, (m, w) in bands.items()}
    age_bands = [(b, *counts.get(b, (0, 0))) for b in range(0, top + 1, AGE_BAND)]

    months = month_span(today)
    e = t.events.c
    first = datetime.date.fromisoformat(months[0] + "-01")
    e_year, e_month = extract("year", e.effective_date), extract("month", e.effective_date)
    # A marriage is one event on each spouse's record, under one document.
    counted = func.count(distinct(e.document_ref))
    monthly = {kind: [0] * len(months) for kind in MONTHLY_KINDS}
    position = {m: i for i, m in enumerate(months)}
    rows = s.conn.execute(
        select(e.kind, e_year, e_month, counted)
        .where(e.kind.in_(MONTHLY_KINDS), e.effective_date >= first,
               e.effective_date <= today)
        .group_by(e.kind, e_year, e_month))
    for kind, y, m, count in rows:
        slot = position.get(f"{int(y):04d}-{int(m):02d}")
        if slot is not None:
            monthly[kind][slot] = int(count)
    return Dashboard(by_region, age_bands, months, monthly)

"""PESEL numbers for a bulk-loaded chunk, as ``StoreTransaction.allocate`` issues them one by one.

Pure: the pool counters go in and come out, so a chunk can be numbered ahead
of its transaction on the counters last seen, and numbered again under the
lock if the register moved meanwhile (``population.bulk``).
"""

from __future__ import annotations

import datetime
from functools import cache

from openpesel.errors import PoolExhausted
from openpesel.number.order import PoolOrder
from openpesel.number.pesel import SERIALS_PER_SEX, encode_day
from openpesel.population.synth import Residents


@cache
def iso(ordinal: int) -> str:
    """A day ordinal in ISO form; cached, as a chunk's people share a few thousand days."""
    return datetime.date.fromordinal(ordinal).isoformat()


def date_span(people: Residents) -> tuple[int, int]:
    """The birth days a chunk's numbers can come from (a year-only date: its whole year)."""
    last = datetime.date.fromordinal(int(people.birth.max())).replace(month=12, day=31)
    return int(people.birth.min()), last.toordinal()


def allocate(order: PoolOrder, people: Residents, issued: dict[tuple[str, str], int],
             held: set[str]) -> tuple[list[str], dict[tuple[str, str], int]]:
    """Numbers for a chunk, and the pool counters after them (pure; ``issued`` is not changed).

    As ``StoreTransaction.allocate``: the n-th number of pool (day, sex) uses serial
    π(n); numbers in ``held`` are skipped (and counted); a period known only
    by its year takes the first day with a free serial.
    """
    counters = dict(issued)
    out = [""] * len(people)
    births: list[int] = people.birth.tolist()
    female: list[bool] = people.female.tolist()
    year_only: list[bool] = people.year_only.tolist()
    for i in sorted(range(len(people)), key=lambda i: (births[i], female[i])):
        first = births[i]
        last = (datetime.date.fromordinal(first).replace(month=12, day=31).toordinal()
                if year_only[i] else first)
        sex = "F" if female[i] else "M"
        parity = 0 if female[i] else 1
        day = first
        while True:
            key = (iso(day), sex)
            n = counters.get(key, 0)
            pesel = None
            while n < SERIALS_PER_SEX and pesel is None:
                candidate = encode_day(day, order.serial(f"{key[0]}{sex}", n), parity)
                n += 1
                if candidate not in held:
                    pesel = candidate
            counters[key] = n
            if pesel is not None:
                out[i] = pesel
                break
            if day >= last:
                word = "women" if sex == "F" else "men"
                span = iso(first) if first == last else f"{iso(first)} to {iso(last)}"
                raise PoolExhausted(f"All {SERIALS_PER_SEX} PESEL numbers for {word} born "
                                    f"{span} have been issued.")
            day += 1
    return out, {k: v for k, v in counters.items() if issued.get(k) != v}

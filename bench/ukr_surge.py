"""Replay of the UKR surge: 1 M foreigner registrations through the gate, timed.

    .venv/bin/python bench/ukr_surge.py [--count 1000000] [--postgres] [--background 0]
        [--writers 1] [--seed 2022]

Between 16 March and 30 April 2022 about a million people who fled the war in
Ukraine were given PESEL numbers with UKR status (the act of 12 March 2022),
most of them in the first weeks. This replays ``--count`` such registrations
in the order they arrive, day by day over those 46 days, each a
``foreigner_registered`` event recorded through the gate by a municipal
(gmina) clerk: role and purpose checked, a number allocated from the pool of
the birth date and sex, the history folded, the projections written and the
audit entry appended, one transaction each. ``--background N`` bulk-loads N
residents first (``population.bulk.load_population``), so the pools, indexes
and the audit log are not empty; ``--writers W`` runs W clerks' threads
sharing one gate, taking registrations from one queue in arrival order;
``--postgres`` runs on a throw-away PostgreSQL server instead of SQLite.

The people are made as ``population/synth.py`` and ``plan.py`` make
foreigners: Ukrainian first names, surnames and places of birth, Zipf-weighted;
3 % with only the year of birth known (their number comes from the pool of
1 January). The mix assumed: 45 % children, and among adults four women to
one man (men of 18-60 could not leave Ukraine); two adults in three show a
passport. Arrivals fall off linearly to a third of the first day's by 30 April.

Prints registrations per second, the wall time, and how long 1 M would take
at that rate. Afterwards every registration must have its own number, the
log and the audit log must have grown by exactly ``--count`` and the audit
log must verify; otherwise no figures are printed.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from births import Registration, database, register_at, replay

from openpesel.access.gate import Access, Principal
from openpesel.access.policy import Role
from openpesel.population import data
from openpesel.population.plan import UKR_END, UKR_START
from openpesel.registry import events as ev

CHILD_SHARE = 0.45
WOMEN_AMONG_ADULTS = 0.8
YEAR_ONLY_SHARE = 0.03
PASSPORT_SHARE_OF_ADULTS = 2 / 3
LAST_DAY_RATE = 1 / 3
CHUNK = 10_000


def _zipf(n: int) -> npt.NDArray[np.float64]:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -data.ZIPF
    p: npt.NDArray[np.float64] = weights / weights.sum()
    return p


def _arrival_days(rng: np.random.Generator, count: int) -> npt.NDArray[np.int64]:
    """Each registration's day, in order: a rate falling linearly over the 46 days."""
    days = (UKR_END - UKR_START).days + 1
    rate = np.linspace(1.0, LAST_DAY_RATE, days)
    day = rng.choice(days, size=count, p=rate / rate.sum())
    return np.sort(day) + UKR_START.toordinal()


def registrations(count: int, seed: int) -> Iterator[Registration]:
    """``count`` UKR registrations in arrival order, made a chunk at a time."""
    rng = np.random.default_rng(seed)
    arrivals = _arrival_days(rng, count)
    lists = {"F": data.UKR_FEMALE, "M": data.UKR_MALE, "surname": data.UKR_SURNAMES,
             "place": data.UKR_PLACES}
    weights = {key: _zipf(len(names)) for key, names in lists.items()}
    for start in range(0, count, CHUNK):
        day = arrivals[start:start + CHUNK]
        n = len(day)
        child = rng.random(n) < CHILD_SHARE
        female = np.where(child, rng.random(n) < 0.5, rng.random(n) < WOMEN_AMONG_ADULTS)
        age_days = np.where(child, rng.integers(0, 18 * 365, n),
                            rng.integers(18 * 365, 85 * 365, n))
        year_only = rng.random(n) < YEAR_ONLY_SHARE
        passport = ~child & (rng.random(n) < PASSPORT_SHARE_OF_ADULTS)
        picks = {key: rng.choice(len(lists[key]), size=n, p=w) for key, w in weights.items()}
        letters = rng.integers(0, 26, (n, 2))
        digits = rng.integers(0, 1_000_000, n)
        for i in range(n):
            arrived = datetime.date.fromordinal(int(day[i]))
            born = datetime.date.fromordinal(int(day[i] - age_days[i]))
            sex = "F" if female[i] else "M"
            payload: dict[str, Any] = {
                "first_names": [lists[sex][picks[sex][i]]],
                "family_name": lists["surname"][picks["surname"][i]], "sex": sex,
                "birth_date": born.isoformat(),
                "birth_place": lists["place"][picks["place"][i]],
                "birth_country": "UKR", "citizenship": "UKR", "status": "UKR"}
            if year_only[i]:
                payload |= {"birth_date": born.replace(month=1, day=1).isoformat(),
                            "birth_date_precision": "year"}
            if passport[i]:
                payload["foreign_document"] = (
                    f"{chr(65 + letters[i, 0])}{chr(65 + letters[i, 1])}{digits[i]:06d}")
            yield (ev.Kind.FOREIGNER_REGISTERED, payload,
                   f"UKR/{arrived:%Y%m%d}/{start + i + 1}", arrived)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--background", type=int, default=0)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="openpesel-ukr-"))
    started = time.perf_counter()

    def progress(done: int) -> None:
        print(f"  {done:,} registered, {time.perf_counter() - started:,.0f} s",
              file=sys.stderr, flush=True)

    try:
        with database(args.postgres, data_dir) as url, \
                register_at(url, data_dir, args.background) as gate:
            clerk = Access(Principal("gmina-ukr", Role.MUNICIPAL_CLERK),
                           "registration under the act of 12 March 2022 (UKR)")
            started = time.perf_counter()
            run = replay(gate, clerk, registrations(args.count, args.seed), args.writers,
                         progress if args.count >= 50_000 else None)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rate = run.count / run.seconds
    print(f"store            {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"background       {args.background:,} residents ({run.events:,} events after the run)")
    print(f"writers          {args.writers}")
    print(f"registrations    {run.count:,} in {run.seconds:,.1f} s "
          f"({datetime.timedelta(seconds=round(run.seconds))})")
    print(f"registrations/s  {rate:,.0f} (this process's CPU "
          f"{run.cpu_seconds / run.count * 1000:.2f} ms each)")
    print(f"1 M would take   {datetime.timedelta(seconds=round(1_000_000 / rate))} at this rate")
    print(f"checked          {len(run.pesels):,} distinct numbers; audit log of "
          f"{run.audited:,} entries verified in {run.verify_seconds:.1f} s")


if __name__ == "__main__":
    main()

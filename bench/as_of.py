"""As-of queries for people with 20 events each, in-process.

    .venv/bin/python bench/as_of.py [--people 200] [--queries 5000] [--background 100000]
        [--postgres | --url URL]

Bulk-loads ``--background`` synthetic residents (so the event table has the
size of a real register's neighbourhood), then records ``--people`` residents
through the event path with exactly 20 events each: a birth, then moves,
name changes, ID cards, a passport, a marriage and a divorce spread over 60 years. Each
query asks ``Register.show(pesel, as_of=D)`` for a random one of them at a
random date D in their life, which reads the person's whole log, folds it up
to D and reads their linked people. Prints p50, p99 and the maximum.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import tempfile
import time

from openpesel.population.bulk import load_population
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register
from openpesel.storage.store import Store

USC, GMINA = ev.Authority.USC, ev.Authority.GMINA


def twenty_events(register: Register, i: int) -> str:
    """A life of 20 events; returns the person's PESEL."""
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=i)
    pesel = register.record(Command(ev.Kind.BIRTH, {
        "first_names": ["Maria"], "family_name": "Zielińska", "sex": "F",
        "birth_date": born.isoformat(), "birth_place": "Łódź"}, USC, f"B/{i}")).pesel
    spouse = register.record(Command(ev.Kind.BIRTH, {
        "first_names": ["Marek"], "family_name": "Zieliński", "sex": "M",
        "birth_date": born.isoformat(), "birth_place": "Łódź"}, USC, f"B/{i}/s")).pesel

    def at(years: int, kind: ev.Kind, authority: ev.Authority, **payload: object) -> None:
        when = born + datetime.timedelta(days=365 * years + i % 300)
        register.record(Command(kind, dict(payload), authority, f"D/{i}/{years}", pesel, when))

    at(18, ev.Kind.RESIDENCE_REGISTERED, GMINA, residence="permanent", teryt="1061011",
       address="ul. Piotrkowska 1, Łódź")
    for n in range(3):  # 3 moves, each a deregistration and a registration
        at(22 + 6 * n, ev.Kind.RESIDENCE_DEREGISTERED, GMINA, residence="permanent")
        at(22 + 6 * n, ev.Kind.RESIDENCE_REGISTERED, GMINA, residence="permanent",
           teryt="1465011", address=f"ul. Marszałkowska {n + 2}, Warszawa")
    for n in range(5):  # 5 ID cards
        at(18 + 10 * n, ev.Kind.ID_CARD_ISSUED, GMINA, number=f"AB{'ABCDE'[n]}{i:06d}",
           valid_until=(born + datetime.timedelta(days=365 * (28 + 10 * n))).isoformat())
    at(35, ev.Kind.PASSPORT_ISSUED, ev.Authority.PASSPORT, number=f"EA{i:07d}",
       valid_until=(born + datetime.timedelta(days=365 * 45)).isoformat())
    at(25, ev.Kind.MARRIED, USC, spouse_pesel=spouse, family_name="Zielińska-Kowal")
    at(30, ev.Kind.NAME_CHANGED, USC, first_names=["Maria", "Anna"])
    at(40, ev.Kind.DIVORCED, USC, spouse_pesel=spouse, family_name="Zielińska")
    at(45, ev.Kind.STAY_ABROAD_BEGAN, GMINA, country="DEU")
    at(47, ev.Kind.STAY_ABROAD_ENDED, GMINA)
    at(50, ev.Kind.NAME_CHANGED, USC, family_name="Nowa")
    return pesel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--background", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--url", default=None,
                        help="an existing register (e.g. the 38.5 M one): no background load; "
                             "the --people are recorded into it")
    args = parser.parse_args()
    if args.url:
        args.background = 0
        run(args.url, args)
    elif args.postgres:
        from pgtemp import postgres_server
        with postgres_server() as url:
            run(url, args)
    else:
        run(f"sqlite:///{tempfile.mkdtemp(prefix='openpesel-asof-')}/register.sqlite", args)


def run(url: str, args: argparse.Namespace) -> None:
    store = Store(url)
    store.initialise()
    if args.background:
        load_population(store, args.background, seed=11)
    register = Register(store)
    people = [twenty_events(register, i) for i in range(args.people)]
    counts = {len(register.history(p)) for p in people}
    if counts != {20}:
        raise SystemExit(f"Expected 20 events per person, found {sorted(counts)}; no figures.")
    rng = random.Random(1)
    born = {p: register.state(p).birth_date for p in people}
    asks = [(p, born[p] + datetime.timedelta(days=rng.randrange(0, 365 * 60)))
            for p in (rng.choice(people) for _ in range(args.queries))]
    for pesel, day in asks[:200]:
        register.show(pesel, as_of=day)
    times = []
    for pesel, day in asks:
        started = time.perf_counter()
        register.show(pesel, as_of=day)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    q = statistics.quantiles(times, n=100)
    with store.read() as s:
        events = s.count("events")
    print(f"store            {store.engine.dialect.name} ({events:,} events)")
    print(f"people           {args.people} with 20 events each; {args.queries:,} queries")
    print(f"p50              {q[49]:.3f} ms")
    print(f"p99              {q[98]:.3f} ms")
    print(f"max              {times[-1]:.3f} ms")
    store.dispose()


if __name__ == "__main__":
    main()

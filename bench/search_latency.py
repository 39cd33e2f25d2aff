"""Name search latency on an existing register: typos, missing diacritics, filters.

    OPENPESEL_DATA_DIR=/tmp/srch .venv/bin/openpesel load-population --size 1000000 --seed 5
    nice -n 5 .venv/bin/python bench/search_latency.py --db /tmp/srch/register.sqlite
    nice -n 5 .venv/bin/python bench/search_latency.py --url postgresql+psycopg://...

Prints, per query, p50 and p99 of the wall time over repeated runs, in-process
(no HTTP), each query warmed up once first, and the mean CPU time of this
process: on a shared machine the wall time includes waiting for a core, and on
PostgreSQL the CPU time leaves out the server's. The goal at 38.5 M residents
(issue 4) is p99 <= 50 ms.

The queries are the hard ones for a synthetic register, whose names are
Zipf-distributed ("Anna" and "Nowak" are the most common): the most common
full name and surname with no filter, typos of common names, missing
diacritics, each filter, an exact birth date (what the duplicate screening of
a registration asks), a municipality, and the rarest full name.

Nothing here costs more as the register grows: the names come from the
generator's ranked lists; the birth date and the municipality are given or
taken from the first hit of a query on the list, not found by scanning a
table; the register's size is the planner's estimate on PostgreSQL and
``max(rowid)`` on SQLite, not a ``count(*)``. A register older than schema
revision 0005 is refused: ``openpesel init`` upgrades it (at 15 M residents
the upgrade fills the new name-index columns, which takes minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import statistics
import time

from lookup_latency import add_register_flags, store_url
from sqlalchemy import text
from sqlalchemy.engine import make_url

from openpesel.population import data
from openpesel.population.plan import feminine
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.store import Store

# The most common names of the generator's ranked lists, and the least common pair.
FIRST, SURNAME = data.FEMALE_NAMES[0], data.SURNAMES[0]  # Anna Nowak
COMMON_MALE = data.SURNAMES[1]  # Kowalski
RARE = f"{data.FEMALE_NAMES[-1]} {feminine(data.SURNAMES[-1])}"


def queries(register: Register, born: datetime.date | None,
            teryt: str | None) -> list[tuple[str, Query]]:
    """The queries to time, with a label that says what makes each one hard."""
    full = f"{FIRST} {SURNAME}"
    fixed = [
        ("most common full name", Query(full)),
        ("most common surname", Query(SURNAME)),
        ("typo of a common surname", Query(COMMON_MALE[:-1] + "y")),  # Kowalsky
        ("typo, most common surname", Query(SURNAME[:2] + SURNAME[3:])),  # Noak
        ("missing diacritics", Query("Malgorzata Wisniewska")),
        ("year filter", Query(full, year=1980)),
        ("sex filter, gendered typo", Query(COMMON_MALE[:-1] + "y", sex="F")),
        ("sex filter, none match", Query(full, sex="M")),
        ("teryt filter, voivodeship", Query(full, teryt="14")),
        ("rare full name", Query(RARE)),
        ("not in the register", Query("Zzyzx Qwerty")),
    ]
    # A narrow place and an exact birth date: given, or those of a hit of a query above.
    if born is None or teryt is None:
        one = register.search(dataclasses.replace(fixed[0][1], limit=1))
        if one:
            born, teryt = born or one[0].birth_date, teryt or one[0].teryt
    if born is not None:
        fixed.append(("exact birth date + sex", Query(full, born=born, sex="F")))
    if teryt is not None:
        fixed.append(("teryt filter, municipality", Query(full, teryt=teryt)))
        fixed.append(("surname + municipality", Query(SURNAME, teryt=teryt)))
    return fixed


def describe(q: Query) -> str:
    filters = (("born", q.born), ("year", q.year), ("sex", q.sex), ("teryt", q.teryt))
    return repr(q.text) + "".join(f" {k}={v}" for k, v in filters if v)


def revision(store: Store) -> str:
    with store.read() as s:
        return str(s.conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def size_estimate(store: Store) -> int:
    """About how many people are registered, without counting them."""
    with store.read() as s:
        sql = ("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = 'persons'"
               if s.postgres else "SELECT max(rowid) FROM persons")
        return int(s.conn.execute(text(sql)).scalar_one() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_register_flags(parser)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--limit", type=int, default=20, help="the page size asked for")
    parser.add_argument("--born", type=datetime.date.fromisoformat,
                        help="birth date of the exact-date query (default: the first hit's)")
    parser.add_argument("--teryt", help="TERYT of the municipality queries (default: the "
                                        "first hit's), to compare runs of different code")
    args = parser.parse_args()
    url = store_url(args.db, args.url)
    register = Register(Store(url))
    if revision(register.store) < "0005":
        raise SystemExit("The register predates the name index (schema revision 0005): "
                         "run `openpesel init` on it first.")
    print(f"{make_url(url).render_as_string(hide_password=True)}: "
          f"about {size_estimate(register.store):,} people")
    worst = 0.0
    for label, query in queries(register, args.born, args.teryt):
        query = dataclasses.replace(query, limit=args.limit)
        first = [h.pesel for h in register.search(query)]  # warm-up, and the reference
        times, cpu = [], 0.0
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            hits = register.search(query)
            times.append((time.perf_counter() - started) * 1000)
            cpu += time.process_time() - cpu_started
            if [h.pesel for h in hits] != first:
                raise SystemExit(f"{describe(query)}: the answer changed between runs")
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        worst = max(worst, p99)
        print(f"{label:27s} {describe(query):44s} hits {len(first):2d}  "
              f"p50 {statistics.median(times):7.1f}  p99 {p99:7.1f}  "
              f"cpu {cpu * 1000 / args.runs:6.1f} ms")
    print(f"worst p99 {worst:.1f} ms (goal at 38.5 M: <= 50 ms)")


if __name__ == "__main__":
    main()

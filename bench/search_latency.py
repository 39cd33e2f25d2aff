"""Name search latency on an existing register: typos, missing diacritics, filters.

    OPENPESEL_DATA_DIR=/tmp/lp3 .venv/bin/openpesel load-population --size 300000 --seed 5
    .venv/bin/python bench/search_latency.py --db /tmp/lp3/register.sqlite

Prints p50 and p99 per query over repeated runs, in-process (no HTTP). The
goal at 38.5 M residents (issue 4) is p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.store import Store

QUERIES = [Query("Anna Nowak"), Query("Anna Nowak", year=1980), Query("Kowalsky"),
           Query("Lukasz Wojcik", sex="M"), Query("Zofia Wisniewska", teryt="14")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="path of a SQLite register")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    register = Register(Store(f"sqlite:///{args.db}"))
    with register.store.read() as s:
        print(f"register of {s.count('persons'):,} people")
    for query in QUERIES:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            hits = register.search(query)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        label = query.text + "".join(f" {k}={v}" for k, v in
                                     (("year", query.year), ("sex", query.sex),
                                      ("teryt", query.teryt)) if v)
        print(f"{label:32s} hits {len(hits):3d}  p50 {statistics.median(times):7.1f} ms  "
              f"p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()

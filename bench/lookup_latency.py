"""Latency of ``Register.show(pesel)`` in-process, over random residents.

    nice -n 10 .venv/bin/python bench/lookup_latency.py --db PATH [--lookups 20000]

``PATH`` is a SQLite register, e.g. one kept by
``bench/load_population.py --keep``. Picks ``--lookups`` random PESELs (a
uniform sample of ``persons`` by rowid, so the sample costs no table scan),
warms up on a few hundred, then times each ``show`` (which resolves the number,
reads the record and its links, and reads the linked people's records) and
prints p50, p90, p99 and the maximum.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from openpesel.registry.service import Register
from openpesel.storage.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    store = Store(f"sqlite:///{args.db}")
    register = Register(store)
    rng = random.Random(args.seed)
    with store.read() as s:
        top = int(s.conn.exec_driver_sql("SELECT max(rowid) FROM persons").scalar_one())
        picks = rng.sample(range(1, top + 1), min(args.lookups, top))
        pesels: list[str] = []
        for start in range(0, len(picks), 500):
            marks = ",".join(str(r) for r in picks[start:start + 500])
            pesels += [r[0] for r in s.conn.exec_driver_sql(
                f"SELECT pesel FROM persons WHERE rowid IN ({marks})")]
    rng.shuffle(pesels)
    for pesel in pesels[:300]:
        register.show(pesel)
    times = []
    for pesel in pesels:
        started = time.perf_counter()
        register.show(pesel)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    q = statistics.quantiles(times, n=100)
    print(f"register         {args.db} ({top:,} persons)")
    print(f"lookups          {len(times):,}")
    print(f"p50              {q[49]:.3f} ms")
    print(f"p90              {q[89]:.3f} ms")
    print(f"p99              {q[98]:.3f} ms")
    print(f"max              {times[-1]:.3f} ms")
    store.dispose()


if __name__ == "__main__":
    main()

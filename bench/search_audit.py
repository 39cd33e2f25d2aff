"""What auditing every person a search lists costs, against the same search audited once.

    OPENPESEL_DATA_DIR=/tmp/sa .venv/bin/openpesel load-population --size 200000 --seed 5
    nice -n 5 .venv/bin/python bench/search_audit.py --db /tmp/sa/register.sqlite
    nice -n 5 .venv/bin/python bench/search_audit.py --url postgresql+psycopg://...

A search shows each listed person's number, name, birth date, sex and place,
so ``Gate.search`` now appends one audit entry per person on the page (issue
14, item 3) besides the entry for the search itself. The anchor, measured in
the same run on the same register and queries, is what the gate did before:
the search and one audit entry, in one write transaction. The benchmark
prints p50 and p99 of each and the ratio of the medians, for a page of 20.

The audit log grows by every entry written here: run it on a register kept
for benchmarks, not a real one.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from lookup_latency import add_register_flags, shown, store_url

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.population import data
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.store import Store

CLERK = Access(Principal("bench.usc", Role.USC_REGISTRAR), "benchmark of audited search")
QUERIES = [Query(f"{data.FEMALE_NAMES[0]} {data.SURNAMES[0]}"), Query(data.SURNAMES[1]),
           Query(data.SURNAMES[0][:2] + data.SURNAMES[0][3:]), Query(data.MALE_NAMES[3])]


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_register_flags(parser)
    parser.add_argument("--rounds", type=int, default=100, help="runs of each query")
    args = parser.parse_args()
    url = store_url(args.db, args.url)
    store = Store(url)
    register = Register(store)
    audit = AuditLog(Ed25519PrivateKey.generate())
    gate = Gate(register, audit)

    def once_audited(q: Query) -> int:
        """The gate before: the search, then one entry naming no one, in one transaction."""
        with store.write() as s:
            hits = register.search(q, session=s)
            audit.append(s, AuditEntry(
                principal=CLERK.principal.name, role=CLERK.principal.role.value,
                purpose=CLERK.purpose or "", action="search", fields=["search:" + q.text],
                outcome="allowed", at=datetime.datetime.now(datetime.UTC)))
        return len(hits)

    def each_audited(q: Query) -> int:
        return len(gate.search(CLERK, q))

    runs: dict[str, Callable[[Query], int]] = {"anchor: one entry a search": once_audited,
                                               "an entry per person listed": each_audited}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for q in QUERIES:  # warm up caches and the vocabulary
        for run in runs.values():
            run(q)
    listed = 0
    for _ in range(args.rounds):
        for q in QUERIES:
            for name, run in runs.items():
                start = time.perf_counter()
                found = run(q)
                times[name].append((time.perf_counter() - start) * 1000)
                listed += found
    print(f"register: {shown(url)}; {args.rounds} rounds of {len(QUERIES)} queries, "
          f"{listed / (2 * args.rounds * len(QUERIES)):.1f} people listed a search")
    medians = {}
    for name, values in times.items():
        p50, p99 = _percentiles(values)
        medians[name] = p50
        print(f"  {name:30} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    anchor, new = medians.values()
    print(f"  ratio (p50, per person / anchor): {new / anchor:.2f}")
    store.dispose()


if __name__ == "__main__":
    main()

"""Latency of ``Register.show(pesel)`` in-process, over random residents.

    nice -n 5 .venv/bin/python bench/lookup_latency.py (--db PATH | --url URL) [--lookups 20000]

``PATH`` is a SQLite register, e.g. one kept by ``bench/load_population.py
--keep``; ``URL`` is any SQLAlchemy URL (a PostgreSQL register:
``postgresql+psycopg://postgres@/postgres?host=/tmp/x/sock``). Picks
``--lookups`` random residents, warms up on a few hundred, then times each
``show`` (which resolves the number, reads the record and its links, and
reads the linked people's records) and prints p50, p90, p99 and the maximum.
The goal at 38.5 M residents (issue 4) is p99 <= 2 ms. The mean CPU time
per lookup comes last: on a machine shared with other jobs the percentiles
include waiting for a core, which the CPU time does not (on PostgreSQL it
leaves out the server's share).

Picking the residents must not cost a scan of a table of tens of millions of
rows, so ``random_pesels`` samples storage positions instead: rowids on SQLite,
pages (``TABLESAMPLE SYSTEM``) on PostgreSQL. ``bench/serve_at_scale.py`` uses
it too.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from openpesel.registry.service import Register
from openpesel.storage.store import Store

WARMUP = 300


def add_register_flags(parser: argparse.ArgumentParser) -> None:
    """``--db PATH`` or ``--url URL``: the existing register a benchmark reads."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="a SQLite register")
    where.add_argument("--url", help="a SQLAlchemy URL, e.g. a PostgreSQL register")


def store_url(db: Path | None, url: str | None) -> str:
    """The register's URL from either flag; a relative path stays relative to the caller."""
    if url is not None:
        return url
    assert db is not None
    if not db.exists():
        raise SystemExit(f"{db}: no such register")
    return f"sqlite:///{db.resolve()}"


def shown(url: str) -> str:
    """A URL fit to print: no password."""
    return make_url(url).render_as_string(hide_password=True)


def random_pesels(conn: Connection, count: int, rng: random.Random) -> tuple[list[str], int]:
    """About ``count`` current residents' PESELs in random order, and the register's size.

    SQLite: a uniform sample of rowids below ``max(rowid)``, fetched by primary
    key; the holes left by updated records (a projection row is deleted and
    reinserted) are made up by asking again. PostgreSQL: ``TABLESAMPLE SYSTEM``
    reads only the fraction of pages it needs, sized from the table's size on
    disk, and just one row is kept per page; otherwise neighbours from the
    same bulk-loaded page would share cache lines and flatter the figures. The
    size is ``max(rowid)`` or the planner's estimate, since ``count(*)`` would
    itself be the scan to avoid.
    """
    if conn.dialect.name == "postgresql":
        return _pg_pesels(conn, count, rng)
    top = int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM persons").scalar_one())
    if top <= 4 * count:  # a small register: reading it whole is the cheap way
        pesels: list[str] = list(conn.exec_driver_sql("SELECT pesel FROM persons").scalars())
        return rng.sample(pesels, min(count, len(pesels))), top
    tried: set[int] = set()
    pesels = []
    while len(pesels) < count:
        picks = [r for r in rng.sample(range(1, top + 1), count - len(pesels)) if r not in tried]
        tried.update(picks)
        for start in range(0, len(picks), 500):
            marks = ",".join(str(r) for r in picks[start:start + 500])
            pesels += conn.exec_driver_sql(
                f"SELECT pesel FROM persons WHERE rowid IN ({marks})").scalars()
    rng.shuffle(pesels)
    return pesels, top


def _pg_pesels(conn: Connection, count: int, rng: random.Random) -> tuple[list[str], int]:
    pages, estimate = conn.exec_driver_sql(
        "SELECT pg_relation_size('persons') / current_setting('block_size')::int, "
        "reltuples FROM pg_class WHERE oid = 'persons'::regclass").one()
    pages = max(int(pages), 1)
    percent = 100.0
    by_page: dict[int, list[str]] = {}
    # One row per page: ask for a fifth more pages than rows, and more if a few were empty.
    for attempt in range(4):
        percent = min(100.0, 100.0 * count * (1.2 + attempt) / pages)
        by_page = {}
        for page, pesel in conn.exec_driver_sql(
                "SELECT (ctid::text::point)[0]::bigint, pesel FROM persons "
                f"TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE ({rng.randrange(2**31)})"):
            by_page.setdefault(int(page), []).append(pesel)
        if len(by_page) >= count or percent >= 100.0:
            break
    per_page = max(1, math.ceil(count / max(len(by_page), 1)))  # a small table: share pages
    pesels = [p for rows in by_page.values() for p in rng.sample(rows, min(per_page, len(rows)))]
    rng.shuffle(pesels)
    size = int(estimate) if estimate and estimate > 0 else round(
        sum(len(rows) for rows in by_page.values()) * 100.0 / percent)
    return pesels[:count], size


def percentiles(times: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and max of ``times`` (which need at least two values)."""
    q = statistics.quantiles(times, n=100)
    return {"p50": q[49], "p90": q[89], "p99": q[98], "max": max(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_register_flags(parser)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = store_url(args.db, args.url)
    store = Store(url)
    register = Register(store)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with store.read() as s:
        pesels, size = random_pesels(s.conn, args.lookups + WARMUP, rng)
    sampled = time.perf_counter() - started
    if len(pesels) < 2:
        raise SystemExit("the register has fewer than two residents")
    for pesel in pesels[:WARMUP]:  # these are the sample's own: they are not timed again
        register.show(pesel)
    timed = pesels[WARMUP:] or pesels
    times = []
    cpu = time.process_time()
    for pesel in timed:
        started = time.perf_counter()
        register.show(pesel)
        times.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu) * 1000 / len(timed)
    store.dispose()
    figures = percentiles(times)
    print(f"register         {shown(url)} (about {size:,} persons)")
    print(f"sample           {len(pesels):,} residents in {sampled:.2f} s")
    print(f"lookups          {len(times):,}")
    for name, value in figures.items():
        print(f"{name:<17}{value:.3f} ms")
    print(f"cpu, mean        {cpu:.3f} ms of this process's own time per lookup")


if __name__ == "__main__":
    main()

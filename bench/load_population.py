"""Bulk-load time and disk use of a synthetic register on SQLite.

    nice -n 10 .venv/bin/python bench/load_population.py [--size 1000000] [--chunk 50000]
        [--seed 1] [--db PATH] [--keep] [--postgres]

Loads ``--size`` residents with ``population.bulk.load_population`` into a
fresh SQLite register (a temporary directory unless ``--db`` names a file),
then prints the time, residents per second, and the database's size per
resident (main file plus WAL, after a checkpoint). The goal (issue 4) is one
million residents in 60 s or less. The database is deleted afterwards unless
``--keep`` is given (``bench/lookup_latency.py`` can reuse a kept one).
``--postgres`` loads into a throw-away PostgreSQL server instead (COPY; the
server runs with fsync off, as in the tests) and reports ``pg_database_size``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from openpesel.population.bulk import DEFAULT_CHUNK, load_population
from openpesel.storage.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        postgres(args.size, args.seed, args.chunk)
        return

    scratch = None
    if args.db is None:
        scratch = Path(tempfile.mkdtemp(prefix="openpesel-bench-"))
        args.db = scratch / "register.sqlite"
    if args.db.exists():
        raise SystemExit(f"{args.db} exists; the benchmark wants a fresh register.")
    store = Store(f"sqlite:///{args.db}")
    try:
        store.initialise()
        started = time.perf_counter()
        report = load_population(store, args.size, args.seed, chunk=args.chunk, progress=True)
        seconds = time.perf_counter() - started
        store.dispose()
        with sqlite3.connect(args.db) as raw:  # fold the WAL in, so the file size is the size
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = [p for p in args.db.parent.glob(args.db.name + "*") if p.is_file()]
        size_bytes = sum(os.path.getsize(p) for p in files)
        print(report.summary())
        print(f"residents        {args.size:,}")
        print(f"chunk            {args.chunk:,}")
        print(f"wall time        {seconds:.1f} s (goal for 1,000,000: <= 60 s)")
        print(f"residents/s      {args.size / seconds:,.0f}")
        print(f"events           {report.events:,}")
        print(f"database         {size_bytes / 1e6:,.1f} MB "
              f"({size_bytes / max(args.size, 1):,.0f} bytes per resident)")
        print(f"at 38.5 million  {size_bytes / max(args.size, 1) * 38.5e6 / 1e9:,.0f} GB, "
              f"{38.5e6 / (args.size / seconds) / 60:,.0f} min at this rate")
        if args.keep:
            print(f"kept             {args.db}")
    finally:
        store.dispose()
        if scratch is not None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def postgres(size: int, seed: int, chunk: int) -> None:
    from sqlalchemy import text

    from openpesel.storage.pgtemp import postgres_server

    with postgres_server() as url:
        store = Store(url)
        store.initialise()
        started = time.perf_counter()
        report = load_population(store, size, seed, chunk=chunk, progress=True)
        seconds = time.perf_counter() - started
        with store.read() as s:
            size_bytes = int(s.conn.execute(
                text("SELECT pg_database_size(current_database())")).scalar_one())
        store.dispose()
    print(report.summary())
    print(f"PostgreSQL       {size:,} residents in {seconds:.1f} s, {size / seconds:,.0f}/s")
    print(f"database         {size_bytes / 1e6:,.1f} MB "
          f"({size_bytes / max(size, 1):,.0f} bytes per resident)")


if __name__ == "__main__":
    main()

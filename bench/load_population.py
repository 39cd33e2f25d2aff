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

``--pgdata DIR`` loads into a PostgreSQL cluster kept in ``DIR`` (made there
with initdb if missing), run with PostgreSQL's durable defaults plus the
memory and checkpoint settings in ``BULK_SETTINGS``. The server is left
running afterwards, for ``bench/lookup_latency.py --url`` and the other
benchmarks at scale; a killed load carries on when the same command is run
again. Stop the server with ``--stop --pgdata DIR``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from openpesel.cli.progress import progress_bar
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
    parser.add_argument("--pgdata", type=Path, default=None)
    parser.add_argument("--stop", action="store_true")
    args = parser.parse_args()
    if args.pgdata is not None:
        kept_cluster(args.pgdata, args.size, args.seed, args.chunk, args.stop)
        return
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
        with progress_bar("loading residents") as on_chunk:
            report = load_population(store, args.size, args.seed, chunk=args.chunk,
                                     on_chunk=on_chunk)
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
    from pgtemp import postgres_server

    with postgres_server() as url:
        load_and_report(url, size, seed, chunk)


def load_and_report(url: str, size: int, seed: int, chunk: int) -> None:
    """Load (or finish loading) into a PostgreSQL register; print rate and disk use."""
    from sqlalchemy import text

    store = Store(url)
    store.initialise()
    started = time.perf_counter()
    with progress_bar("loading residents") as on_chunk:
        report = load_population(store, size, seed, chunk=chunk, on_chunk=on_chunk)
    seconds = time.perf_counter() - started
    with store.read() as s:
        size_bytes = int(s.conn.execute(
            text("SELECT pg_database_size(current_database())")).scalar_one())
        tables = s.conn.execute(text(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relkind IN ('r', 'i') "
            "AND relnamespace = 'public'::regnamespace AND pg_relation_size(oid) > 0 "
            "ORDER BY 2 DESC LIMIT 16")).all()
    store.dispose()
    print(report.summary())
    loaded = report.residents
    print(f"PostgreSQL       {loaded:,} residents loaded by this run in {seconds:.1f} s, "
          f"{loaded / seconds:,.0f}/s; at this rate 38.5 M would take "
          f"{38.5e6 / max(loaded / seconds, 1) / 60:,.0f} min")
    print(f"database         {size_bytes / 1e9:,.2f} GB "
          f"({size_bytes / max(size, 1):,.0f} bytes per resident)")
    for name, nbytes in tables:
        print(f"  {name:32s} {nbytes / max(size, 1):6,.0f} bytes per resident")


# For a 2-core, 24 GiB machine: a fifth of memory as buffers, and checkpoints far
# enough apart that a long COPY is not slowed by them. fsync and full-page writes
# stay as PostgreSQL ships them. Commits do not wait for their WAL
# flush: a crash can lose the last chunk's commit but never corrupts anything,
# and the loader redoes a chunk whose marker did not survive.
# wal_level=minimal (no replication from this cluster) lets the index builds at the end
# skip the WAL; it changes nothing about durability.
BULK_SETTINGS = {"shared_buffers": "4GB", "max_wal_size": "4GB", "checkpoint_timeout": "30min",
                 "wal_level": "minimal", "max_wal_senders": "0",
                 "maintenance_work_mem": "1GB", "effective_cache_size": "12GB",
                 "max_connections": "60", "synchronous_commit": "off"}


def kept_cluster(root: Path, size: int, seed: int, chunk: int, stop: bool) -> None:
    import pgtemp

    root = root.resolve()
    url = pgtemp.url_for(root)
    if stop:
        pgtemp.stop(url)
        return
    if not (root / "data").exists():
        root.mkdir(parents=True, exist_ok=True)
        pgtemp.create(root)
    if not (root / "data" / "postmaster.pid").exists():
        pgtemp.start(url, settings=BULK_SETTINGS)
    load_and_report(url, size, seed, chunk)
    print(f"server           left running: {url}")


if __name__ == "__main__":
    main()

"""Read routing to a streaming replica, shown with a primary and a replica on this machine.

    .venv/bin/python bench/replica_routing.py [--residents 500] [--lookups 2000] [--threads 1]

Starts a throw-away PostgreSQL primary and a real streaming replica of it
(``pg_basebackup -R``, bench/pgtemp.py), builds a register of synthetic
residents on the primary, waits for the replica to replay it, and then looks
residents up through the gate (authorised and audited, as the server does) from
``--threads`` threads, each lookup in a context of its own as a request is.
It counts, per server, the read transactions begun there, and the audit
entries on each server afterwards: reads on the replica, every entry on the
primary (and, once replayed, on the replica too). Then the same lookups again
without a replica, for comparison. Absolute speed does not matter here: both
servers share this machine's cores (docs/replication.md).
"""

from __future__ import annotations

import argparse
import contextvars
import random
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pgtemp import postgres_server, replica_of
from sqlalchemy import Engine, create_engine, event

from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.population.build import build
from openpesel.registry.service import Register
from openpesel.storage.store import Store

CLERK = Access(Principal("bench-clerk", Role.USC_REGISTRAR), "replica routing benchmark")


def count_reads(engine: Engine, name: str, seen: Counter[str]) -> None:
    """Count the read-only transactions ``engine`` begins, as ``seen[name]``."""
    @event.listens_for(engine, "begin")
    def _begun(conn: Any) -> None:
        if conn.get_execution_options().get("read_only"):
            seen[name] += 1


def scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar_one()
    engine.dispose()
    return value


def caught_up(primary: str, replica: str) -> None:
    lsn = scalar(primary, "SELECT pg_current_wal_lsn()")
    while not scalar(replica, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"):
        time.sleep(0.05)


def lookups(gate: Gate, pesels: list[str], threads: int) -> float:
    """Seconds for one audited lookup of each of ``pesels``, each in a fresh context."""
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for shown in pool.map(lambda p: contextvars.Context().run(gate.show, CLERK, p), pesels):
            assert shown["pesel"]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="openpesel-bench-")))
    with postgres_server() as primary:
        store = Store(primary)
        store.initialise()
        register = Register(store)
        built = build(register, args.residents, seed=1)
        store.dispose()
        asked = random.Random(1).choices(built.pesels, k=args.lookups)
        audit = "SELECT count(*) FROM audit_entries"
        with replica_of(primary) as replica:
            routed = Store(primary, replica_url=replica)
            assert routed.replica is not None
            seen: Counter[str] = Counter()
            count_reads(routed.engine, "primary", seen)
            count_reads(routed.replica, "replica", seen)
            gate = build_gate(settings, Register(routed))
            caught_up(primary, replica)
            before = scalar(primary, audit)
            took = lookups(gate, asked, args.threads)
            gate.close()
            added = scalar(primary, audit) - before
            on_replica_now = scalar(replica, audit) - before
            caught_up(primary, replica)
            replayed = scalar(replica, audit) - before
            routed.dispose()
        print(f"{args.lookups} audited lookups, {args.threads} threads, "
              f"{args.residents} residents, primary and replica on this machine")
        print(f"with the replica:  {took:.2f} s ({args.lookups / took:,.0f}/s); read "
              f"transactions: replica {seen['replica']}, primary {seen['primary']}")
        print(f"  audit entries added: primary {added}, replica before replay "
              f"{on_replica_now}, after replay {replayed}")
        alone = Store(primary)
        gate = build_gate(settings, Register(alone))
        took = lookups(gate, asked, args.threads)
        gate.close()
        alone.dispose()
        print(f"primary alone:     {took:.2f} s ({args.lookups / took:,.0f}/s)")
        assert seen["replica"] >= args.lookups and added == args.lookups == replayed


if __name__ == "__main__":
    main()

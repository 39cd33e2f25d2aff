"""One reservation check in-process (token verification + authorised, audited check).

    .venv/bin/python bench/reservation_check_inprocess.py [--checks 2000] [--threads 1]
        [--profile OUT.prof]

The HTTP benchmark (reservation_check.py) minus the HTTP stack: what the
register itself costs per check on SQLite. ``--threads N`` shares the
``--checks`` among N threads on one gate, as a server's thread pool would, and
prints the p99 of a check and this process's CPU per check; with group commit
(access/group_commit.py) it also prints how many commits held the entries.
``--profile`` profiles every thread during the checks (CPU time, bench/threadprof.py)
and writes the merged profile, for ``bench/profile_shares.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import threadprof

from openpesel.access.gate import Access, Principal, console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.registry import events as ev
from openpesel.registry.commands import Command
from openpesel.registry.service import Register
from openpesel.storage.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="openpesel-bench-")))
    store = Store(settings.url())
    store.initialise()
    register = Register(store)
    pesel = register.record(Command(ev.Kind.BIRTH, {
        "first_names": ["Jan"], "family_name": "Nowak", "sex": "M",
        "birth_date": "1980-01-01", "birth_place": "Opole"}, ev.Authority.USC, "B/1")).pesel
    gate = build_gate(settings, register)
    gate.add_principal(console("benchmark set-up"), "bank", Role.BANK, "benchmark secret 123")
    token = gate.login("bank", "benchmark secret 123").token
    bank = Access(Principal("bank", Role.BANK), "credit application")
    latencies: list[float] = []

    def checks(count: int) -> None:
        for _ in range(count):
            began = time.perf_counter()
            gate.authenticate(token)
            gate.check_reservation(bank, pesel)
            latencies.append(time.perf_counter() - began)

    share = args.checks // args.threads
    threads = [threading.Thread(target=checks, args=(share,)) for _ in range(args.threads)]
    if args.profile is not None:
        threadprof.all_threads()
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = share * args.threads
    if args.profile is not None and (stats := threadprof.merged()) is not None:
        stats.dump_stats(args.profile)
    per_check = (time.perf_counter() - started) / done * 1000
    cpu_ms = (time.process_time() - cpu) / done * 1000
    p99 = sorted(latencies)[int(done * 0.99)] * 1000
    committer = getattr(gate.accountable, "committer", None)  # absent before group commit
    batches = (f", {committer.committed:,} entries in {committer.commits:,} commits"
               if committer is not None else "")
    print(f"{done} checks on {args.threads} threads: {per_check:.2f} ms per check, "
          f"{1000 / per_check:,.0f} checks/s, {cpu_ms:.2f} ms CPU per check, "
          f"p99 {p99:.1f} ms{batches}")


if __name__ == "__main__":
    main()

"""Birth registrations in-process, through the gate: allocation, projection and audit.

    .venv/bin/python bench/births.py [--births 3000] [--postgres] [--background 0]
        [--writers 1] [--url DATABASE_URL --data-dir DIR] [--profile OUT.prof]

Each birth is one ``Gate.record`` call by a civil-status registrar, as the API
would make it: the role and purpose are checked, a PESEL is allocated from
the pool of the child's birth date and sex, the event is folded and appended,
the projections are written and the audit entry is appended, all in one
transaction that commits before the writer's next birth starts. Births are
spread over the days of 2025 so pools fill as they would in an office.
``--postgres`` runs on a throw-away PostgreSQL server (bench/pgtemp.py)
instead of SQLite; ``--background N`` bulk-loads N residents first, so the
tables are not empty. ``--writers W`` runs W threads sharing one gate (one
process, one connection each), taking the births in order from one queue,
as W clerks' requests would arrive at one server process. ``--url`` records
the births in an existing register instead (a PostgreSQL URL or a SQLite
``sqlite:///...`` one, loaded beforehand by ``openpesel load-population``),
with ``--data-dir`` its data directory (its audit signing key); the run adds
its births to that register for good. ``--profile`` profiles every thread
during the births (CPU time, bench/threadprof.py) for bench/profile_shares.py.

The figure is births per second, with this process's CPU time per birth
(the database server's is not counted), which a busy machine disturbs less
than the wall time. Afterwards the run is checked: every birth
got its own number, each left one event and one audit entry, and the audit
log verifies (every hash recomputed from the entries' bytes); a failed check
prints no figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import threadprof

from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.population.bulk import load_population
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.store import Store

NAMES = [("Zofia", "F", "Nowak"), ("Antoni", "M", "Kowalski"), ("Łucja", "F", "Wiśniewska"),
         ("Jan", "M", "Wójcik"), ("Hanna", "F", "Kamińska"), ("Szymon", "M", "Lewandowski")]

Registration = tuple[ev.Kind, dict[str, Any], str, datetime.date | None]
"""What a clerk submits: the kind, the payload, the document's reference, the effective date."""


@contextlib.contextmanager
def database(postgres: bool, data_dir: Path, url: str | None = None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    if not postgres:
        yield f"sqlite:///{data_dir / 'register.sqlite'}"
        return
    from pgtemp import postgres_server
    with postgres_server() as url:
        yield url


@contextlib.contextmanager
def register_at(url: str, data_dir: Path, background: int) -> Iterator[Gate]:
    """A gate over a fresh register, with ``background`` residents bulk-loaded first."""
    store = Store(url)
    try:
        store.initialise()
        if background:
            load_population(store, background, seed=7)
        yield build_gate(Settings(data_dir=data_dir, database_url=url), Register(store))
    finally:
        store.dispose()


@dataclass(frozen=True)
class Replayed:
    seconds: float
    cpu_seconds: float
    count: int
    pesels: set[str]
    events: int
    audited: int
    verify_seconds: float


def _counts(gate: Gate) -> tuple[int, int, int]:
    with gate.store.read() as s:
        return (s.count("events"), s.count("pesel_assignments"), gate.audit.size(s))


def replay(gate: Gate, access: Access, registrations: Iterable[Registration], writers: int,
           progress: Callable[[int], None] | None = None,
           profile: Path | None = None) -> Replayed:
    """Record every registration through the gate with ``writers`` threads, then check it.

    The threads take registrations from one iterator, in its order; each
    thread's ``Gate.record`` commits before it takes the next. Any error stops
    the run: a registration a clerk would have had refused is a failed run here.
    """
    numbered = enumerate(registrations, 1)
    lock = threading.Lock()
    pesels: list[str] = []
    failures: list[BaseException] = []

    def work() -> None:
        mine: list[str] = []
        try:
            while not failures:
                with lock:
                    n, item = next(numbered, (0, None))
                if item is None:
                    break
                kind, payload, document, effective = item
                mine.append(gate.record(access, kind, payload, document,
                                        effective_date=effective).pesel)
                if progress is not None and n % 10_000 == 0:
                    progress(n)
        except BaseException as exc:
            failures.append(exc)
        with lock:
            pesels.extend(mine)

    events0, numbers0, audited0 = _counts(gate)
    if profile is not None:
        threadprof.all_threads()
    threads = [threading.Thread(target=work, name=f"writer-{k}") for k in range(writers)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if profile is not None and (stats := threadprof.merged()) is not None:
        stats.dump_stats(profile)
    if failures:
        raise SystemExit(f"A writer failed after {len(pesels):,} registrations: "
                         f"{type(failures[0]).__name__}: {failures[0]}; no figures.")
    events, numbers, audited = _counts(gate)
    verify_started = time.perf_counter()
    with gate.store.read() as s:
        report = gate.audit.verify(s)
    verify_seconds = time.perf_counter() - verify_started
    problems = list(report.problems)
    distinct = set(pesels)
    if len(distinct) != len(pesels):
        problems.append(f"{len(pesels) - len(distinct)} numbers were given twice")
    for what, before, after in (("events", events0, events), ("numbers", numbers0, numbers),
                                ("audit entries", audited0, audited)):
        if after - before != len(pesels):
            problems.append(f"{after - before:,} new {what} for {len(pesels):,} registrations")
    if problems:
        raise SystemExit("The run is not sound: " + "; ".join(problems[:5]) + "; no figures.")
    return Replayed(seconds, cpu_seconds, len(pesels), distinct, events, audited,
                    verify_seconds)


def births(count: int, run: str = "") -> Iterator[Registration]:
    day0 = datetime.date(2025, 1, 1)
    for i in range(count):
        first, sex, family = NAMES[i % len(NAMES)]
        born = day0 + datetime.timedelta(days=i % 365)
        yield (ev.Kind.BIRTH, {"first_names": [first], "family_name": family, "sex": sex,
                               "birth_date": born.isoformat(), "birth_place": "Gdańsk"},
               f"USC/BENCH/{run}{i}", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--births", type=int, default=3000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--background", type=int, default=0)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--url", default=None,
                        help="an existing register's database URL (it keeps the births)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the existing register's data directory (its audit signing key)")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="openpesel-births-"))
    try:
        with database(args.postgres, data_dir, args.url) as url, \
                register_at(url, data_dir, args.background) as gate:
            usc = Access(Principal("usc-bench", Role.USC_REGISTRAR), "birth registration")
            run = replay(gate, usc, births(args.births, f"{time.time_ns()}/"), args.writers,
                         profile=args.profile)
            postgres = gate.store.engine.dialect.name == "postgresql"
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"store            {'PostgreSQL' if postgres else 'SQLite'}")
    print(f"background       {args.background:,} residents ({run.events:,} events after the run)")
    print(f"writers          {args.writers}")
    print(f"births           {run.count:,} in {run.seconds:.2f} s")
    print(f"births/s         {run.count / run.seconds:,.0f}")
    print(f"per birth        {run.seconds / run.count * 1000:.2f} ms wall; this process's CPU "
          f"{run.cpu_seconds / run.count * 1000:.2f} ms")
    print(f"checked          {len(run.pesels):,} distinct numbers; audit log of "
          f"{run.audited:,} entries verified in {run.verify_seconds:.1f} s")


if __name__ == "__main__":
    main()

"""Birth registrations in-process, through the gate: allocation, projection and audit.

    .venv/bin/python bench/births.py [--births 3000] [--postgres] [--background 0]

Each birth is one ``Gate.record`` call by a civil-status registrar, as the API
would make it: the role and purpose are checked, a PESEL is allocated from
the pool of the child's birth date and sex, the event is folded and appended,
the projections are written and the audit entry is appended, all in one
transaction that commits before the next birth starts. Births are spread over
the days of 2025 so pools fill as they would in an office. ``--postgres``
runs on a throw-away PostgreSQL server (storage/pgtemp.py) instead of SQLite;
``--background N`` bulk-loads N residents first, so the tables are not empty.
The figure is births per second, one writer.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from openpesel.access.gate import Access, Principal
from openpesel.access.policy import Role
from openpesel.api.app import build_gate
from openpesel.config import Settings
from openpesel.population.bulk import load_population
from openpesel.registry import events as ev
from openpesel.registry.service import Register
from openpesel.storage.store import Store

NAMES = [("Zofia", "F", "Nowak"), ("Antoni", "M", "Kowalski"), ("Łucja", "F", "Wiśniewska"),
         ("Jan", "M", "Wójcik"), ("Hanna", "F", "Kamińska"), ("Szymon", "M", "Lewandowski")]


@contextlib.contextmanager
def database(postgres: bool, data_dir: Path) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{data_dir / 'register.sqlite'}"
        return
    from openpesel.storage.pgtemp import postgres_server
    with postgres_server() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--births", type=int, default=3000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--background", type=int, default=0)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="openpesel-births-"))
    with database(args.postgres, data_dir) as url:
        store = Store(url)
        store.initialise()
        if args.background:
            load_population(store, args.background, seed=7, progress=False)
        register = Register(store)
        gate = build_gate(Settings(data_dir=data_dir, database_url=url), register)
        usc = Access(Principal("usc-bench", Role.USC_REGISTRAR), "birth registration")
        day0 = datetime.date(2025, 1, 1)
        started = time.perf_counter()
        for i in range(args.births):
            first, sex, family = NAMES[i % len(NAMES)]
            born = day0 + datetime.timedelta(days=i % 365)
            gate.record(usc, ev.Kind.BIRTH, {
                "first_names": [first], "family_name": family, "sex": sex,
                "birth_date": born.isoformat(), "birth_place": "Gdańsk"}, f"USC/BENCH/{i}")
        seconds = time.perf_counter() - started
        with store.read() as s:
            events = s.count("events")
            assigned = s.count("pesel_assignments")
            audited = int(s.conn.exec_driver_sql(
                "SELECT count(*) FROM audit_entries").scalar_one())
        store.dispose()
    if assigned < args.births or audited < args.births:
        raise SystemExit(f"Only {assigned} numbers and {audited} audit entries for "
                         f"{args.births} births; no figures.")
    print(f"store            {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"background       {args.background:,} residents ({events:,} events after the run)")
    print(f"births           {args.births:,} in {seconds:.2f} s")
    print(f"births/s         {args.births / seconds:,.0f}")
    print(f"per birth        {seconds / args.births * 1000:.2f} ms")


if __name__ == "__main__":
    main()

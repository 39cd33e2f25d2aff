"""One reservation check in-process (token verification + authorised, audited check).

    .venv/bin/python bench/reservation_check_inprocess.py [--checks 2000]

The HTTP benchmark (reservation_check.py) minus the HTTP stack: what the
register itself costs per check on SQLite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

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
    started = time.perf_counter()
    for _ in range(args.checks):
        gate.authenticate(token)
        gate.check_reservation(bank, pesel)
    per_check = (time.perf_counter() - started) / args.checks * 1000
    print(f"{args.checks} checks: {per_check:.2f} ms per check, {1000 / per_check:,.0f} checks/s")


if __name__ == "__main__":
    main()

"""Reservation checks per second against the live server, driven by wrk.

    .venv/bin/python bench/reservation_check.py [--residents 2000] [--seconds 20]

Builds a register of synthetic residents (a tenth of them reserve their
number), starts `openpesel serve` on 127.0.0.1 as a separate process, logs in
as a bank, and lets wrk (Debian's package, installed by `make bench`) ask
"is this PESEL reserved?" for random residents. Every check is authorised and
audited exactly as in production. Prints throughput and latency percentiles;
the goal (issue 3) is 2,000 checks/s with p99 <= 20 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.population.build import build
from openpesel.registry.service import Register
from openpesel.storage.store import Store

SECRET = "benchmark secret 123"
LUA = """
pesels = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/reservations/" .. pesels[(counter %% #pesels) + 1])
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs Debian's wrk package.")

    home = Path(tempfile.mkdtemp(prefix="openpesel-bench-"))
    settings = Settings(data_dir=home)
    store = Store(settings.url())
    store.initialise()
    register = Register(store)
    built = build(register, args.residents, seed=1)
    gate = build_gate(settings, register)
    gate.add_principal(console("benchmark set-up"), "bank", Role.BANK, SECRET)
    for i, pesel in enumerate(built.pesels[::10]):
        gate.add_principal(console("benchmark set-up"), f"r{i}", Role.RESIDENT, SECRET,
                           pesel=pesel)
    store.dispose()

    port = 8765
    # A bank is one machine client making many checks: lift the per-principal limit.
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(home), "OPENPESEL_RATE_PER_S": "1000000",
           "OPENPESEL_RATE_BURST": "1000000"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory",
         "openpesel.bootstrap.asgi:app_from_environment",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
         "--log-level", "warning", "--no-access-log"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(base + "/api/v1/auth/token",
                           json={"username": "bank", "secret": SECRET}).json()["access_token"]
        script = home / "checks.lua"
        script.write_text(LUA % ", ".join(f'"{p}"' for p in built.pesels))
        out = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
             "-s", str(script), "-H", f"Authorization: Bearer {token}",
             "-H", "X-Purpose: credit application", base], capture_output=True, text=True,
            check=True).stdout
        print(out)
        if "Non-2xx" in out:
            sys.exit("Some checks failed; the figures above do not count.")
        with Store(settings.url()).read() as s:
            audited = s.conn.exec_driver_sql(
                "SELECT count(*) FROM audit_entries WHERE CAST(entry AS TEXT) LIKE '%check%'"
            ).scalar_one()
        print(json.dumps({"residents": args.residents, "workers": args.workers,
                          "connections": args.connections, "audited_checks": audited}))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

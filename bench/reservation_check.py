"""Reservation checks per second against the live server, driven by wrk, beside a bare endpoint.

    .venv/bin/python bench/reservation_check.py [--residents 2000] [--seconds 20]
        [--connections 32] [--workers 1]

Builds a register of synthetic residents (a tenth of them reserve their
number), starts `openpesel serve`'s application under uvicorn on 127.0.0.1 as
a separate process, logs in as a bank, and lets wrk (Debian's package,
installed by `make bench`) ask "is this PESEL reserved?" for random residents.
Every check is authorised and audited exactly as in production.

Then, in the same run and with the same uvicorn flags and wrk load, it serves a
bare FastAPI endpoint on the same path (a sync handler in the thread pool, as
ours is, that returns a constant answer): the framework's own ceiling on this
machine at this moment. It prints both figures and their ratio; issue 17's goal
is 2,000 checks/s with p99 <= 20 ms, and at least 0.35x of the bare endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
PORT = 8765
LUA = """
pesels = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/reservations/" .. pesels[(counter %% #pesels) + 1])
end
"""
BARE_APP = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/api/v1/reservations/{pesel}")
def check(pesel: str) -> dict[str, object]:
    return {"pesel": pesel, "reserved": False, "check_id": 0}
'''
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@contextlib.contextmanager
def serving(app: list[str], env: dict[str, str], workers: int) -> Iterator[str]:
    """uvicorn serving ``app`` (its own arguments) until the block ends; yields its base URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(PORT),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def drive(base: str, script: Path, seconds: int, connections: int, *headers: str) -> str:
    """wrk's report of ``seconds`` of checks on ``connections`` connections."""
    flags = [part for header in headers for part in ("-H", header)]
    return subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         *flags, base], capture_output=True, text=True, check=True).stdout


def figures(report: str) -> dict[str, float]:
    """Requests/s, and p50 and p99 in milliseconds, from wrk's report."""
    out = {"per_s": float(_found(r"Requests/sec:\s+([\d.]+)", report)[0])}
    for pct in ("50", "99"):
        value, unit = _found(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", report)
        out[f"p{pct}_ms"] = round(float(value) * _UNITS[unit], 2)
    return out


def _found(pattern: str, text: str) -> tuple[str, ...]:
    match = re.search(pattern, text)
    if match is None:
        sys.exit(f"wrk's report lacks {pattern!r}:\n{text}")
    return match.groups()


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
    script = home / "checks.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in built.pesels))
    (home / "bare_app.py").write_text(BARE_APP)

    # A bank is one machine client making many checks: lift the per-principal limit.
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(home), "OPENPESEL_RATE_PER_S": "1000000",
           "OPENPESEL_RATE_BURST": "1000000"}
    try:
        with serving(["--factory", "openpesel.bootstrap.asgi:app_from_environment"], env,
                     args.workers) as base:
            token = httpx.post(base + "/api/v1/auth/token",
                               json={"username": "bank", "secret": SECRET}).json()["access_token"]
            ours = drive(base, script, args.seconds, args.connections,
                         f"Authorization: Bearer {token}", "X-Purpose: credit application")
        print(ours)
        if "Non-2xx" in ours:
            sys.exit("Some checks failed; the figures above do not count.")
        with Store(settings.url()).read() as s:
            audited = s.conn.exec_driver_sql(
                "SELECT count(*) FROM audit_entries WHERE CAST(entry AS TEXT) LIKE '%check%'"
            ).scalar_one()
        with serving(["--app-dir", str(home), "bare_app:app"], env, args.workers) as base:
            bare = drive(base, script, args.seconds, args.connections)
        checks, anchor = figures(ours), figures(bare)
        print(json.dumps({"residents": args.residents, "workers": args.workers,
                          "connections": args.connections, "audited_checks": audited,
                          "checks": checks, "bare_fastapi": anchor,
                          "ratio": round(checks["per_s"] / anchor["per_s"], 3)}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

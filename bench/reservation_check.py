"""Reservation checks per second against the live server, driven by wrk, beside a bare endpoint.

    .venv/bin/python bench/reservation_check.py [--residents 2000] [--seconds 20]
        [--connections 32] [--workers 1] [--data-dir DIR] [--url URL] [--profile OUT.prof]

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

``--data-dir DIR`` checks an existing register instead of building one: the
register in DIR, or at ``OPENPESEL_DATABASE_URL`` with DIR as its data
directory (a PostgreSQL one loaded by ``openpesel load-population``, say); the
bank's account is added once if missing. ``--url URL`` drives a server already
serving that register (``openpesel serve``, any number of workers) instead of
starting one. The audited checks are counted from the log's size before and
after, beside wrk's count of answered requests.

``--profile OUT.prof`` runs our server (one worker) with every thread profiled
in CPU time (bench/threadprof.py, cProfile) and writes the profile when it
stops; ``bench/profile_shares.py OUT.prof`` groups it into shares. The figures
of a profiled run are slower than a plain run's and are not to be compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
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
def serving(app: list[str], env: dict[str, str], workers: int,
            profile: Path | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn serving ``app`` (its own arguments) until the block ends; yields its base URL
    and its process.

    With ``profile``, through bench/serve_profiled.py, which writes the profile there."""
    launcher = ["-m", "uvicorn"] if profile is None else [
        str(Path(__file__).with_name("serve_profiled.py")), str(profile)]
    server = subprocess.Popen(
        [sys.executable, *launcher, *app, "--host", "127.0.0.1", "--port", str(PORT),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        server.wait(60)


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


def _socket_errors(report: str) -> str:
    """wrk's line of socket errors (connect, read, write, timeout), or "none"."""
    match = re.search(r"Socket errors:\s*(.+)", report)
    return match.group(1).strip() if match else "none"


def _found(pattern: str, text: str) -> tuple[str, ...]:
    match = re.search(pattern, text)
    if match is None:
        sys.exit(f"wrk's report lacks {pattern!r}:\n{text}")
    return match.groups()


def prepared(home: Path, residents: int) -> list[str]:
    """A register of ``residents`` built in ``home``; the numbers to check."""
    settings = Settings(data_dir=home)
    store = Store(settings.url())
    store.initialise()
    register = Register(store)
    built = build(register, residents, seed=1)
    gate = build_gate(settings, register)
    gate.add_principal(console("benchmark set-up"), "bank", Role.BANK, SECRET)
    for i, pesel in enumerate(built.pesels[::10]):
        gate.add_principal(console("benchmark set-up"), f"r{i}", Role.RESIDENT, SECRET,
                           pesel=pesel)
    store.dispose()
    return built.pesels


def existing(home: Path, count: int = 20_000) -> list[str]:
    """Numbers of an existing register (``home`` or ``OPENPESEL_DATABASE_URL``), with the
    bank's account added if it is missing."""
    settings = Settings(data_dir=home)
    store = Store(settings.url())
    try:
        with store.read() as s:
            pesels = [str(p) for p in s.conn.exec_driver_sql(
                f"SELECT pesel FROM pesel_assignments ORDER BY person_id LIMIT {count}"
            ).scalars()]
            known = s.conn.exec_driver_sql(
                "SELECT count(*) FROM principals WHERE name = 'bank'").scalar_one()
        if not known:
            build_gate(settings, Register(store)).add_principal(
                console("benchmark set-up"), "bank", Role.BANK, SECRET)
    finally:
        store.dispose()
    return pesels


def audit_size(home: Path) -> int:
    store = Store(Settings(data_dir=home).url())
    try:
        with store.read() as s:
            return int(s.conn.exec_driver_sql("SELECT size FROM audit_state").scalar_one())
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="an existing register's data directory (nothing is built)")
    parser.add_argument("--url", default=None,
                        help="a server already serving --data-dir's register")
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile our server (one worker) into this pstats file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs Debian's wrk package.")
    if args.url and (args.data_dir is None or args.profile is not None):
        sys.exit("--url needs --data-dir (its register), and cannot be profiled from here.")

    scratch = Path(tempfile.mkdtemp(prefix="openpesel-bench-"))
    home = args.data_dir or scratch
    pesels = existing(home) if args.data_dir else prepared(home, args.residents)
    script = scratch / "checks.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in pesels))
    (scratch / "bare_app.py").write_text(BARE_APP)

    # A bank is one machine client making many checks: lift the per-principal limit.
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(home), "OPENPESEL_RATE_PER_S": "1000000",
           "OPENPESEL_RATE_BURST": "1000000"}
    try:
        before = audit_size(home)
        with contextlib.ExitStack() as stack:
            base, server = (args.url, None) if args.url else stack.enter_context(serving(
                ["--factory", "openpesel.bootstrap.asgi:app_from_environment"], env,
                1 if args.profile else args.workers, args.profile))
            token = httpx.post(base + "/api/v1/auth/token",
                               json={"username": "bank", "secret": SECRET}).json()["access_token"]
            if args.profile and server is not None:
                server.send_signal(signal.SIGUSR1)  # count the checks, not the start-up
            ours = drive(base, script, args.seconds, args.connections,
                         f"Authorization: Bearer {token}", "X-Purpose: credit application")
        print(ours)
        if "Non-2xx" in ours:
            sys.exit("Some checks failed; the figures above do not count.")
        audited = audit_size(home) - before  # the login's entry among them
        with serving(["--app-dir", str(scratch), "bare_app:app"], env,
                     args.workers) as (base, _):
            bare = drive(base, script, args.seconds, args.connections)
        checks, anchor = figures(ours), figures(bare)
        print(json.dumps({"register": str(args.data_dir) if args.data_dir else args.residents,
                          "numbers_checked": len(pesels),
                          "workers": args.workers, "connections": args.connections,
                          "answered": int(_found(r"(\d+) requests in", ours)[0]),
                          "wrk_ran": _found(r"requests in ([\d.]+\w+)", ours)[0],
                          "socket_errors": _socket_errors(ours),
                          "audited_entries": audited, "load_average": os.getloadavg(),
                          "checks": checks, "bare_fastapi": anchor,
                          "ratio": round(checks["per_s"] / anchor["per_s"], 3)}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

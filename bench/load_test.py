"""Load test: locust against the live server on a register of a million residents.

    .venv/bin/python bench/load_test.py [--residents 1000000] [--seconds 600] [--users 16]

Builds the register with the bulk loader (or reuses it: ``load-population``
skips what is already loaded) under ``--data-dir``, creates a clerk and a bank,
starts ``openpesel serve`` on 127.0.0.1 as its own process, and runs locust
headless (``bench/locustfile.py``) for the given time: lookups, searches,
reservation checks and birth registrations in a 55/15/25/5 mix. Prints
throughput, p50/p95/p99 per request type and the error count; exits non-zero
if any request failed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
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
from openpesel.errors import OpenPeselError
from openpesel.storage.store import Store

SECRET = "load test secret 123"
BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


def _prepare(data_dir: Path, residents: int) -> Path:
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(data_dir)}
    env.pop("OPENPESEL_DATABASE_URL", None)
    started = time.monotonic()
    subprocess.run([str(BIN / "openpesel"), "load-population", "--size", str(residents),
                    "--seed", "1", "--no-progress"], env=env, check=True)
    print(f"register of {residents:,} residents ready in {time.monotonic() - started:.0f} s")
    settings = Settings(data_dir=data_dir)
    gate = build_gate(settings)
    for name, role in (("load-clerk", Role.USC_REGISTRAR), ("load-bank", Role.BANK)):
        with contextlib.suppress(OpenPeselError):  # made by an earlier run
            gate.add_principal(console("benchmark set-up"), name, role, SECRET)
    pesels = data_dir / "pesels.txt"
    store = Store(settings.url())
    with store.read() as s:
        sample = s.conn.exec_driver_sql(
            "SELECT pesel FROM persons ORDER BY random() LIMIT 20000").scalars().all()
    store.dispose()
    pesels.write_text("\n".join(sample))
    return pesels


def _serve(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(data_dir),
           "OPENPESEL_RATE_PER_S": "1000000", "OPENPESEL_RATE_BURST": "1000000"}
    env.pop("OPENPESEL_DATABASE_URL", None)
    log = (data_dir / "server.log").open("ab")  # a 5xx's traceback lands here
    server = subprocess.Popen([str(BIN / "openpesel"), "serve", "--port", str(port),
                               "--workers", str(workers)], env=env, stdout=log, stderr=log)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/event-kinds", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def _report(stats: Path, seconds: int) -> int:
    rows = list(csv.DictReader(stats.open()))
    print(f"\n{'request':<22}{'count':>9}{'fail':>6}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}"
          f"{'p99 ms':>8}")
    errors = 0
    for row in rows:
        if row["Name"] in ("login", "Aggregated"):
            continue
        errors += int(row["Failure Count"])
        print(f"{row['Name']:<22}{int(row['Request Count']):>9}{int(row['Failure Count']):>6}"
              f"{float(row['Requests/s']):>9.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"{'all':<22}{int(total['Request Count']):>9}{int(total['Failure Count']):>6}"
          f"{float(total['Requests/s']):>9.1f}{total['50%']:>8}{total['95%']:>8}"
          f"{total['99%']:>8}")
    print(f"\n{seconds} s; errors (login excluded): {errors}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", type=Path, default=Path("data/load-test"))
    args = parser.parse_args()

    pesels = _prepare(args.data_dir, args.residents)
    server = _serve(args.data_dir, args.port, args.workers)
    try:
        with tempfile.TemporaryDirectory() as out:
            env = {**os.environ, "OPENPESEL_LOAD_PESELS": str(pesels),
                   "OPENPESEL_LOAD_SECRET": SECRET}
            subprocess.run([str(BIN / "locust"), "-f", str(HERE / "locustfile.py"),
                            "--headless", "-u", str(args.users), "-r", str(args.users),
                            "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{args.port}",
                            "--csv", f"{out}/load", "--only-summary", "--loglevel", "WARNING"],
                           env=env, check=False)
            errors = _report(Path(out) / "load_stats.csv", args.seconds)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()

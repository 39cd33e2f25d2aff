"""Lookups over HTTP, and the API server's memory, on a large register that already exists.

    nice -n 5 .venv/bin/python bench/serve_at_scale.py (--db PATH | --url URL) [--lookups 5000]
        [--clients 4] [--search-runs 5] [--logins 16] [--data-dir DIR] [--port 8766]
        [--workers 1]

Issue 4 asks, at 38.5 M residents, for p50/p99 of a current record by PESEL
over HTTP, and for the API server to stay under 1 GiB RSS while it serves the
register. This starts the real server (uvicorn on the app factory, as
``openpesel serve`` does, one worker, 127.0.0.1) as a child process on the
register ``--db PATH`` (SQLite) or ``--url URL`` (any SQLAlchemy URL), logs in
as a registrar and then:

1. times ``GET /api/v1/persons/{pesel}`` for ``--lookups`` random residents,
   one at a time over one keep-alive connection, and, with ``--clients C``,
   again from C clients at once;
2. runs a few name searches (``GET /api/v1/persons?q=...``), the heaviest reads
   there are, so that the memory figure covers them too;
3. with ``--logins N``, logs in N times at once: each login verifies an
   argon2 hash that takes 64 MiB while it runs, so a burst of logins, not the
   register's size, is what can push the server past the goal.

Every request is authorised and audited as in production, so each one also
appends to the audit log. The server's memory is read from ``/proc`` (Linux):
VmRSS before, during (sampled) and after each phase, and VmHWM, the kernel's
own record of the peak. The server is stopped at the end, whatever happened.

Random residents are picked as in ``bench/lookup_latency.py``, without a
table scan. The audit signing key and fingerprint images live in
``--data-dir``: by default the SQLite file's directory, or a throw-away one
for ``--url``. A principal ``scale-clerk`` is added to the register if it is
missing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lookup_latency import add_register_flags, percentiles, random_pesels, shown, store_url

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.errors import OpenPeselError

PRINCIPAL = "scale-clerk"
SECRET = "serve at scale secret 123"
GOAL_MIB = 1024
WARMUP = 200
SEARCHES = [("Anna Nowak", None), ("Anna Nowak", 1980), ("Kowalsky", None),
            ("Lukasz Wojcik", None)]
"""A very common name with and without the year of birth, a typo, a name without diacritics."""


@dataclass
class Memory:
    """The server's memory from ``/proc/PID/status``, sampled in a thread between phases' marks.

    VmHWM alone gives the peak, but not when it happened; the samples say which
    phase reached it, and whether memory is given back afterwards.
    """

    pid: int
    every_s: float = 0.1
    phases: list[tuple[str, int, int]] = field(default_factory=list)
    """(phase, VmRSS at its end, the highest VmRSS sampled during it), in KiB."""
    _high: int = 0
    _done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM, RssAnon, RssFile and the rest, in KiB; empty once the process is gone."""
        found: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if value.strip().endswith(" kB"):
                    found[name] = int(value.split()[0])
        return found

    def _sample(self) -> None:
        while not self._done.wait(self.every_s):
            rss = self.status().get("VmRSS", 0)
            with self._lock:
                self._high = max(self._high, rss)

    @contextlib.contextmanager
    def sampling(self) -> Iterator[None]:
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._done.set()
            thread.join()

    def mark(self, phase: str) -> None:
        rss = self.status().get("VmRSS", 0)
        with self._lock:
            self.phases.append((phase, rss, max(self._high, rss)))
            self._high = 0


def _serve(url: str, data_dir: Path, port: int, log: Path,
           timeout_s: float, workers: int = 1) -> subprocess.Popen[bytes]:
    """The server exactly as ``openpesel serve`` runs it, minus the access log's cost.

    The port must be free first: otherwise another server there would answer
    the readiness check and be measured instead.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SystemExit(f"port {port} is taken ({exc.strerror}); pick another with "
                             "--port") from None
    env = {**os.environ, "OPENPESEL_DATABASE_URL": url, "OPENPESEL_DATA_DIR": str(data_dir),
           "OPENPESEL_RATE_PER_S": "1000000", "OPENPESEL_RATE_BURST": "1000000"}
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory",
             "openpesel.bootstrap.asgi:app_from_environment",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning", "--no-access-log"], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/numbers/44051401359", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    _stop(server)
    raise SystemExit(f"the server did not start; its log: {log}\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn finishes what it is doing), then SIGKILL after 30 s."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _lookups(base: str, token: str, pesels: list[str]) -> tuple[list[float], int]:
    """Each lookup's milliseconds, and how many did not answer 200."""
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark at scale"}
    times: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for pesel in pesels:
            started = time.perf_counter()
            status = client.get(f"/api/v1/persons/{pesel}").status_code
            times.append((time.perf_counter() - started) * 1000)
            errors += status != 200
    return times, errors


def _concurrent(base: str, token: str, pesels: list[str],
                clients: int) -> tuple[list[float], int, float]:
    """``_lookups`` from ``clients`` threads at once, each on its own connection."""
    results: list[tuple[list[float], int]] = [([], 0)] * clients

    def run(i: int) -> None:
        results[i] = _lookups(base, token, pesels[i::clients])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [t for times, _ in results for t in times], sum(e for _, e in results), wall


def _logins(base: str, count: int) -> tuple[int, float]:
    """``count`` logins at once; how many did not answer 200, and how long they all took."""
    codes: list[int] = []

    def one() -> None:
        codes.append(httpx.post(base + "/api/v1/auth/token", timeout=300, json={
            "username": PRINCIPAL, "secret": SECRET}).status_code)

    threads = [threading.Thread(target=one) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(code != 200 for code in codes) + count - len(codes), time.perf_counter() - started


def _line(label: str, times: list[float], wall: float) -> str:
    f = percentiles(times)
    return (f"{label:<22}{len(times):>6,} in {wall:6.1f} s ({len(times) / wall:6.1f}/s): "
            f"p50 {f['p50']:.2f}  p90 {f['p90']:.2f}  p99 {f['p99']:.2f}  max {f['max']:.2f} ms")


def _mib(kib: int) -> str:
    return f"{kib / 1024:7.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_register_flags(parser)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=0,
                        help="also run the lookups from this many clients at once")
    parser.add_argument("--search-runs", type=int, default=5, help="runs of each name search")
    parser.add_argument("--logins", type=int, default=0,
                        help="end with this many logins at once")
    parser.add_argument("--data-dir", type=Path, help="signing key and fingerprint images")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn workers, as `openpesel serve --workers` (PostgreSQL)")
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.lookups < 2 or args.search_runs < 1 or args.clients < 0 or args.logins < 0:
        parser.error("--lookups needs at least 2, --search-runs 1, --clients and --logins 0")

    url = store_url(args.db, args.url)
    throwaway = args.data_dir is None and args.db is None
    data_dir: Path = (args.data_dir or (args.db.resolve().parent if args.db else
                                        Path(tempfile.mkdtemp(prefix="serve-at-scale-"))))
    log = Path(tempfile.mkstemp(prefix="serve-at-scale-", suffix=".log")[1])
    # A SIGTERM (a timeout, a job runner) unwinds through the finally blocks, which stop
    # the server, instead of leaving it running on its own.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    done = False
    try:
        _run(args, url, data_dir, log)
        done = True
    finally:
        if done or log.stat().st_size == 0:  # otherwise kept: the messages name it
            log.unlink()
        if throwaway:
            shutil.rmtree(data_dir, ignore_errors=True)


def _run(args: argparse.Namespace, url: str, data_dir: Path, log: Path) -> None:
    gate = build_gate(Settings(data_dir=data_dir, database_url=url))
    with contextlib.suppress(OpenPeselError):  # made by an earlier run
        gate.add_principal(console("benchmark set-up"), PRINCIPAL, Role.USC_REGISTRAR, SECRET)
    started = time.perf_counter()
    with gate.store.read() as s:
        pesels, size = random_pesels(s.conn, args.lookups + WARMUP, random.Random(args.seed))
    sampled = time.perf_counter() - started
    gate.store.dispose()
    if len(pesels) <= WARMUP + 1:
        raise SystemExit(f"the register has too few residents ({len(pesels)}) for a benchmark")
    warm, timed = pesels[:WARMUP], pesels[WARMUP:]

    base = f"http://127.0.0.1:{args.port}"
    started = time.perf_counter()
    server = _serve(url, data_dir, args.port, log, args.start_timeout, args.workers)
    boot = time.perf_counter() - started
    memory = Memory(server.pid)
    lines: list[str] = []
    errors = 0
    try:
        with memory.sampling():
            memory.mark("started")
            login = httpx.post(base + "/api/v1/auth/token", timeout=60,
                               json={"username": PRINCIPAL, "secret": SECRET})
            login.raise_for_status()
            token = str(login.json()["access_token"])
            _, errors = _lookups(base, token, warm)
            memory.mark("logged in, warmed up")

            started = time.perf_counter()
            times, failed = _lookups(base, token, timed)
            lines.append(_line("lookups, 1 client", times, time.perf_counter() - started))
            errors += failed
            memory.mark("sequential lookups")
            if args.clients:
                times, failed, wall = _concurrent(base, token, timed, args.clients)
                lines.append(_line(f"lookups, {args.clients} clients", times, wall))
                errors += failed
                memory.mark(f"lookups from {args.clients} clients")

            headers = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark at scale"}
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                for text, year in SEARCHES:
                    params: dict[str, str | int] = {"q": text} | ({"year": year} if year else {})
                    runs = []
                    for _ in range(args.search_runs):
                        begun = time.perf_counter()
                        answer = client.get("/api/v1/persons", params=params)
                        runs.append((time.perf_counter() - begun) * 1000)
                        errors += answer.status_code != 200
                    label = f"search {text!r}" + (f" year {year}" if year else "")
                    lines.append(f"{label:<34}hits {answer.json().get('total', '?'):>4}  "
                                 f"p50 {statistics.median(runs):8.1f}  max {max(runs):8.1f} ms")
            memory.mark("searches")
            if args.logins:
                failed, wall = _logins(base, args.logins)
                lines.append(f"{args.logins} logins at once{'':<17}all answered in {wall:.1f} s")
                errors += failed
                memory.mark(f"{args.logins} logins at once")
            time.sleep(2)
            memory.mark("idle 2 s later")
        final = memory.status()
    finally:
        _stop(server)

    print(f"register          {shown(url)} (about {size:,} persons)")
    print(f"sample            {len(pesels):,} residents in {sampled:.2f} s, the first "
          f"{WARMUP} to warm up")
    print(f"server            uvicorn, {args.workers} worker(s), pid {server.pid}, answering "
          f"after {boot:.1f} s" + (" (memory below: the supervisor's)" if args.workers > 1 else ""))
    for line in lines:
        print(line)
    print("server memory     VmRSS at the end of each phase (highest sampled during it)")
    for phase, rss, high in memory.phases:
        print(f"  {phase:<28}{_mib(rss)} ({_mib(high).strip()})")
    # The kernel folds each thread's RSS counters in lazily, so a sample can beat VmHWM.
    peak = max([final.get("VmHWM", 0), *(high for _, _, high in memory.phases)])
    verdict = "met" if peak and peak < GOAL_MIB * 1024 else "NOT met"
    print(f"peak              {_mib(peak)} (VmHWM): goal < {GOAL_MIB} MiB {verdict}")
    anon, files = (_mib(final.get(k, 0)).strip() for k in ("RssAnon", "RssFile"))
    print(f"final             {_mib(final.get('VmRSS', 0))} (anonymous {anon}, files {files})")
    print(f"errors            {errors} requests not answered 200")
    if errors:
        log_tail = log.read_text()[-3000:]
        raise SystemExit(f"some requests failed; the server's log ({log}):\n{log_tail}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Wall time of the fingerprint commands and of the server's first fingerprint request.

    python bench/fingerprint_cli.py [--repeat 5] [--no-cold] [--port 8765]

Everything runs as a user would: ``openpesel`` subprocesses against a fresh
SQLite register in a temporary directory, two synthetic people, scans from
``openpesel fingerprints synth``.

cold  the first ``enrol``, ``verify`` and ``identify`` with an empty cache
      directory (``OPENPESEL_CACHE_DIR``): LEADER is converted to ONNX and the
      numba kernels compiled, once per machine;
warm  each command ``--repeat`` times afterwards, as every later command runs;
      identify searches two enrolled people, as in issue 13's report;
server  ``openpesel serve`` from launch until it answers, then its first
      fingerprint request (a 1:1 verification), then a second one.

On a shared machine wall times wander with the load, so an anchor is measured
in the same run: ``python -c pass`` and ``openpesel validate`` (a command
that touches neither fingerprints nor the register), and the warm medians are
also given as a multiple of ``openpesel validate``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
OPENPESEL = str(BIN / "openpesel")
SECRET = "benchmark-secret-12"
PURPOSE = "fingerprint CLI benchmark"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-cold", action="store_true",
                        help="Keep the user's cache: skip the first-run measurement.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="openpesel-fp-bench-"))
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(work / "data")}
    if not args.no_cold:
        env["OPENPESEL_CACHE_DIR"] = str(work / "cache")  # empty: the first run converts
        env.pop("NUMBA_CACHE_DIR", None)
    try:
        run(args, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, work: Path, env: dict[str, str]) -> None:
    scans = work / "scans"
    timed(env, "init")
    people = [birth(env, "Zofia", "Nowak", "F", "1990-11-20"),
              birth(env, "Jan", "Kowal", "M", "1985-03-02")]
    for seed in (7, 8):
        timed(env, "fingerprints", "synth", str(scans), "--seed", str(seed))
    enrol = ["fingerprints", "enrol", people[0], "--scan", f"2={scans / 'finger-7-0.png'}",
             "-a", "GMINA", "-d", "DO/2026/1"]
    verify = ["fingerprints", "verify", people[0], "--finger", "2",
              str(scans / "finger-7-1.png")]
    identify = ["fingerprints", "identify", "--scan", f"2={scans / 'finger-7-1.png'}"]
    commands = {"enrol": enrol, "verify": verify, "identify": identify}

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; cache {env.get('OPENPESEL_CACHE_DIR', 'the user cache')}")
    cold = {name: timed(env, *command) for name, command in commands.items()} \
        if not args.no_cold else {}
    timed(env, "fingerprints", "enrol", people[1], "--scan", f"2={scans / 'finger-8-0.png'}",
          "-a", "GMINA", "-d", "DO/2026/2")  # identify then searches two people
    warm: dict[str, list[float]] = {name: [] for name in commands}
    anchors: dict[str, list[float]] = {"python -c pass": [], "openpesel validate": []}
    for _ in range(args.repeat):  # interleaved, so load drifts touch all of them alike
        anchors["python -c pass"].append(seconds([sys.executable, "-c", "pass"], env))
        anchors["openpesel validate"].append(timed(env, "validate", "44051401359"))
        for name, command in commands.items():
            warm[name].append(timed(env, *command))
    validate = statistics.median(anchors["openpesel validate"])

    print(f"\n{'command':<26}{'cold s':>8}{'warm median s':>15}{'warm max s':>12}"
          f"{'x validate':>12}")
    for name, times in {**anchors, **warm}.items():
        first = f"{cold[name]:8.2f}" if name in cold else f"{'':>8}"
        print(f"{name:<26}{first}{statistics.median(times):15.2f}{max(times):12.2f}"
              f"{statistics.median(times) / validate:12.2f}")
    server(args.port, env, people[0], scans / "finger-7-1.png")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


def server(port: int, env: dict[str, str], pesel: str, scan: Path) -> None:
    """``openpesel serve``: time to answer, then its first and second verification."""
    env = {**env, "OPENPESEL_SECRET": SECRET}
    timed(env, "users", "add", "clerk", "--role", "municipal_clerk")
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen([OPENPESEL, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited: {process.stderr.read().decode()[-2000:]}"
                                 if process.stderr else "the server exited")
            try:
                httpx.get(base + "/api/v1/numbers/44051401359", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        ready = time.perf_counter() - started
        token = httpx.post(base + "/api/v1/auth/token", timeout=60,
                           json={"username": "clerk", "secret": SECRET}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
        requests = []
        for _ in range(2):
            began = time.perf_counter()
            answer = httpx.post(f"{base}/api/v1/persons/{pesel}/fingerprints/2/verification",
                                headers=headers, timeout=120,
                                files={"scan": ("probe.png", scan.read_bytes(), "image/png")})
            requests.append(time.perf_counter() - began)
            answer.raise_for_status()
    finally:
        process.terminate()
        process.wait(30)
    print(f"\nserver: answering {ready:.2f} s after launch (warm-up included); first "
          f"verification {requests[0]:.2f} s, second {requests[1]:.2f} s")


def birth(env: dict[str, str], first: str, family: str, sex: str, born: str) -> str:
    out = subprocess.run([OPENPESEL, "record", "birth", "-a", "USC", "-d", f"USC/{family}",
                          "-f", f"first_names={first}", "-f", f"family_name={family}",
                          "-f", f"sex={sex}", "-f", f"birth_date={born}",
                          "-f", "birth_place=Kraków", "--json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return str(json.loads(out)[0]["pesel"])


def timed(env: dict[str, str], *args: str) -> float:
    return seconds([OPENPESEL, *args], env)


def seconds(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return took


if __name__ == "__main__":
    sys.exit(main())

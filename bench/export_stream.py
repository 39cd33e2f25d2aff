"""The whole event log exported over HTTP: rows/s, and the server's peak RSS.

    OPENPESEL_DATA_DIR=/tmp/ex .venv/bin/openpesel load-population --size 100000 --seed 1 \\
        --no-progress
    .venv/bin/python bench/export_stream.py --data-dir /tmp/ex

Starts the API (``create_app``, no fingerprint warm-up, so the RSS is the
register's own) under uvicorn in a separate process over the register in
``--data-dir``, logs in as an administrator, and reads ``GET /api/v1/export``
to the end. It prints the events per second, and the server's resident memory
after start-up (VmRSS) and at its peak (VmHWM, from /proc).

``--pages`` measures the API as it was before issue 17: a JSON page of
``--limit`` events by offset, each built from the whole log in memory. It
reads one page only (the whole export that way is N/limit requests, each
costing what this one does). To measure the code of another commit, point
PYTHONPATH at its ``src`` (``git archive <commit> src | tar -x -C /tmp/old``)
and load its own register with it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SECRET = "benchmark secret 123"
LAUNCH = """
import sys, uvicorn
from openpesel.bootstrap import build_gate
from openpesel.bootstrap.asgi import create_app
from openpesel.config import Settings
uvicorn.run(create_app(build_gate(Settings()), 1e6, 10**6, warm_up=False),
            host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
ADMIN = f"""
from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.errors import RegisterError
SECRET = {SECRET!r}
gate = build_gate(Settings())
try:
    gate.add_principal(console("bench"), "bench-admin", Role.ADMIN, SECRET)
except RegisterError:
    pass
"""


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--pages", action="store_true",
                        help="the old paged JSON export: one page of --limit by offset")
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    env = {**os.environ, "OPENPESEL_DATA_DIR": str(args.data_dir)}
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    subprocess.run([sys.executable, "-c", ADMIN], env=env, check=True)
    server = subprocess.Popen([sys.executable, "-c", LAUNCH, str(args.port)], env=env)
    base = f"http://127.0.0.1:{args.port}/api/v1"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/event-kinds", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        started = memory(server.pid)
        with httpx.Client(base_url=base, timeout=600) as c:
            login = c.post("/auth/token", json={"username": "bench-admin", "secret": SECRET})
            login.raise_for_status()
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark"}
            began = time.perf_counter()
            rows = 0
            if args.pages:
                r = c.get("/export", params={"limit": args.limit, "offset": 0},
                          headers=headers)
                r.raise_for_status()
                rows = len(r.json()["items"])
            else:
                with c.stream("GET", "/export", headers=headers) as r:
                    r.raise_for_status()
                    for line in r.iter_lines():
                        rows += bool(line)
            took = time.perf_counter() - began
        peak = memory(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    what = f"one page of {args.limit} by offset" if args.pages else "streamed JSONL, whole log"
    print(f"export ({what}): {rows:,} events in {took:.2f} s = {rows / took:,.0f} events/s")
    print(f"server RSS after start-up {started['VmRSS']} MiB; peak (VmHWM) {peak['VmHWM']} MiB")


if __name__ == "__main__":
    main()

"""SIGKILL of the API server and of the bulk load, at random moments, then a restart.

The server is a real ``uvicorn`` subprocess taking births and moves over HTTP
from four clients; a write counts as acknowledged when its 201 arrived. The
bulk load is the real ``openpesel load-population`` command. Each round kills
one with SIGKILL after a random delay and checks the register before the next
restart: every acknowledged write is there, under the seqs it was given;
nothing half-applied is visible; projections equal a replay of the log (for
the bulk load every tenth round and at the end, as the register grows); the
audit log verifies. A killed load is resumed by the next round, and each load
that finishes is checked for its full size with no number twice.

``OPENPESEL_CRASH_ROUNDS`` sets the kills per store for each (2 by default;
issue 8's full run is 50).
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.invariants import assert_sound
from tests.support.live import SECRET, free_port

ROUNDS = int(os.environ.get("OPENPESEL_CRASH_ROUNDS", "2"))
CLIENTS = 4
OPENPESEL = str(Path(sys.executable).with_name("openpesel"))


def _env(store_url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "OPENPESEL_DATABASE_URL": store_url,
            "OPENPESEL_DATA_DIR": str(data_dir)}


def _start_server(env: dict[str, str], app: str = "openpesel.bootstrap.asgi:app_from_environment",
                  ) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app,
         "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/event-kinds", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the server did not start")


class Clients:
    """Clerks writing over HTTP until the server dies under them."""

    def __init__(self, url: str, round_: int) -> None:
        token = httpx.post(url + "/auth/token", json={"username": "clerk", "secret": SECRET},
                           timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "X-Purpose": "crash test"}
        self.url, self.round = url, round_
        self.acknowledged: dict[str, tuple[str, list[int]]] = {}  # ref -> (pesel, seqs)
        self.threads = [threading.Thread(target=self._write, args=(k,)) for k in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def _write(self, k: int) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as http:
            for i in itertools.count():
                ref = f"R{self.round}/{k}/{i}"
                on = datetime.date(1950, 1, 1) + datetime.timedelta(days=self.round * 37 + k)
                body: dict[str, Any] = {"kind": "birth", "document_ref": ref, "payload": {
                    "first_names": ["Jan"], "family_name": "Kowalski", "sex": "M",
                    "birth_date": on.isoformat(), "birth_place": "Kraków"}}
                try:
                    r = http.post("/events", json=body)
                except httpx.TransportError:
                    return  # the server is gone: this write's fate is unknown, not acknowledged
                assert r.status_code == 201, r.text
                self.acknowledged[ref] = (r.json()["pesel"], r.json()["seqs"])

    def join(self) -> None:
        for thread in self.threads:
            thread.join()


def _check_acknowledged(register: Register, acknowledged: dict[str, tuple[str, list[int]]]
                        ) -> None:
    with register.store.read() as s:
        logged: dict[str, list[int]] = {}
        for seq, ref in s.conn.exec_driver_sql("SELECT seq, document_ref FROM events"):
            logged.setdefault(ref, []).append(seq)
    for ref, (pesel, seqs) in acknowledged.items():
        assert logged.get(ref) == seqs, f"acknowledged write {ref} is not in the log as given"
        assert register.show(pesel)["pesel"] == pesel


def test_sigkill_of_the_api_server_loses_no_acknowledged_write(
        store: Store, store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=store_url)
    build_gate(settings).add_principal(console("test set-up"), "clerk", Role.USC_REGISTRAR,
                                       SECRET)
    register = Register(store)
    env = _env(store_url, tmp_path)
    rng = random.Random(8)
    acknowledged: dict[str, tuple[str, list[int]]] = {}
    for round_ in range(ROUNDS):
        server, url = _start_server(env)
        try:
            clients = Clients(url, round_)
            time.sleep(rng.uniform(0.1, 1.0))
        finally:
            server.kill()  # SIGKILL
            server.wait()
        clients.join()
        acknowledged |= clients.acknowledged
        _check_acknowledged(register, acknowledged)
        assert_sound(register, tmp_path)
    assert len(acknowledged) >= ROUNDS
    print(f"\n{store_url.split(':')[0]}: {ROUNDS} server kills survived, "
          f"{len(acknowledged)} acknowledged writes checked after each")


def _one(store: Store, sql: str) -> int:
    with store.read() as s:
        return int(s.conn.exec_driver_sql(sql).scalar_one())


def _chunks_done(store: Store) -> int:
    """Committed chunks; none before the loader made its bookkeeping table (killed early)."""
    with store.engine.connect() as conn:
        if not conn.dialect.has_table(conn, "load_progress"):
            return 0
    return _one(store, "SELECT count(*) FROM load_progress")


def test_sigkill_of_the_bulk_load_resumes_with_nothing_lost_or_doubled(
        store: Store, store_url: str, tmp_path: Path) -> None:
    size, chunk = 3_000, 250
    register = Register(store)
    env = _env(store_url, tmp_path)
    rng = random.Random(9)
    kills, seed, finished = 0, 1, 0
    while kills < ROUNDS:
        load = subprocess.Popen([OPENPESEL, "load-population", "--size", str(size), "--seed",
                                 str(seed), "--chunk", str(chunk), "--no-progress"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            load.wait(timeout=rng.uniform(0.3, 2.5))
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()
            kills += 1
        else:
            assert load.returncode == 0, load.stderr.read() if load.stderr else ""
            finished += 1
            seed += 1
        if load.stderr:
            load.stderr.close()
        done = _chunks_done(store)
        assert _one(store, "SELECT count(*) FROM persons") == done * chunk
        # The replay of the whole log grows with every load; it runs every tenth round.
        assert_sound(register, tmp_path, replay=(kills + finished) % 10 == 0)
    final = subprocess.run([OPENPESEL, "load-population", "--size", str(size), "--seed",
                            str(seed), "--chunk", str(chunk), "--no-progress"], env=env,
                           capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert _one(store, "SELECT count(*) FROM persons") == (finished + 1) * size
    assert_sound(register, tmp_path)
    print(f"\n{store_url.split(':')[0]}: {kills} bulk-load kills survived, "
          f"{finished + 1} loads of {size} completed with no number twice")

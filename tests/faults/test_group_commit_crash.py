"""SIGKILL of the server under concurrent reservation checks: no acknowledged check loses
its audit entry (issue 17, group commit).

The server is a real ``uvicorn`` subprocess whose commits are slowed down
(``tests/support/slow_audit.py``: each write transaction waits 50 ms after its
work, before its COMMIT, as on a slow disk), so the kill usually lands inside
an audit batch's transaction. Eight banks check reservations until it dies; a check
counts as acknowledged when its 200 arrived, and its ``check_id`` is its
receipt: the index of its entry. After each kill the register is opened
afresh: the entry at every receipt's index is that bank's check of that
number, no two receipts share an index, and the whole log verifies. A server
that answered before the commit fails this (docs/access.md, "Group commit").

``OPENPESEL_CRASH_ROUNDS`` sets the kills per store (3 by default).
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from openpesel.access.audit import AuditEntry
from openpesel.access.gate import console
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.faults.test_crash_server import _env, _start_server
from tests.support.invariants import assert_sound
from tests.support.live import SECRET
from tests.support.office import born

pytestmark = pytest.mark.server

ROUNDS = int(os.environ.get("OPENPESEL_CRASH_ROUNDS", "3"))
BANKS = 8
APP = "tests.support.slow_audit:app_from_environment"

Receipt = tuple[int, str]
"""(check_id, the number checked)."""


class Banks:
    """Banks checking reservations over HTTP until the server dies under them."""

    def __init__(self, url: str, pesels: list[str]) -> None:
        token = httpx.post(url + "/auth/token", json={"username": "bank", "secret": SECRET},
                           timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "X-Purpose": "credit application"}
        self.url, self.pesels = url, pesels
        self.acknowledged: list[Receipt] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._check, args=(k,)) for k in range(BANKS)]
        for thread in self.threads:
            thread.start()

    def _check(self, k: int) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as http:
            for i in itertools.count():
                pesel = self.pesels[(k + i) % len(self.pesels)]
                try:
                    r = http.get(f"/reservations/{pesel}")
                except httpx.TransportError:
                    return  # the server is gone: this check's fate is unknown, not answered
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code}: {r.text}")
                    return
                self.acknowledged.append((r.json()["check_id"], pesel))

    def join(self) -> None:
        for thread in self.threads:
            thread.join()


def _check_receipts(store_url: str, acknowledged: list[Receipt]) -> None:
    """Every receipt names its own check's entry, in a register opened afresh."""
    store = Store(store_url)
    try:
        with store.read() as s:
            rows = {int(r.idx): AuditEntry.from_canonical(bytes(r.entry))
                    for r in s.iter_audit_entries(None)}
    finally:
        store.dispose()
    assert len({index for index, _ in acknowledged}) == len(acknowledged)
    for index, pesel in acknowledged:
        entry = rows.get(index)
        assert entry is not None, f"acknowledged check {index} has no audit entry"
        assert (entry.action, entry.principal, entry.pesel, entry.outcome) == (
            "check", "bank", pesel, "allowed"), f"entry {index} is not the check it receipted"


def test_sigkill_under_checks_loses_no_acknowledged_audit_entry(
        store: Store, store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=store_url)
    build_gate(settings).add_principal(console("test set-up"), "bank", Role.BANK, SECRET)
    register = Register(store)
    pesels = [born(register, "Anna", "Nowak", "F", f"19{60 + n}-04-0{1 + n}").pesel
              for n in range(6)]
    env = {**_env(store_url, tmp_path), "OPENPESEL_RATE_PER_S": "1000000",
           "OPENPESEL_RATE_BURST": "1000000", "OPENPESEL_TEST_COMMIT_DELAY_S": "0.05",
           "PYTHONPATH": str(Path(__file__).parents[2])}
    rng = random.Random(17)
    acknowledged: list[Receipt] = []
    for _ in range(ROUNDS):
        server, url = _start_server(env, APP)
        try:
            banks = Banks(url, pesels)
            deadline = time.monotonic() + 60
            while len(banks.acknowledged) < 50 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 0.5))
        finally:
            server.kill()  # SIGKILL
            server.wait()
        banks.join()
        assert not banks.failures, banks.failures
        assert len(banks.acknowledged) >= 50, "the banks got too few answers to test anything"
        acknowledged += banks.acknowledged
        _check_receipts(store_url, acknowledged)
        assert assert_sound(register, tmp_path, replay=False) >= len(acknowledged)
    print(f"\n{store_url.split(':')[0]}: {ROUNDS} server kills under load, "
          f"{len(acknowledged)} acknowledged checks, each with its entry")

"""Secrets are argon2 hashes, and a burst of logins cannot hash them all at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from openpesel.access import credentials


def test_a_secret_checks_against_its_own_hash_only() -> None:
    stored = credentials.hash_secret("correct horse")
    assert credentials.check_secret(stored, "correct horse")
    assert not credentials.check_secret(stored, "correct hors")
    assert not credentials.check_secret("not a hash", "correct horse")


def test_no_more_hashes_run_at_once_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each argon2 hash holds 64 MiB; 16 logins at once took a server past 1 GiB."""
    running, peak, lock = 0, 0, threading.Lock()

    def slow_verify(stored: str, secret: str) -> Any:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return True

    class SlowHasher:
        verify = staticmethod(slow_verify)

    monkeypatch.setattr(credentials, "_hasher", SlowHasher())
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: credentials.check_secret("h", "s"), range(48)))
    assert all(results)
    assert 1 < peak <= credentials.HASHES_AT_ONCE

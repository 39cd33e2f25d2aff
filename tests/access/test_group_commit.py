"""Group-committed audit (issue 17): concurrent reads' entries are committed together, and
each read is answered only once its own entry is committed.

The committer's store is wrapped so a test can hold its transaction back
(``Held``) until every read has handed over its entry (``waiting``): the
batching is then certain rather than a matter of timing, and no read can have
been answered before its entry committed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.group_commit import GroupCommitter, Writable
from openpesel.access.policy import Role
from openpesel.errors import PersonNotFound, StorageError
from openpesel.registry.search import Query
from openpesel.registry.service import Register
from openpesel.storage.session import StoreTransaction
from openpesel.storage.store import Store
from tests.conftest import Clock
from tests.support.office import born

CLERK = Access(Principal("ola.usc", Role.USC_REGISTRAR), "marriage application 2026/117")
NOBODY = "44051401458"  # a valid number no one in these registers holds
THREADS, CALLS = 12, 15


def _bank(k: int) -> Access:
    return Access(Principal(f"bank-{k}", Role.BANK), "credit application")


class Held:
    """The committer's store, whose write transactions wait until ``release`` is set;
    with ``fail``, each raises after its entries were appended (so they roll back)."""

    def __init__(self, store: Writable, fail: bool = False) -> None:
        self.store = store
        self.fail = fail
        self.release = threading.Event()

    @contextmanager
    def write(self) -> Iterator[StoreTransaction]:
        assert self.release.wait(60), "the test never released the committer"
        with self.store.write() as s:
            yield s
            if self.fail:
                raise StorageError("the disk went away mid-batch")


def _wait_for(condition: Callable[[], bool]) -> None:
    """Until ``condition`` holds (every thread has handed over its entries)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the reads never queued their entries"
        time.sleep(0.005)


def _in_threads(count: int, target: Callable[[int], object]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    return threads


def _log(gate: Gate) -> list[tuple[int, AuditEntry]]:
    """Every entry, oldest first, after checking the whole log recomputes and verifies."""
    with gate.store.read() as s:
        report = gate.audit.verify(s)
        assert report.ok, report.problems
        rows = [(int(r.idx), AuditEntry.from_canonical(bytes(r.entry)))
                for r in s.iter_audit_entries(None)]
    assert [i for i, _ in rows] == list(range(report.size)), "indices are not gap-free"
    return rows


@pytest.fixture
def gate(register: Register) -> Gate:
    return Gate(register, AuditLog(Ed25519PrivateKey.generate()))


def test_concurrent_reads_commit_every_entry_once_in_fewer_transactions(
        gate: Gate, register: Register, store_url: str, clock: Clock) -> None:
    """Two gates on two stores of one database, as two server workers with a committer
    each: every read's entries are there exactly once, and each bank's receipt is its
    own check's entry."""
    people = [born(register, "Anna", "Nowak", "F", f"19{70 + n}-03-0{1 + n % 9}")
              for n in range(8)]
    other_store = Store(store_url)
    other = Gate(Register(other_store, clock=clock), AuditLog(gate.audit.key))
    held = [Held(g.accountable.committer.store) for g in (gate, other)]
    for g, h in zip((gate, other), held, strict=True):
        g.accountable.committer.store = h
    receipts: list[tuple[int, str, str]] = []
    errors: list[BaseException] = []
    expected: Counter[tuple[str, str, str]] = Counter()
    lock = threading.Lock()

    def reads(k: int) -> None:
        g = (gate, other)[k % 2]
        try:
            for i in range(CALLS):
                pesel = people[(k + i) % len(people)].pesel
                match i % 4:
                    case 0 | 1:
                        done = g.check_reservation(_bank(k), pesel)
                        with lock:
                            receipts.append((done.check_id, f"bank-{k}", pesel))
                            expected["check", f"bank-{k}", "allowed"] += 1
                    case 2:
                        hits = g.search(CLERK, Query("Anna Nowak", limit=3))
                        with lock:
                            expected["search", CLERK.principal.name, "allowed"] += 1
                            expected["search-hit", CLERK.principal.name, "allowed"] += len(hits)
                    case _:
                        with pytest.raises(PersonNotFound):
                            g.show(CLERK, NOBODY)
                        with lock:
                            expected["read", CLERK.principal.name, "not_found"] += 1
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    try:
        threads = _in_threads(THREADS, reads)
        _wait_for(lambda: sum(g.accountable.committer.waiting for g in (gate, other)) == THREADS)
        for h in held:
            h.release.set()
        for thread in threads:
            thread.join()
        assert not errors, errors
        log = _log(gate)
        assert Counter((e.action, e.principal, e.outcome) for _, e in log) == expected
        assert len({index for index, _, _ in receipts}) == len(receipts)
        by_index = dict(log)
        for index, bank, pesel in receipts:
            assert (by_index[index].action, by_index[index].principal,
                    by_index[index].pesel) == ("check", bank, pesel)
        committers = [g.accountable.committer for g in (gate, other)]
        assert sum(c.committed for c in committers) == len(log)
        assert sum(c.commits for c in committers) < len(log), "nothing was batched"
    finally:
        other.close()
        other_store.dispose()


def test_no_read_is_answered_before_its_entry_commits(gate: Gate, register: Register) -> None:
    """While the first batch is held, the other reads queue and none has its answer; then
    the rest go in one transaction."""
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    committer = gate.accountable.committer
    held = Held(committer.store)
    committer.store = held
    answered: list[int] = []
    threads = _in_threads(10, lambda k: answered.append(
        gate.check_reservation(_bank(k), anna.pesel).check_id))
    _wait_for(lambda: committer.waiting == 10)
    assert answered == []
    held.release.set()
    for thread in threads:
        thread.join()
    assert sorted(answered) == list(range(10))
    assert committer.commits <= 2 and committer.committed == 10
    assert len(_log(gate)) == 10


def test_a_failed_batch_fails_every_read_in_it_and_leaves_no_entry(
        gate: Gate, register: Register) -> None:
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    gate.check_reservation(_bank(0), anna.pesel)  # one entry committed before
    committer = gate.accountable.committer
    real = committer.store
    held = Held(real, fail=True)
    committer.store = held
    outcomes: list[Any] = []

    def check(k: int) -> None:
        try:
            outcomes.append(gate.check_reservation(_bank(k), anna.pesel))
        except StorageError as exc:
            outcomes.append(exc)

    threads = _in_threads(6, check)
    _wait_for(lambda: committer.waiting == 6)
    held.release.set()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 6
    assert all(isinstance(o, StorageError) for o in outcomes), "an answer without its entry"
    assert len(_log(gate)) == 1
    committer.store = real
    assert gate.check_reservation(_bank(1), anna.pesel).check_id == 1


def test_a_search_commits_its_hits_and_its_own_entry_together(gate: Gate,
                                                             register: Register) -> None:
    for n in range(3):
        born(register, "Ewa", "Zielińska", "F", f"198{n}-05-05")
    hits = gate.search(CLERK, Query("Ewa Zielińska"))
    assert len(hits) == 3
    assert [e.action for _, e in _log(gate)] == ["search-hit"] * 3 + ["search"]
    assert gate.accountable.committer.commits == 1


def test_close_commits_what_is_queued_and_ends_the_thread(gate: Gate,
                                                          register: Register) -> None:
    anna = born(register, "Anna", "Nowak", "F", "1980-01-01")
    committer = gate.accountable.committer
    held = Held(committer.store)
    committer.store = held
    threads = _in_threads(3, lambda k: gate.check_reservation(_bank(k), anna.pesel))
    _wait_for(lambda: committer.waiting == 3)
    closing = threading.Thread(target=gate.close)
    closing.start()
    held.release.set()
    closing.join()
    assert committer.committed == 3 and not committer.running
    for thread in threads:
        thread.join()
    assert gate.check_reservation(_bank(9), anna.pesel).check_id == 3  # a new thread
    gate.close()


def test_entries_are_split_back_to_their_callers_in_order(store: Store) -> None:
    """The committer alone: each caller gets the indices of its own entries, contiguous."""
    log = AuditLog(Ed25519PrivateKey.generate())
    committer = GroupCommitter(store, log, max_entries=4)
    entry = AuditEntry(principal="p", role="operator", purpose="t", action="read",
                       outcome="allowed", at=Clock()())
    assert committer.commit([]) == []
    assert committer.commit([entry] * 3) == [0, 1, 2]
    assert committer.commit([entry] * 6) == [3, 4, 5, 6, 7, 8]  # one caller is never split
    committer.close()
    assert not committer.running

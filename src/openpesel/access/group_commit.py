"""Group commit of audit entries: the entries of concurrent reads, appended in one transaction.

A read (a lookup, a bank's reservation check, a search) writes nothing but its
audit entry. Committing each entry alone made every read a write transaction,
and writers queue on one lock (the ``audit_state`` row on PostgreSQL, the
database on SQLite): the server spent its time waiting for that lock, not
working. Here each process has one committer thread. A read does its work in a
read transaction, hands its entries to ``GroupCommitter.commit`` and waits;
the thread takes every entry queued so far (up to ``max_entries``), appends
them all with ``AuditLog.append_many`` in one write transaction (one lock of
the state row, one write per table), commits, and only then wakes each waiter
with its own indices. While one batch commits the next one gathers, so a busy
server commits large batches and an idle one commits each entry at once: there
is no timer to wait out.

Accountability is unchanged (docs/access.md, "Group commit"): an answer is
given only after its entry committed, and if the batch fails every waiter in
it gets the error and no answer. The entries are the same entries in the same
tree, each with its own index, so proofs and reports are as before. Several
processes (server workers) each have their own committer; the state-row lock
(SQLite's single writer) orders their batches as it ordered single entries.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.storage.session import StoreTransaction

MAX_ENTRIES = 1000
"""Entries in one batch at most: bounds the transaction's size and the wait of its first entry."""
IDLE_S = 2.0
"""A committer thread with nothing to do for this long ends; the next entry starts another."""


class Writable(Protocol):
    """What the committer needs of ``storage.store.Store``."""

    def write(self) -> AbstractContextManager[StoreTransaction]: ...


@dataclass
class _Waiting:
    """One caller's entries, and the future its thread waits on for their indices."""

    entries: Sequence[AuditEntry]
    done: Future[list[int]] = field(default_factory=Future)


class GroupCommitter:
    """Appends the entries handed to ``commit`` by many threads, in few transactions.

    ``commits`` and ``committed`` count the transactions and the entries they
    held (tests and benchmarks read them: batching shows as fewer commits than
    entries). The thread starts with the first entry and ends after ``idle_s``
    without one, so a gate that is no longer used holds no thread; ``close``
    commits whatever is queued and ends it at once (the server's shutdown).
    """

    def __init__(self, store: Writable, audit: AuditLog, max_entries: int = MAX_ENTRIES,
                 idle_s: float = IDLE_S) -> None:
        self.store = store
        self.audit = audit
        self.max_entries = max_entries
        self.idle_s = idle_s
        self.commits = 0
        self.committed = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: deque[_Waiting] = deque()
        self._waiting = 0
        self._thread: threading.Thread | None = None
        self._closing = False

    def commit(self, entries: Sequence[AuditEntry]) -> list[int]:
        """Append ``entries`` (contiguous, in this order); returns their indices once they
        are committed. Raises what the batch's transaction raised, and then nothing of
        theirs was written."""
        if not entries:
            return []
        waiting = _Waiting(list(entries))
        with self._lock:
            self._queue.append(waiting)
            self._waiting += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, daemon=True,
                                                name="openpesel-audit-commit")
                self._thread.start()
            else:
                self._wake.notify()
        return waiting.done.result()

    @property
    def waiting(self) -> int:
        """Callers whose entries are queued or being committed, not yet answered."""
        with self._lock:
            return self._waiting

    @property
    def running(self) -> bool:
        """Whether a committer thread is alive (it ends when idle, or at ``close``)."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Commit what is queued and end the thread; a later ``commit`` starts a new one."""
        with self._lock:
            thread = self._thread
            self._closing = True
            self._wake.notify()
        if thread is not None:
            thread.join()
        with self._lock:
            self._closing = False

    def _serve(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._commit(batch)

    def _next_batch(self) -> list[_Waiting] | None:
        """Everything queued, up to ``max_entries`` (at least one caller's); None to end."""
        with self._lock:
            while not self._queue:
                if self._closing or (not self._wake.wait(self.idle_s) and not self._queue):
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return None
            batch = [self._queue.popleft()]
            size = len(batch[0].entries)
            while self._queue and size + len(self._queue[0].entries) <= self.max_entries:
                size += len(self._queue[0].entries)
                batch.append(self._queue.popleft())
            return batch

    def _commit(self, batch: list[_Waiting]) -> None:
        """One transaction for the batch; each waiter is woken only after it committed."""
        try:
            with self.store.write() as s:
                indices = self.audit.append_many(s, [e for w in batch for e in w.entries])
        except BaseException as exc:
            self._answered(batch)
            for waiting in batch:
                waiting.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.commits += 1
        self.committed += len(indices)
        self._answered(batch)
        start = 0
        for waiting in batch:
            end = start + len(waiting.entries)
            waiting.done.set_result(indices[start:end])
            start = end

    def _answered(self, batch: list[_Waiting]) -> None:
        with self._lock:
            self._waiting -= len(batch)

"""Bulk loading of synthetic residents: the per-event path's rows, written in bulk.

``population.build`` replays a plan through ``Register`` one event at a time,
which folds, checks and projects each event with a round trip per row: right
for a clerk, hours for 38.5 million residents. This loader writes the very
same rows, chunk by chunk, with ``executemany`` on SQLite and ``COPY`` on
PostgreSQL:

- the events ``Register`` would write (``birth`` or ``foreigner_registered``
  with the payload it would store, ``residence_registered``, and ``married``
  on both spouses' records);
- ``pesel_assignments`` and the ``pesel_pools`` counters: the n-th number of a
  pool is ``permute(pool key, pool, n)`` as in ``StoreTransaction.allocate``,
  continuing from the pool's ``issued`` count and skipping numbers already
  held, so later per-event allocations can never collide;
- the projections (``persons``, ``person_names``, ``person_links`` and the
  ``name_variants`` vocabulary) as the fold gives them.

This module is the orchestration; each job has its own module:

- ``population.synth``: the residents of chunk k of seed S (pure, NumPy);
- ``population.allocate``: their numbers, from the pool counters;
- ``population.rows``: their rows, from templates;
- ``population.proof``: a sample of every chunk folded with the register's
  own code and compared with the rows (``tests/storage/test_bulk_load.py`` proves
  the whole load equal to ``Register.rebuild_projections()``);
- ``storage.bulk_writer``: all the SQL, per engine.

Progress is reported through ``on_chunk(done, total)``; drawing it is the
CLI's business.

**Resumable.** A chunk and its row in ``load_progress`` commit in one
transaction. A re-run skips the chunks marked done and regenerates the
others from ``(seed, chunk index)``, so a load killed at any moment carries on
with nothing duplicated and nothing lost.

**Concurrency.** On SQLite each chunk is one ``BEGIN IMMEDIATE`` transaction;
the chunk is numbered and built before it, on the pool counters and next
``seq`` last seen, and used only if the transaction finds them unchanged (and
none of its numbers held); otherwise it is numbered again under the lock. On
PostgreSQL the chunk locks ``pesel_pools`` in exclusive mode (per-event
allocations wait for the chunk; readers do not), and event
sequence numbers are reserved with ``nextval`` so the rows can be COPYed with
their ``seq`` known and the sequence stays ahead of every row.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from openpesel.number.order import PoolOrder
from openpesel.population.allocate import allocate, date_span, iso
from openpesel.population.proof import BulkLoadError, prove_sample, sample
from openpesel.population.rows import build_rows, event_count
from openpesel.population.synth import Residents, chunk_sizes, residents
from openpesel.storage import bulk_indexes
from openpesel.storage.bulk_writer import (
    BulkWriter,
    ChunkRows,
    Pools,
    all_pools,
    chunks_done,
    writer_for,
)
from openpesel.storage.store import Store

__all__ = ["DEFAULT_CHUNK", "BulkLoadError", "LoadReport", "OnChunk", "load_population"]

DEFAULT_CHUNK = 50_000

OnChunk = Callable[[int, int], None]
"""Called with (residents done, residents in all): once at the start, counting the chunks
an earlier run committed, then after every chunk this run settles."""


@dataclass(frozen=True)
class LoadReport:
    size: int
    seed: int
    chunk: int
    as_of: datetime.date
    chunks: int
    loaded: int
    skipped: int
    residents: int
    events: int
    seconds: float

    def summary(self) -> str:
        rate = self.residents / self.seconds if self.seconds else 0.0
        return (f"loaded {self.residents:,} residents ({self.events:,} events) in "
                f"{self.loaded} of {self.chunks} chunks, {self.skipped} already done; "
                f"{self.seconds:.1f} s, {rate:,.0f} residents/s (seed {self.seed}, "
                f"size {self.size:,}, as of {self.as_of})")


@dataclass(frozen=True)
class Prepared:
    """A chunk's rows, computed ahead on an assumed register state.

    They are written only if, inside the chunk's transaction, the pools they
    were numbered from and the next event ``seq`` are found as assumed and none
    of their numbers is held; otherwise the chunk is computed again there.
    """

    people: Residents
    issued: Pools
    seqs: Sequence[int]
    pesels: list[str]
    counters: Pools
    rows: ChunkRows


def _build(people: Residents, pesels: list[str], seqs: Sequence[int], recorded: str) -> ChunkRows:
    """The chunk's rows, proved on a sample before anyone may write them."""
    rows = build_rows(people, pesels, seqs, recorded, f"BULK/{people.seed}/{people.index}")
    prove_sample(people, rows, sample(people))
    return rows


def prepare(people: Residents, order: PoolOrder, pools: Pools, seqs: Sequence[int],
            recorded: str) -> Prepared:
    """Number and build a chunk on an assumed state (pure), before the write lock is
    taken: a live register's clerks wait only for the writing, not for this."""
    first, last = date_span(people)
    issued = {k: v for k, v in pools.items() if iso(first) <= k[0] <= iso(last)}
    pesels, counters = allocate(order, people, issued, set())
    return Prepared(people, issued, seqs, pesels, counters, _build(people, pesels, seqs, recorded))


@dataclass(frozen=True)
class Written:
    """What a committed chunk did: its counts, and the pool counters it read and left."""

    residents: int
    events: int
    pools: Pools


def _write_chunk(store: Store, writer: type[BulkWriter], seed: int, size: int, chunk: int,
                 as_of: datetime.date, order: PoolOrder, ahead: Prepared) -> Written | None:
    """Commit the chunk ``ahead`` was prepared for, with its progress row; None if done.

    ``ahead`` is used if the register is as it assumed; otherwise the chunk is
    numbered and built again here, under the lock. It touches no state shared
    with the caller, so it can run on a thread while the next chunk is prepared.
    """
    people = ahead.people
    with writer.chunk(store.engine, store.vocabulary) as w:
        if w.done(seed, size, chunk, people.index):
            return None
        first, last = date_span(people)
        issued = w.pools(iso(first), iso(last))
        if ahead.issued == issued and w.seqs_hold(ahead.seqs) and not w.held(ahead.pesels):
            counters, rows = ahead.counters, ahead.rows
        else:
            held: set[str] = set()
            while True:
                pesels, counters = allocate(order, people, issued, held)
                clash = w.held(pesels)
                if not clash:
                    break
                held |= clash
            rows = _build(people, pesels, w.seqs(event_count(people)), w.now())
        w.write(rows, counters)
        w.mark_done(seed, size, chunk, people.index, as_of, len(people), len(rows.events))
    return Written(len(people), len(rows.events), {**issued, **counters})


def load_population(store: Store, size: int, seed: int, *, chunk: int = DEFAULT_CHUNK,
                    as_of: datetime.date | None = None,
                    on_chunk: OnChunk | None = None) -> LoadReport:
    """Load ``size`` synthetic residents of population ``seed``, or finish loading them.

    ``as_of`` (default: today, or the date a resumed load started with) is the
    day the residents are alive on. ``on_chunk`` hears how far the load is
    (a progress bar, tests that act between chunks).
    """
    if size < 0 or chunk < 1 or not 0 <= seed < 2**63:
        raise BulkLoadError("size must be >= 0, chunk >= 1 and seed in 0..2^63-1.")
    started = time.perf_counter()
    earlier = chunks_done(store.engine, seed)
    with store.read() as s:
        key = s.pool_key()
    other = {(c.size, c.chunk) for c in earlier} - {(size, chunk)}
    if other:
        sz, ch = sorted(other)[0]
        raise BulkLoadError(f"Population seed {seed} was already loaded with size {sz:,} in "
                            f"chunks of {ch:,}; resume it with those, or use another seed.")
    dates = sorted(c.as_of for c in earlier)
    as_of = datetime.date.fromisoformat(dates[0]) if dates else as_of or datetime.date.today()
    done = {c.index for c in earlier}
    order = PoolOrder(key)
    counts = chunk_sizes(size, chunk)
    loaded = people = events = 0
    finished = sum(counts[i] for i in done if i < len(counts))
    if on_chunk is not None:
        on_chunk(finished, size)
    # Each chunk is numbered and built before its transaction, on the pool counters the
    # previous chunk leaves behind. Where the server writes in its own process
    # (PostgreSQL), a thread hands it chunk k while this one prepares chunk k+1 and both
    # cores work; SQLite writes in this process, where a thread would only take turns
    # with it for the GIL (docs/bulk-load.md), so it stays serial.
    writer = writer_for(store.engine)
    pools = all_pools(store.engine)
    bulk_indexes.defer(store.engine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer") as thread:
        pending: tuple[Future[Written | None], int] | None = None

        def settle(written: Written | None, count: int) -> None:
            nonlocal loaded, people, events, finished
            finished += count  # by this run, or (None) by another run of the same load
            if written is not None:
                pools.update(written.pools)
                loaded += 1
                people += written.residents
                events += written.events
            if on_chunk is not None:
                on_chunk(finished, size)

        for index, count in enumerate(counts):
            if index in done:
                continue
            batch = residents(seed, index, count, as_of)
            seqs = writer.reserve_seqs(store.engine, event_count(batch))
            ahead = prepare(batch, order, pools, seqs, writer.now())
            if pending is not None:
                settle(pending[0].result(), pending[1])
                pending = None
            # Optimistic: the next chunk assumes this one commits as prepared; if it was
            # renumbered under the lock, the next one finds out and renumbers too.
            pools.update(ahead.issued)
            pools.update(ahead.counters)
            args = (store, writer, seed, size, chunk, as_of, order, ahead)
            if writer.pipelined:
                pending = (thread.submit(_write_chunk, *args), count)
            else:
                settle(_write_chunk(*args), count)
        if pending is not None:
            settle(pending[0].result(), pending[1])
    bulk_indexes.restore(store.engine)
    return LoadReport(size=size, seed=seed, chunk=chunk, as_of=as_of, chunks=len(counts),
                      loaded=loaded, skipped=len(counts) - loaded, residents=people,
                      events=events, seconds=time.perf_counter() - started)

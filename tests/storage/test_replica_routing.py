"""Reads on a streaming replica, writes and audit entries on the primary (docs/replication.md).

A real pair: a primary, and a replica made of it with ``pg_basebackup -R``
(tests/support/replica.py). Each request runs in a context of its own, as
under uvicorn (``contextvars.Context().run``): a context that wrote reads on the
primary, one that did not reads on the replica. Which server answered is shown
two ways: ``pg_is_in_recovery()`` in the read's own session, and a person
recorded while the replica's replay is paused, whom only the primary knows.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy import create_engine

from openpesel.access.gate import Access, Gate, Principal
from openpesel.access.policy import Role
from openpesel.bootstrap import build_gate
from openpesel.config import Settings
from openpesel.errors import NotFound
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.office import born
from tests.support.postgres import url_of
from tests.support.replica import caught_up, primary_and_replica

pytestmark = pytest.mark.postgres

T = TypeVar("T")
CLERK = Access(Principal("clerk", Role.USC_REGISTRAR), "replica test")


def request(work: Callable[[], T]) -> T:
    """Run ``work`` as one request: in a fresh context, which has written nothing yet."""
    return contextvars.Context().run(work)


def in_recovery(store: Store, primary: bool = False) -> bool:
    with store.read(primary=primary) as s:
        return bool(s.conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar_one())


def audit_count(server: PostgreSQLExecutor) -> int:
    engine = create_engine(url_of(server))
    with engine.connect() as conn:
        count = int(conn.exec_driver_sql("SELECT count(*) FROM audit_entries").scalar_one())
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[PostgreSQLExecutor, PostgreSQLExecutor]]:
    with primary_and_replica(tmp_path_factory.mktemp("replication") / "pg") as servers:
        yield servers


@pytest.fixture
def routed(pair: tuple[PostgreSQLExecutor, PostgreSQLExecutor], tmp_path: Path) -> Iterator[
        tuple[Gate, Store]]:
    primary, replica = pair
    store = Store(url_of(primary), replica_url=url_of(replica))
    request(store.initialise)
    gate = build_gate(Settings(data_dir=tmp_path), Register(store))
    caught_up(primary, replica)
    yield gate, store
    gate.close()
    store.dispose()


def test_reads_go_to_the_replica_and_a_writer_reads_its_own_writes(
        routed: tuple[Gate, Store]) -> None:
    _, store = routed
    assert request(lambda: in_recovery(store))  # a read: the replica
    assert not request(lambda: in_recovery(store, primary=True))  # asked for the primary

    def write_then_read() -> tuple[bool, bool]:
        with store.write() as s:  # a write runs on the primary
            wrote_on_replica = bool(s.conn.exec_driver_sql(
                "SELECT pg_is_in_recovery()").scalar_one())
        return wrote_on_replica, in_recovery(store)  # and this request's reads follow it

    assert request(write_then_read) == (False, False)
    assert request(lambda: in_recovery(store))  # the next request reads on the replica again


def test_gate_lookups_are_served_by_the_replica_and_audited_on_the_primary(
        routed: tuple[Gate, Store], pair: tuple[PostgreSQLExecutor, PostgreSQLExecutor]) -> None:
    gate, _ = routed
    primary, replica = pair
    known = request(lambda: born(gate.register, "Zofia", "Nowak", "F", "1990-01-01")).pesel
    caught_up(primary, replica)
    before = audit_count(primary)
    with create_engine(url_of(replica), isolation_level="AUTOCOMMIT").connect() as r:
        r.exec_driver_sql("SELECT pg_wal_replay_pause()")
        try:
            hidden = request(lambda: born(gate.register, "Anna", "Kowalska", "F",
                                          "1991-02-02")).pesel
            for _ in range(5):
                assert request(lambda: gate.show(CLERK, known))["pesel"] == known
            with pytest.raises(NotFound):  # the replica has not replayed her birth yet
                request(lambda: gate.show(CLERK, hidden))
            # Every lookup's entry, the refused one too, is on the primary, none on the replica.
            assert audit_count(primary) == before + 6
            assert audit_count(replica) == before
        finally:
            r.exec_driver_sql("SELECT pg_wal_replay_resume()")
    caught_up(primary, replica)
    assert request(lambda: gate.show(CLERK, hidden))["pesel"] == hidden
    assert audit_count(replica) == before + 7


def test_a_replica_that_is_down_sends_reads_to_the_primary(
        routed: tuple[Gate, Store], pair: tuple[PostgreSQLExecutor, PostgreSQLExecutor],
        caplog: pytest.LogCaptureFixture) -> None:
    _, store = routed
    _, replica = pair
    assert request(lambda: in_recovery(store))
    replica.stop()
    try:
        assert not request(lambda: in_recovery(store))  # answered, by the primary
        assert "read replica cannot be reached" in caplog.text
    finally:
        replica.start()


def test_restarted_servers_are_reconnected_at_begin_without_a_ping(
        routed: tuple[Gate, Store], pair: tuple[PostgreSQLExecutor, PostgreSQLExecutor],
        caplog: pytest.LogCaptureFixture) -> None:
    """No ping precedes a transaction: a pooled connection that died fails its BEGIN, and
    the store begins once more on a fresh one (the failover or restart goes unnoticed)."""
    _, store = routed
    primary, replica = pair

    def write() -> bool:
        with store.write() as s:
            return bool(s.conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar_one())

    assert request(lambda: in_recovery(store)) and not request(write)  # both pools hold one
    for server in (replica, primary):
        server.stop()
        server.start()
    assert not request(write)
    assert request(lambda: in_recovery(store))  # the replica again, not the fallback
    assert "cannot be reached" not in caplog.text

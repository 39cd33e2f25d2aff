"""Running out of room and losing the database: a clear refusal, no damage, and recovery.

A full disk is SQLite's ``PRAGMA max_page_count`` lowered to the file's current
size on every connection the pool hands out (SQLite then fails a write with
SQLITE_FULL, exactly as on a full filesystem); raising it again is the room
coming back. A database that goes away is a throw-away PostgreSQL server of
the test's own (tests/support/postgres.py) stopped with ``pg_ctl stop -m
immediate`` while requests are arriving, then started again. Neither test
restarts the API server or rebuilds the ``Store``: recovery must happen by itself.
"""

from __future__ import annotations

import datetime
import itertools
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.cli.test_cli import Cli
from tests.support.invariants import assert_sound
from tests.support.live import live_server
from tests.support.office import born, count_events
from tests.support.postgres import crashable_server, url_of

UNLIMITED_PAGES = 4_294_967_294
_days = itertools.count(1)


def _birth_body() -> dict[str, Any]:
    on = datetime.date(1980, 1, 1) + datetime.timedelta(days=next(_days))
    return {"kind": "birth", "document_ref": f"USC/fault/{on}", "payload": {
        "first_names": ["Jan"], "family_name": "Kowalski", "sex": "M",
        "birth_date": on.isoformat(), "birth_place": "Kraków"}}


def _cli_birth(cli: Cli, code: int = 0) -> str:
    on = (datetime.date(1970, 1, 1) + datetime.timedelta(days=next(_days))).isoformat()
    return cli("record", "birth", "-d", "USC/cli", "-f", "first_names=Ewa", "-f",
               "family_name=Nowak", "-f", "sex=F", "-f", f"birth_date={on}", "-f",
               "birth_place=Opole", code=code)


def _audit_size(register: Register[Store]) -> int:
    with register.store.read() as s:
        return s.count("audit_entries")


def _is_problem(r: httpx.Response, slug: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == f"/problems/{slug}", body
    for driver_word in ("sqlite", "psycopg", "errno", "connection to server"):
        assert driver_word not in body["detail"].lower(), body["detail"]


@pytest.fixture
def page_limit() -> Iterator[list[int]]:
    """The largest SQLite file, in pages, every pooled connection is allowed from now on."""
    limit = [UNLIMITED_PAGES]

    def cap(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.execute(f"PRAGMA max_page_count={limit[0]}")

    event.listen(Pool, "checkout", cap)
    try:
        yield limit
    finally:
        event.remove(Pool, "checkout", cap)


def test_a_full_disk_is_refused_clearly_and_the_register_recovers(
        tmp_path: Path, page_limit: list[int]) -> None:
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    store = Store(url)
    store.initialise()
    register = Register(store)
    born(register, "Zofia", "Nowak", "F", "1990-01-01")
    cli = Cli(url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    with live_server(register, Settings(data_dir=tmp_path)) as live, \
            live.as_("usc_registrar") as clerk:
        assert clerk.post("/events", json=_birth_body()).status_code == 201
        with store.read() as s:
            page_limit[0] = int(s.conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        refused = None
        for _ in range(500):  # the last pages' free room fills first
            events, audited = count_events(register), _audit_size(register)
            r = clerk.post("/events", json=_birth_body())
            if r.status_code != 201:
                refused = r
                break
        assert refused is not None, "the capped file never filled"
        _is_problem(refused, "storage-full")
        assert (count_events(register), _audit_size(register)) == (events, audited)
        err = _cli_birth(cli, code=8)
        assert err.startswith("error: The register's disk is full") and err.count("\n") == 1
        assert (count_events(register), _audit_size(register)) == (events, audited)

        page_limit[0] = UNLIMITED_PAGES  # room again: no restart, the next write succeeds
        assert clerk.post("/events", json=_birth_body()).status_code == 201
        _cli_birth(cli)
        assert count_events(register) == events + 2
    with store.read() as s:
        assert s.conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    assert_sound(register, tmp_path)
    store.dispose()


@pytest.mark.postgres  # a server of its own, not the session's pg_url
def test_postgres_going_away_mid_request_is_refused_clearly_and_recovered_from(
        tmp_path: Path) -> None:
    with crashable_server(tmp_path / "pg") as server:
        url = url_of(server)
        store = Store(url)
        store.initialise()
        register = Register(store)
        first = born(register, "Zofia", "Nowak", "F", "1990-01-01").pesel
        acknowledged: list[str] = []
        failures: list[httpx.Response] = []
        stop = threading.Event()
        with live_server(register, Settings(data_dir=tmp_path)) as live, \
                live.as_("usc_registrar") as clerk:

            def write() -> None:
                while not stop.is_set():
                    r = clerk.post("/events", json=_birth_body())
                    if r.status_code == 201:
                        acknowledged.append(r.json()["pesel"])
                    else:
                        failures.append(r)

            writer = threading.Thread(target=write)
            writer.start()
            try:
                while len(acknowledged) < 10:
                    stop.wait(0.01)
                server.crash()  # mid-stream: requests are in flight
                while len(failures) < 5:
                    stop.wait(0.01)
            finally:
                stop.set()
                writer.join()
            for r in failures:
                _is_problem(r, "storage-unavailable")
            cli = Cli(url)
            err = cli("show", first, code=8)
            assert err.startswith("error: The register's database cannot be reached")
            assert err.count("\n") == 1

            server.start()  # back: the same server process carries on
            r = clerk.post("/events", json=_birth_body())
            assert r.status_code == 201, r.text
            acknowledged.append(r.json()["pesel"])
            assert clerk.get(f"/persons/{first}").status_code == 200
        for pesel in acknowledged:
            assert register.show(pesel)["pesel"] == pesel
        assert_sound(register, tmp_path)
        store.dispose()

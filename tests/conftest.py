"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.support.postgres import FAST, PG_CTL, url_of

_counter = itertools.count()

pg_server = factories.postgresql_proc(executable=str(PG_CTL), postgres_options=FAST)
"""One throw-away PostgreSQL server for the session, started by the first test that needs it."""


@pytest.fixture(scope="session")
def pg_url(pg_server: PostgreSQLExecutor) -> str:
    return url_of(pg_server)


def fresh_postgres(server_url: str) -> str:
    """A new empty database on the shared test server."""
    name = f"t{next(_counter)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.sqlite'}"
    return fresh_postgres(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.initialise()
    yield s
    s.dispose()


class Clock:
    """Transaction time under the test's control: each reading is one second later."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def register(store: Store, clock: Clock) -> Register:
    return Register(store, clock=clock)


RegisterFactory = Callable[[], Register]


@pytest.fixture
def make_register(request: pytest.FixtureRequest, store_url: str, tmp_path: Path,
                  clock: Clock) -> Iterator[RegisterFactory]:
    """More empty registers on the same engine as ``register`` (an import's target, say)."""
    stores: list[Store] = []

    def make() -> Register:
        if store_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'other{len(stores)}.sqlite'}"
        else:
            url = fresh_postgres(request.getfixturevalue("pg_url"))
        stores.append(Store(url))
        stores[-1].initialise()
        return Register(stores[-1], clock=clock)

    yield make
    for store in stores:
        store.dispose()


_SERVER_FILES = {"test_abis.py", "test_adjudication_interfaces.py", "test_admin_audited.py",
                 "test_api.py", "test_audit_witness.py", "test_backup.py", "test_cli.py",
                 "test_cli_inputs.py", "test_exit_codes.py", "test_fingerprint_enrolment.py",
                 "test_four_eyes.py", "test_http_edge.py", "test_web.py"}
_SLOW_FILES = {"test_readme.py", "test_openapi_contract.py", "test_register_stateful.py",
               "test_automatic_stateful.py",
               "test_identification_ray.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers from what a test needs, so ``make check`` can leave the heavy ones out.

    A test is ``postgres`` when it runs on the PostgreSQL store, ``browser`` when
    it drives Chromium (it uses the ``browser`` fixture, perhaps through ``context``),
    ``fault`` when it lives in ``tests/faults`` (or says so itself, as the image-intake
    fuzzing in ``tests/biometrics`` does), and ``slow`` or ``server`` (starts uvicorn
    or the CLI as a process) by its file.
    """
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        names = set(getattr(item, "fixturenames", ()))
        if "postgresql" in params.values() or "pg_url" in names:
            item.add_marker(pytest.mark.postgres)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)
        if item.path.parent.name == "faults":
            item.add_marker(pytest.mark.fault)
        if item.path.name in _SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        if item.path.name in _SERVER_FILES:
            item.add_marker(pytest.mark.server)

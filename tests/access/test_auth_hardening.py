"""Issue 14, authentication: TOTP replay, the login brake, timing, token binding, backups."""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from openpesel.access import credentials
from openpesel.access.audit import AuditLog
from openpesel.access.brake import Brake, BrakePolicy
from openpesel.access.gate import Gate
from openpesel.bootstrap.asgi import create_app
from openpesel.registry.service import Register
from openpesel.storage import accounts, backup, schema as t
from openpesel.storage.store import TOKEN_KEY, Store
from tests.conftest import fresh_postgres

SECRET = "correct horse battery"
T0 = datetime.datetime(2026, 3, 2, 10, 0, 5, tzinfo=datetime.UTC)  # 5 s into a TOTP step
STEP = datetime.timedelta(seconds=30)


class Frozen:
    """A clock that stands still until the test moves it: waits are measured exactly."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


def make_gate(store: Store, clock: Frozen) -> Gate:
    return Gate(Register(store, clock=clock), AuditLog(Ed25519PrivateKey.generate()))


def add(gate: Gate, name: str, role: str = "usc_registrar", totp: str | None = None,
        active: bool = True) -> None:
    """Straight into storage: these tests are about logging in, not about creating accounts."""
    with gate.store.write() as s:
        accounts.add(s, accounts.Account(name, role, name, credentials.hash_secret(SECRET),
                                         totp, None, active), gate.clock())


def outcomes(gate: Gate, name: str) -> list[str]:
    with gate.store.read() as s:
        newest_first = gate.audit.entries(s, 0, 1000)
    return [e.outcome for _, e in reversed(newest_first) if e.principal == name]


@pytest.fixture
def frozen() -> Frozen:
    return Frozen()


@pytest.fixture
def gate(store: Store, frozen: Frozen) -> Gate:
    return make_gate(store, frozen)


@pytest.fixture
def sqlite_gate(tmp_path: Path, frozen: Frozen) -> Iterator[Gate]:
    store = Store(f"sqlite:///{tmp_path / 'register.sqlite'}")
    store.initialise()
    yield make_gate(store, frozen)
    store.dispose()


# -- #4: a TOTP code is good once ------------------------------------------------------


def test_a_totp_code_is_good_once_and_an_earlier_step_never(gate: Gate, frozen: Frozen
                                                            ) -> None:
    secret = credentials.new_totp_secret()
    add(gate, "ewa", "resident", totp=secret)
    code = credentials.totp_now(secret, frozen.now)
    gate.login("ewa", SECRET, code)
    with pytest.raises(credentials.AuthError):
        gate.login("ewa", SECRET, code)  # replayed within its step
    earlier = credentials.totp_now(secret, frozen.now - STEP)
    assert earlier != code
    with pytest.raises(credentials.AuthError):
        gate.login("ewa", SECRET, earlier)  # still inside the drift window, but older
    frozen.now += STEP
    gate.login("ewa", SECRET, credentials.totp_now(secret, frozen.now))  # the next code works
    assert outcomes(gate, "ewa") == ["allowed", "denied", "denied", "allowed"]


def test_a_code_of_the_next_step_uses_that_step_up(gate: Gate, frozen: Frozen) -> None:
    """A phone a little fast sends the next step's code; the current one is then spent too."""
    secret = credentials.new_totp_secret()
    add(gate, "ewa", "resident", totp=secret)
    gate.login("ewa", SECRET, credentials.totp_now(secret, frozen.now + STEP))
    with pytest.raises(credentials.AuthError):
        gate.login("ewa", SECRET, credentials.totp_now(secret, frozen.now))


# -- #5: the login brake ---------------------------------------------------------------


def test_failed_logins_make_that_address_wait_longer_and_longer(gate: Gate, frozen: Frozen
                                                                ) -> None:
    add(gate, "anna")
    for _ in range(5):
        with pytest.raises(credentials.AuthError) as refused:
            gate.login("anna", "wrong guess", address="10.0.0.66")
        assert not isinstance(refused.value, credentials.LoginThrottled)
    with pytest.raises(credentials.LoginThrottled) as braked:
        gate.login("anna", SECRET, address="10.0.0.66")  # even the right secret waits
    assert braked.value.retry_after == 1
    assert outcomes(gate, "anna")[-1] == "throttled"
    gate.login("anna", SECRET, address="10.0.0.7")  # her own machine is not locked out

    waits: list[int] = []
    for _ in range(4):
        frozen.now += datetime.timedelta(seconds=waits[-1] if waits else 1)
        with pytest.raises(credentials.AuthError):
            gate.login("anna", "wrong again", address="10.0.0.66")
        with pytest.raises(credentials.LoginThrottled) as braked:
            gate.login("anna", "and again", address="10.0.0.66")
        waits.append(braked.value.retry_after)
    assert waits == [2, 4, 8, 16]

    frozen.now += datetime.timedelta(seconds=16)
    gate.login("anna", SECRET, address="10.0.0.66")  # a success clears the pair
    with pytest.raises(credentials.AuthError) as refused:
        gate.login("anna", "typo", address="10.0.0.66")
    assert not isinstance(refused.value, credentials.LoginThrottled)


def test_the_wait_has_a_ceiling_and_is_forgotten_after_a_day(sqlite_gate: Gate,
                                                            frozen: Frozen) -> None:
    sqlite_gate.brake = Brake(BrakePolicy(free_failures=1,
                                          longest_wait=datetime.timedelta(seconds=5)))
    add(sqlite_gate, "anna")
    for expected in (1, 2, 4, 5, 5):
        with pytest.raises(credentials.AuthError):
            sqlite_gate.login("anna", "wrong", address="a")
        with pytest.raises(credentials.LoginThrottled) as braked:
            sqlite_gate.login("anna", "wrong", address="a")
        assert braked.value.retry_after == expected
        frozen.now += datetime.timedelta(seconds=expected)
    frozen.now += datetime.timedelta(days=1, seconds=1)
    with pytest.raises(credentials.AuthError):
        sqlite_gate.login("anna", "wrong", address="a")
    with pytest.raises(credentials.LoginThrottled) as braked:
        sqlite_gate.login("anna", "wrong", address="a")
    assert braked.value.retry_after == 1  # counting started afresh


def test_guessing_from_many_addresses_slows_strangers_but_not_familiar_ones(
        gate: Gate, frozen: Frozen) -> None:
    gate.brake = Brake(BrakePolicy(account_failures=6))
    add(gate, "anna")
    gate.login("anna", SECRET, address="office")  # the office's machine becomes familiar
    for bot in range(6):
        frozen.now += datetime.timedelta(seconds=1)
        with pytest.raises(credentials.AuthError):
            gate.login("anna", "guess", address=f"bot-{bot}")
    with pytest.raises(credentials.LoginThrottled) as braked:
        gate.login("anna", SECRET, address="bot-99")
    assert braked.value.retry_after == 30
    gate.login("anna", SECRET, address="office")  # the attack does not lock her out
    frozen.now += datetime.timedelta(seconds=30)
    gate.login("anna", SECRET, address="home")  # nor, between guesses, from elsewhere


def test_unknown_names_are_braked_like_known_ones(gate: Gate) -> None:
    """Otherwise a 429 for one name and 401s for another would tell which exists."""
    add(gate, "anna")
    for name in ("anna", "nobody"):
        for _ in range(5):
            with pytest.raises(credentials.AuthError):
                gate.login(name, "guess", address="x")
        with pytest.raises(credentials.LoginThrottled):
            gate.login(name, "guess", address="x")
    assert outcomes(gate, "nobody")[-1] == "throttled"


def test_a_braked_login_is_a_429_problem_with_retry_after(sqlite_gate: Gate) -> None:
    add(sqlite_gate, "anna")
    client = TestClient(create_app(sqlite_gate))
    body = {"username": "anna", "secret": "wrong guess"}
    assert [client.post("/api/v1/auth/token", json=body).status_code
            for _ in range(5)] == [401] * 5
    r = client.post("/api/v1/auth/token", json=body | {"secret": SECRET})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "1"
    assert r.json()["type"] == "/problems/login-throttled"
    assert "1 seconds" in r.json()["detail"]


# -- #6: no timing oracle for names ----------------------------------------------------


def test_unknown_and_deactivated_names_cost_the_same_argon2_work(
        sqlite_gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    add(sqlite_gate, "anna")
    add(sqlite_gate, "gone", active=False)
    credentials.check_secret_or_decoy(None, "warm the decoy up")
    verified: list[str] = []
    real = credentials._hasher

    class Counting:
        @staticmethod
        def verify(stored: str, secret: str) -> Any:
            verified.append(secret)
            return real.verify(stored, secret)

    monkeypatch.setattr(credentials, "_hasher", Counting())
    for name in ("anna", "nobody", "gone"):
        with pytest.raises(credentials.AuthError):
            sqlite_gate.login(name, f"guess for {name}", address=name)
    assert verified == ["guess for anna", "guess for nobody", "guess for gone"]
    with pytest.raises(credentials.AuthError):
        sqlite_gate.login("gone", SECRET, address="gone")  # the right secret changes nothing


# -- #11: tokens are bound to their principal, and backups cannot mint them -------------


def test_a_token_row_counts_only_for_its_own_principal(gate: Gate) -> None:
    add(gate, "bank", "bank")
    add(gate, "root", "admin")
    issued = gate.login("bank", SECRET)
    claims = credentials.read(gate.store.secret(TOKEN_KEY), issued.token, gate.clock())
    assert gate.authenticate(issued.token).name == "bank"
    forged = jwt.encode({"iss": credentials.ISSUER, "sub": "root", "role": "admin",
                         "jti": claims.jti, "iat": int(gate.clock().timestamp()),
                         "exp": int(claims.expires_at.timestamp())},
                        gate.store.secret(TOKEN_KEY), algorithm="HS256")
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(forged)


def _twin(store_url: str, tmp_path: Path) -> Store:
    if store_url.startswith("sqlite"):
        return Store(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    return Store(fresh_postgres(store_url))


def test_a_backup_carries_no_token_key_and_a_restore_makes_its_own(
        gate: Gate, store_url: str, tmp_path: Path) -> None:
    add(gate, "bank", "bank")
    live_key = gate.store.secret(TOKEN_KEY)
    issued = gate.login("bank", SECRET)
    target = tmp_path / "register.bak"
    backup.backup(gate.store, target)
    if store_url.startswith("sqlite"):
        raw = target.read_bytes()
        assert live_key not in raw
        with sqlite3.connect(target) as copy:
            assert copy.execute("SELECT count(*) FROM local_secrets").fetchone() == (0,)
    twin = _twin(store_url, tmp_path)
    backup.restore(target, twin)
    restored_key = twin.secret(TOKEN_KEY)
    assert restored_key != live_key and len(restored_key) == 32
    with twin.read() as s:
        kept = list(s.conn.execute(select(t.register_meta.c.value)).scalars())
    assert live_key not in [bytes(v) for v in kept]
    restored = make_gate(twin, Frozen())
    with pytest.raises(credentials.TokenInvalid):
        restored.authenticate(issued.token)  # the live register's tokens mean nothing here
    assert gate.authenticate(issued.token).name == "bank"  # and still work there
    twin.dispose()


def test_upgrading_retires_the_token_key_that_earlier_backups_carry(tmp_path: Path) -> None:
    """Before revision 0007 the key sat in register_meta; the upgrade makes a new one."""
    from importlib import resources

    from alembic import command
    from alembic.config import Config

    store = Store(f"sqlite:///{tmp_path / 'old.sqlite'}")
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("openpesel.storage") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(t.register_meta.insert(), [{"name": "token_key", "value": b"k" * 32},
                                                {"name": "pool_key", "value": b"p" * 32}])
    store.initialise()
    assert store.secret(TOKEN_KEY) != b"k" * 32
    with store.read() as s:
        names = set(s.conn.execute(select(t.register_meta.c.name)).scalars())
    assert names == {"pool_key"} and store.secret("pool_key") == b"p" * 32
    store.dispose()


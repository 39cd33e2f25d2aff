"""The audited hot path made cheaper (issue 17) stays exactly as strict.

A bearer token's signature is verified once and cached (``access/token_cache.py``),
yet a revoked token, a deactivated account, an expired token and a renewed
signing key are refused as before; every check still leaves its audit entry;
and the reservation lookup on the driver's cursor answers what SQLAlchemy
Core's statement answers, on both engines.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, update

from openpesel.access import credentials
from openpesel.access.audit import AuditLog
from openpesel.access.authentication import AUTH_CACHE_SECONDS
from openpesel.access.gate import Access, Gate, Principal, console
from openpesel.access.policy import Role
from openpesel.access.token_cache import TokenCache, Verified
from openpesel.registry.service import Register
from openpesel.storage import schema as t
from openpesel.storage.numbers import _RESERVATION
from openpesel.storage.store import TOKEN_KEY, Store
from tests.support.office import born

SECRET = "correct horse battery"
T0 = datetime.datetime(2026, 3, 2, 10, 0, 5, tzinfo=datetime.UTC)


class Frozen:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock() -> Frozen:
    return Frozen()


@pytest.fixture
def gate(store: Store, clock: Frozen) -> Gate:
    g = Gate(Register(store, clock=clock), AuditLog(Ed25519PrivateKey.generate()))
    g.add_principal(console("test set-up"), "bank", Role.BANK, SECRET)
    return g


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature ``credentials.read`` verified, in order."""
    verified: list[str] = []
    real = credentials.read

    def counting(key: bytes, token: str, now: datetime.datetime) -> credentials.Claims:
        verified.append(token)
        return real(key, token, now)

    monkeypatch.setattr(credentials, "read", counting)
    return verified


def test_a_verified_token_is_not_verified_again(gate: Gate, reads: list[str]) -> None:
    token = gate.login("bank", SECRET).token
    first = gate.authenticate(token)
    for _ in range(5):
        assert gate.authenticate(token) == first
    assert reads == [token]


def test_another_string_is_verified_in_full(gate: Gate, reads: list[str]) -> None:
    token = gate.login("bank", SECRET).token
    gate.authenticate(token)
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(tampered)
    assert reads == [token, tampered]


def test_a_deactivated_account_is_refused_at_once_though_cached(gate: Gate) -> None:
    token = gate.login("bank", SECRET).token
    gate.authenticate(token)
    gate.deactivate(console("test"), "bank")
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(token)


def test_a_revoked_token_is_refused_at_once_though_cached(gate: Gate) -> None:
    token = gate.login("bank", SECRET).token
    who = gate.authenticate(token)
    gate.revoke(who)
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(token)


def test_a_revocation_elsewhere_is_seen_within_the_recheck_interval(
        gate: Gate, clock: Frozen, reads: list[str]) -> None:
    """Another worker revoked it (straight in the database): seen within AUTH_CACHE_SECONDS,
    and without verifying the signature again meanwhile."""
    token = gate.login("bank", SECRET).token
    gate.authenticate(token)
    with gate.store.write() as s:
        s.conn.execute(update(t.tokens).values(revoked_at=clock()))
    assert gate.authenticate(token).name == "bank"  # within the interval, as before
    clock.now += datetime.timedelta(seconds=AUTH_CACHE_SECONDS)
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(token)
    assert reads == [token]


def test_an_expired_token_is_refused_even_if_cached(gate: Gate, clock: Frozen) -> None:
    issued = gate.login("bank", SECRET)
    gate.authenticate(issued.token)
    clock.now = issued.expires_at - datetime.timedelta(seconds=1)
    assert gate.authenticate(issued.token).name == "bank"
    clock.now = issued.expires_at
    with pytest.raises(credentials.TokenExpired):
        gate.authenticate(issued.token)


def test_a_renewed_signing_key_refuses_a_cached_token(gate: Gate) -> None:
    token = gate.login("bank", SECRET).token
    gate.authenticate(token)
    gate.store.renew_secret(TOKEN_KEY)
    with pytest.raises(credentials.TokenInvalid):
        gate.authenticate(token)


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = TokenCache(max_entries=2)
    entry = Verified(Principal("bank", Role.BANK), b"k", T0, T0)
    cache.put("a", entry)
    cache.put("b", entry)
    assert cache.get("a") is entry  # "a" used: "b" is now the oldest
    cache.put("c", entry)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is entry


def test_every_check_is_still_audited(gate: Gate) -> None:
    pesel = born(gate.register, "Jan", "Nowak", "M", "1980-01-01").pesel
    token = gate.login("bank", SECRET).token
    with gate.store.read() as s:
        before = gate.audit.size(s)
    receipts = []
    for _ in range(3):
        bank = Access(gate.authenticate(token), "credit application")
        receipts.append(gate.check_reservation(bank, pesel).check_id)
    with gate.store.read() as s:
        assert gate.audit.size(s) == before + 3
        newest = gate.audit.entries(s, 0, 3)
    assert sorted(receipts) == sorted(i for i, _ in newest)
    assert {(e.principal, e.action, e.pesel) for _, e in newest} == {("bank", "check", pesel)}


def _reservation_rows(store: Store) -> dict[str, tuple[Any, Any]]:
    """Three reservations: held for good, withdrawn at a moment, and one not yet begun."""
    rows = {"44051401359": (T0 - datetime.timedelta(days=3), None),
            "02070803628": (T0 - datetime.timedelta(days=1), T0 + datetime.timedelta(hours=1)),
            "90090515836": (T0 + datetime.timedelta(minutes=5), None)}
    with store.write() as s:
        for pesel, (since, until) in rows.items():
            s.conn.execute(insert(t.reservations).values(pesel=pesel, person_id=uuid.uuid4(),
                                                         since=since, withdraw_at=until))
    return rows


def test_the_driver_lookup_answers_as_the_core_statement_does(store: Store) -> None:
    rows = _reservation_rows(store)
    r = t.reservations.c
    moments = [T0, T0 + datetime.timedelta(minutes=10), T0 + datetime.timedelta(hours=2)]
    with store.read() as s:
        for pesel in [*rows, "81010200131"]:
            core = s.conn.execute(select(r.since, r.withdraw_at).where(r.pesel == pesel)).first()
            driver = s.one(_RESERVATION, pesel)
            assert (None if core is None else tuple(core)) == driver
            for moment in moments:
                expected = core is not None and _held(core, moment)
                assert s.reserved(pesel, moment) is expected, (pesel, moment)
    with store.read() as s:
        assert [s.reserved(p, T0) for p in rows] == [True, True, False]


def _held(row: Any, moment: datetime.datetime) -> bool:
    def utc(v: datetime.datetime | None) -> datetime.datetime | None:
        return v.replace(tzinfo=datetime.UTC) if v is not None and v.tzinfo is None else v
    since, until = utc(row[0]), utc(row[1])
    assert since is not None
    return since <= moment and (until is None or moment < until)

"""Principals, tokens, TOTP steps and failed logins: the access layer's only storage."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update

from openpesel.storage import schema as t
from openpesel.storage.auth_tables import login_failures, totp_steps
from openpesel.storage.event_log import utc
from openpesel.storage.store import StoreTransaction

# A token row counts only for the principal it was issued to: whoever could forge a
# signature must not reuse another principal's live jti under a different ``sub``.
_TOKEN_STATE = select(t.tokens.c.revoked_at, t.principals.c.active).join(
    t.principals, t.principals.c.name == t.tokens.c.principal
).where(t.tokens.c.jti == bindparam("jti"), t.tokens.c.principal == bindparam("principal"))


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    display_name: str
    secret_hash: str
    totp_secret: str | None
    person_id: uuid.UUID | None
    active: bool


def add(s: StoreTransaction, account: Account, now: datetime.datetime) -> None:
    s.conn.execute(insert(t.principals).values(
        name=account.name, role=account.role, display_name=account.display_name,
        secret_hash=account.secret_hash, totp_secret=account.totp_secret,
        person_id=account.person_id, active=account.active, created_at=now))


def find(s: StoreTransaction, name: str) -> Account | None:
    row = s.conn.execute(select(t.principals).where(t.principals.c.name == name)).first()
    return None if row is None else _account(row)


def _account(row: Any) -> Account:
    return Account(row.name, row.role, row.display_name, row.secret_hash, row.totp_secret,
                   row.person_id, row.active)


def all_accounts(s: StoreTransaction, after: str | None = None,
                 limit: int | None = None) -> list[Account]:
    """Principals by name, after ``after``, at most ``limit`` (a page: one index range)."""
    p = t.principals.c
    query = select(t.principals).order_by(p.name).limit(limit)
    if after is not None:
        query = query.where(p.name > after)
    return [_account(r) for r in s.conn.execute(query)]


def deactivate(s: StoreTransaction, name: str) -> bool:
    """A deactivated principal's tokens stop working at once."""
    done = s.conn.execute(update(t.principals).values(active=False)
                          .where(t.principals.c.name == name))
    return bool(done.rowcount)


def remember_token(s: StoreTransaction, jti: str, principal: str, issued: datetime.datetime,
                   expires: datetime.datetime) -> None:
    s.conn.execute(insert(t.tokens).values(jti=jti, principal=principal, issued_at=issued,
                                           expires_at=expires))


def token_usable(s: StoreTransaction, jti: str, principal: str) -> bool:
    """Issued to ``principal`` (the token's ``sub``), not revoked, and its principal active."""
    row = s.conn.execute(_TOKEN_STATE, {"jti": jti, "principal": principal}).first()
    return row is not None and row.revoked_at is None and bool(row.active)


def revoke_token(s: StoreTransaction, jti: str, now: datetime.datetime) -> bool:
    done = s.conn.execute(update(t.tokens).values(revoked_at=now).where(
        t.tokens.c.jti == jti, t.tokens.c.revoked_at.is_(None)))
    return bool(done.rowcount)


def _upsert(s: StoreTransaction, table: Table, keys: dict[str, Any], values: dict[str, Any],
            where: Any = None) -> int:
    """Insert a row, or update the one with these keys (only ``where`` it holds); rows touched."""
    statement = s.dialect_insert(table).values(**keys, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys], set_=values, where=where)
    # RETURNING, not rowcount: SQLAlchemy reports -1 for PostgreSQL's INSERT ... ON CONFLICT.
    return len(s.conn.execute(statement.returning(table.c[next(iter(keys))])).all())


def use_totp_step(s: StoreTransaction, principal: str, step: int) -> bool:
    """Record ``step`` as the principal's last TOTP step; False if it or a later one was used.

    One conditional upsert, so two logins racing with the same code cannot both win.
    """
    return bool(_upsert(s, totp_steps, {"principal": principal}, {"last_step": step},
                        where=totp_steps.c.last_step < step))


@dataclass(frozen=True)
class Attempts:
    """Failed logins of one name from one address, and when it last logged in from there."""

    failures: int
    last_failure_at: datetime.datetime | None
    blocked_until: datetime.datetime | None
    last_success_at: datetime.datetime | None


_f = login_failures.c


def attempts(s: StoreTransaction, name: str, address: str) -> Attempts | None:
    row = s.conn.execute(select(login_failures).where(
        _f.name == name, _f.address == address)).first()
    if row is None:
        return None
    return Attempts(row.failures, utc(row.last_failure_at), utc(row.blocked_until),
                    utc(row.last_success_at))


def failures_since(s: StoreTransaction, name: str, since: datetime.datetime,
                   ) -> tuple[int, datetime.datetime | None]:
    """How many failed logins ``name`` had, from any address, since ``since``; the latest."""
    count, latest = s.conn.execute(select(func.coalesce(func.sum(_f.failures), 0),
                                          func.max(_f.last_failure_at)).where(
        _f.name == name, _f.last_failure_at >= since)).one()
    return int(count), utc(latest)


def record_failure(s: StoreTransaction, name: str, address: str, failures: int,
                   at: datetime.datetime, blocked_until: datetime.datetime | None) -> None:
    _upsert(s, login_failures, {"name": name, "address": address},
            {"failures": failures, "last_failure_at": at, "blocked_until": blocked_until})


def record_success(s: StoreTransaction, name: str, address: str, at: datetime.datetime) -> None:
    _upsert(s, login_failures, {"name": name, "address": address},
            {"failures": 0, "last_failure_at": None, "blocked_until": None,
             "last_success_at": at})


def forget_failures(s: StoreTransaction, before: datetime.datetime) -> None:
    """Drop stale failures of names never logged in with (guessed names, mostly)."""
    s.conn.execute(delete(login_failures).where(_f.last_failure_at < before,
                                                _f.last_success_at.is_(None)))

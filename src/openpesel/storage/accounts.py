"""Principals and tokens in the database: the access layer's only storage."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from openpesel.storage import schema as t
from openpesel.storage.store import Session

_TOKEN_STATE = select(t.tokens.c.revoked_at, t.principals.c.active).join(
    t.principals, t.principals.c.name == t.tokens.c.principal
).where(t.tokens.c.jti == bindparam("jti"))


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    display_name: str
    secret_hash: str
    totp_secret: str | None
    person_id: uuid.UUID | None
    active: bool


def add(s: Session, account: Account, now: datetime.datetime) -> None:
    s.conn.execute(insert(t.principals).values(
        name=account.name, role=account.role, display_name=account.display_name,
        secret_hash=account.secret_hash, totp_secret=account.totp_secret,
        person_id=account.person_id, active=account.active, created_at=now))


def find(s: Session, name: str) -> Account | None:
    row = s.conn.execute(select(t.principals).where(t.principals.c.name == name)).first()
    if row is None:
        return None
    return Account(row.name, row.role, row.display_name, row.secret_hash, row.totp_secret,
                   row.person_id, row.active)


def all_accounts(s: Session) -> list[Account]:
    rows = s.conn.execute(select(t.principals.c.name).order_by(t.principals.c.name)).scalars()
    return [a for a in (find(s, n) for n in rows) if a is not None]


def deactivate(s: Session, name: str) -> bool:
    """A deactivated principal's tokens stop working at once."""
    done = s.conn.execute(update(t.principals).values(active=False)
                          .where(t.principals.c.name == name))
    return bool(done.rowcount)


def remember_token(s: Session, jti: str, principal: str, issued: datetime.datetime,
                   expires: datetime.datetime) -> None:
    s.conn.execute(insert(t.tokens).values(jti=jti, principal=principal, issued_at=issued,
                                           expires_at=expires))


def token_usable(s: Session, jti: str) -> bool:
    row = s.conn.execute(_TOKEN_STATE, {"jti": jti}).first()
    return row is not None and row.revoked_at is None and bool(row.active)


def revoke_token(s: Session, jti: str, now: datetime.datetime) -> bool:
    done = s.conn.execute(update(t.tokens).values(revoked_at=now).where(
        t.tokens.c.jti == jti, t.tokens.c.revoked_at.is_(None)))
    return bool(done.rowcount)

"""Logging in: a secret (and a resident's TOTP code) for a bearer token, audited either way.

What a login must not give away or allow (issue 14):

- *Which names exist.* Unknown and deactivated names cost the same argon2
  work as known ones (``credentials.check_secret_or_decoy``), and the brake
  counts their failures the same way.
- *A second use of a TOTP code.* The time step a code belongs to is recorded
  in the login's own transaction; that step and earlier ones are refused after.
- *Unlimited guessing.* ``access/brake.py`` slows failed logins per name and
  address, and per name from unfamiliar addresses; a braked attempt is refused
  with ``LoginThrottled`` before any password is checked, and audited as
  ``throttled``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from openpesel.access import credentials
from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.brake import Brake
from openpesel.storage import accounts
from openpesel.storage.store import TOKEN_KEY, StoreTransaction


class Front(Protocol):
    """What a login needs of the door it comes through (``Authentication``, the gate's)."""

    store: Any
    audit: AuditLog
    clock: Callable[[], datetime.datetime]
    brake: Brake
    token_ttl: datetime.timedelta


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime.datetime
    role: str


def _audit(gate: Front, s: StoreTransaction, name: str, account: accounts.Account | None,
           outcome: str, at: datetime.datetime) -> None:
    gate.audit.append(s, AuditEntry(
        principal=name, role=account.role if account else "unknown", purpose="login",
        action="login", person_id=account.person_id if account else None, outcome=outcome,
        at=at))


def log_in(gate: Front, name: str, secret: str, totp: str | None, address: str) -> IssuedToken:
    now = gate.clock()
    with gate.store.read() as s:
        account = accounts.find(s, name)
        wait = gate.brake.wait(s, name, address, now)
    if wait is not None:
        with gate.store.write() as s:
            _audit(gate, s, name, account, "throttled", now)
        raise credentials.LoginThrottled(wait)
    # argon2 is slow on purpose: checked outside the write transaction, so a burst of
    # logins does not hold the writer lock (on SQLite, every other write) hostage.
    known = account is not None and account.active
    valid = credentials.check_secret_or_decoy(
        account.secret_hash if account is not None and known else None, secret)
    step = None
    if valid and account is not None and account.totp_secret is not None:
        step = credentials.totp_step(account.totp_secret, totp, now) if totp else None
        valid = step is not None
    issued = None
    with gate.store.write() as s:
        if valid:  # deactivated in the meantime?
            account = accounts.find(s, name)
            valid = account is not None and account.active
        if valid and step is not None:  # the code's step is used up here, once
            valid = accounts.use_totp_step(s, name, step)
        _audit(gate, s, name, account, "allowed" if valid else "denied", now)
        if valid and account is not None:
            gate.brake.succeeded(s, name, address, now)
            token, claims = credentials.issue(s.secret(TOKEN_KEY), name, account.role, now,
                                              gate.token_ttl)
            accounts.remember_token(s, claims.jti, name, now, claims.expires_at)
            issued = IssuedToken(token, claims.expires_at, account.role)
        else:
            gate.brake.failed(s, name, address, now)
    if issued is None:
        raise credentials.AuthError()  # audited above, even though refused
    return issued

"""The login brake: failed logins slow the next ones down, without handing out lockouts.

Two limits, both kept in the database (``login_failures``) so that every
worker process and both stores see the same counts:

- **Per name and address.** After ``free_failures`` failures in a row, that
  address waits before trying that name again: ``first_wait``, then twice as
  long after each further failure (1 s, 2 s, 4 s, ...), up to ``longest_wait``.
  A success resets the pair; a pair idle for ``forget_after`` starts afresh.
- **Per name, from everywhere.** Many addresses guessing one name (a botnet)
  each stay under the first limit. Once a name has had ``account_failures``
  failures within ``account_window``, addresses it has *never* logged in from
  get one attempt per ``account_spacing`` between them. Addresses it has logged
  in from before are not slowed by this limit, so an attacker cannot lock an
  official out of the office's usual machine by guessing from elsewhere.

The ``limits`` library was considered and not used: its storages are memory,
Redis, Memcached, MongoDB and etcd, none of them the register's own database,
and its window limits do not grow a wait per failure. docs/access.md ("Login
brake") explains the trade-off.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from openpesel.storage import accounts
from openpesel.storage.auth_tables import ADDRESS_LENGTH, LOGIN_NAME_LENGTH
from openpesel.storage.store import StoreTransaction


@dataclass(frozen=True)
class BrakePolicy:
    free_failures: int = 5
    first_wait: datetime.timedelta = datetime.timedelta(seconds=1)
    longest_wait: datetime.timedelta = datetime.timedelta(minutes=15)
    forget_after: datetime.timedelta = datetime.timedelta(days=1)
    account_failures: int = 50
    account_window: datetime.timedelta = datetime.timedelta(hours=1)
    account_spacing: datetime.timedelta = datetime.timedelta(seconds=30)


def _key(name: str, address: str) -> tuple[str, str]:
    """Names and addresses as stored: bounded, so a long typed name cannot fail the insert."""
    return name[:LOGIN_NAME_LENGTH], address[:ADDRESS_LENGTH]


class Brake:
    def __init__(self, policy: BrakePolicy | None = None) -> None:
        self.policy = policy or BrakePolicy()

    def wait(self, s: StoreTransaction, name: str, address: str,
             now: datetime.datetime) -> datetime.timedelta | None:
        """How long this address must wait before trying this name again; None: go ahead."""
        p = self.policy
        name, address = _key(name, address)
        mine = accounts.attempts(s, name, address)
        if mine is not None and mine.blocked_until is not None and mine.blocked_until > now:
            return mine.blocked_until - now
        if mine is not None and mine.last_success_at is not None:
            return None  # a familiar address: the per-name limit does not apply
        count, latest = accounts.failures_since(s, name, now - p.account_window)
        if count >= p.account_failures and latest is not None:
            until = latest + p.account_spacing
            if until > now:
                return until - now
        return None

    def failed(self, s: StoreTransaction, name: str, address: str, now: datetime.datetime) -> None:
        p = self.policy
        name, address = _key(name, address)
        mine = accounts.attempts(s, name, address)
        stale = (mine is None or mine.last_failure_at is None
                 or mine.last_failure_at < now - p.forget_after)
        failures = 1 if stale or mine is None else mine.failures + 1
        blocked = None
        if failures >= p.free_failures:
            doublings = min(failures - p.free_failures, 30)
            blocked = now + min(p.first_wait * 2 ** doublings, p.longest_wait)
        accounts.record_failure(s, name, address, failures, now, blocked)
        accounts.forget_failures(s, now - p.forget_after)

    def succeeded(self, s: StoreTransaction, name: str, address: str,
                  now: datetime.datetime) -> None:
        accounts.record_success(s, *_key(name, address), now)

"""Tables that harden logins (issue 14): the token key, TOTP steps, and the login brake.

- ``local_secrets`` holds secrets that belong to one running installation and
  must never travel in a backup: whoever holds the token key can mint bearer
  tokens, so ``storage/backup.py`` leaves this table's rows out and a restore
  makes a fresh key. (``register_meta`` keeps what a restore needs, the pool key.)
- ``totp_steps`` is the last TOTP time step each principal used, so a code is
  accepted once only (RFC 6238 §5.2).
- ``login_failures`` counts failed logins per (name as typed, client address),
  and remembers which addresses a name has logged in from: the login brake
  (``access/brake.py``). Names that do not exist get rows too, or the brake
  would tell an attacker which ones do.

Migration 0007 creates them, spelled out there so that a later change here
cannot change what that revision created.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from openpesel.storage.schema import metadata

local_secrets = Table(
    "local_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

totp_steps = Table(
    "totp_steps",
    metadata,
    Column("principal", String(64), ForeignKey("principals.name"), primary_key=True),
    Column("last_step", BigInteger, nullable=False),
)

LOGIN_NAME_LENGTH = 128
ADDRESS_LENGTH = 64

login_failures = Table(
    "login_failures",
    metadata,
    Column("name", String(LOGIN_NAME_LENGTH), primary_key=True),
    Column("address", String(ADDRESS_LENGTH), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("blocked_until", DateTime(timezone=True), nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Index("ix_login_failures_last_failure", "last_failure_at"),
)

"""The register's own secrets: the pool order key and the token key, made at ``init``.

They never change after ``init`` (the token key only by ``Store.renew_secret``),
so a session reads each at most once per ``Store``, into a dict the ``Store``
shares with all its sessions.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Table, delete, insert, select

from openpesel.storage import schema as t
from openpesel.storage.auth_tables import local_secrets
from openpesel.storage.driver import Transaction

POOL_KEY = "pool_key"
TOKEN_KEY = "token_key"
LOCAL_SECRETS = frozenset({TOKEN_KEY})
"""Kept in ``local_secrets``, which no backup carries: the token key mints bearer tokens."""


def secret_table(name: str) -> Table:
    return local_secrets if name in LOCAL_SECRETS else t.register_meta


def new_secret() -> bytes:
    return secrets.token_bytes(32)


class Secrets(Transaction):
    """Reading a secret, through the ``Store``'s cache."""

    secrets: dict[str, bytes]

    def secret(self, name: str) -> bytes:
        """A per-register secret made at ``init`` (the pool order key, the token key)."""
        if name not in self.secrets:
            table = secret_table(name)
            self.secrets[name] = bytes(self.conn.execute(
                select(table.c.value).where(table.c.name == name)).scalar_one())
        return self.secrets[name]

    def pool_key(self) -> bytes:
        return self.secret(POOL_KEY)

    def make_secrets(self) -> None:
        """Create every secret not made yet (``Store.initialise``: safe to repeat)."""
        for name in (POOL_KEY, TOKEN_KEY):
            self._insert_ignore(secret_table(name), name=name, value=new_secret())

    def renew_secret(self, name: str) -> None:
        """Replace a secret: what the old one signed stops working."""
        table = secret_table(name)
        self.conn.execute(delete(table).where(table.c.name == name))
        self.conn.execute(insert(table).values(name=name, value=new_secret()))

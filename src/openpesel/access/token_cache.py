"""Bearer tokens already verified, so a request does not verify its JWT again.

Verifying a token costs PyJWT about a fifth of a reservation check's CPU: it
decodes the three base64url segments character by character, parses two JSON
objects and computes an HMAC. A client sends the same token with every request
for hours, so the answer is remembered, keyed by the token's exact string:
another string (a forged signature, a changed claim) is a different key and is
verified in full.

What a cached token still gets, on every request:

- its expiry, against the register's clock: an entry is never used at or after
  the token's ``exp`` (it is dropped, and the token refused as expired);
- the key that signed it: an entry remembers the signing key it was checked
  with, and a renewed key (``Store.renew_secret``) makes it a miss;
- revocation and deactivation, as before: the database is asked again once
  ``recheck_at`` has passed (``AUTH_CACHE_SECONDS`` after the last time), and a
  revocation or deactivation through this gate empties the cache at once.

The cache is bounded (least recently used first out), so a flood of distinct
tokens costs memory of ``max_entries`` entries at most.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass

from openpesel.access.accountable import Principal

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Verified:
    """A token whose signature was verified with ``key``, and what it says."""

    principal: Principal
    key: bytes
    expires_at: datetime.datetime
    recheck_at: datetime.datetime
    """When the database is asked again whether the token is revoked, the account active."""


class TokenCache:
    """A bounded LRU map from a token's string to its ``Verified``; safe across threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Verified] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Verified | None:
        with self._lock:
            found = self._entries.get(token)
            if found is not None:
                self._entries.move_to_end(token)
            return found

    def put(self, token: str, verified: Verified) -> None:
        with self._lock:
            self._entries[token] = verified
            self._entries.move_to_end(token)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

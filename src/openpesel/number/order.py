"""The order in which a pool's serials are handed out.

The n-th number issued for a (birth date, sex) uses serial ``permute(key, pool, n)``.
A keyed permutation makes the order look random to anyone without the
register's key (so a number does not reveal how many people were registered
before it that day) while staying a bijection: the pool is used up exactly,
with no retries and no bookkeeping beyond one counter.

The permutation is a four-round Feistel network over 13 bits (8,192 values)
with HMAC-SHA-256 as the round function, cycle-walked down to 5,000.

>>> key = b'k' * 32
>>> sorted(permute(key, '2004-02-29F', n) for n in range(5000)) == list(range(5000))
True
>>> [permute(key, '2004-02-29F', n) for n in range(3)] != [0, 1, 2]
True
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from openpesel.number.pesel import SERIALS_PER_SEX

_HALF_BITS = (7, 6)  # 13 bits: the smallest power of two above 5,000
_ROUNDS = 4
_RIGHT_MASK = (1 << _HALF_BITS[1]) - 1
# Each round's label and the width of the half it masks (the halves swap widths).
_SCHEDULE = tuple((f"{rnd}|".encode(), (1 << _HALF_BITS[rnd % 2]) - 1) for rnd in range(_ROUNDS))


class PoolOrder:
    """The keyed permutation of one register, with its HMAC key schedule done once.

    The round function is HMAC-SHA-256 (RFC 2104) of ``"{pool}|{round}|{value}"``,
    keeping the low bits of the MAC's first four bytes. The keyed inner and
    outer SHA-256 states are computed once and copied per round, where
    ``hmac.new`` would redo them: most of a number's cost, which the bulk
    loader pays 38.5 million times. ``tests/storage/test_bulk_load.py`` holds
    it equal to the network spelled out with ``hmac``.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        block = key if len(key) <= 64 else hashlib.sha256(key).digest()
        block = block.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def _pool(self, pool: str) -> Any:
        prefixed = self._inner.copy()
        prefixed.update(f"{pool}|".encode())
        return prefixed

    def _feistel(self, prefixed: Any, value: int) -> int:
        """Unbalanced halves (7 and 6 bits) swap widths each round.

        Every round's mask is below 256, so of the MAC's first four bytes only
        the fourth counts; the loop is written out for the bulk loader's sake.
        """
        outer = self._outer
        left, right = value >> _HALF_BITS[1], value & _RIGHT_MASK
        for rnd, mask in _SCHEDULE:
            inner = prefixed.copy()
            inner.update(rnd + str(right).encode())
            mac = outer.copy()
            mac.update(inner.digest())
            left, right = right, left ^ (mac.digest()[3] & mask)
        return (left << _HALF_BITS[1]) | right

    def serial(self, pool: str, n: int, size: int = SERIALS_PER_SEX) -> int:
        """The serial (0..size-1) issued n-th from ``pool``; a bijection on 0..size-1."""
        if not 0 <= n < size:
            raise ValueError(f"n must be 0..{size - 1}, not {n}")
        prefixed = self._pool(pool)
        value = self._feistel(prefixed, n)
        while value >= size:  # cycle walking keeps the bijection inside 0..size-1
            value = self._feistel(prefixed, value)
        return value


@functools.lru_cache(maxsize=8)
def _order(key: bytes) -> PoolOrder:
    return PoolOrder(key)


def permute(key: bytes, pool: str, n: int, size: int = SERIALS_PER_SEX) -> int:
    """The serial (0..size-1) issued n-th from ``pool``; a bijection on 0..size-1."""
    return _order(key).serial(pool, n, size)

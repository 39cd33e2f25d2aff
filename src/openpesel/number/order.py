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

import hashlib
import hmac

from openpesel.number.pesel import SERIALS_PER_SEX

_HALF_BITS = (7, 6)  # 13 bits: the smallest power of two above 5,000
_ROUNDS = 4


def _round(key: bytes, pool: str, rnd: int, value: int, bits: int) -> int:
    digest = hmac.new(key, f"{pool}|{rnd}|{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & ((1 << bits) - 1)


def _feistel(key: bytes, pool: str, value: int) -> int:
    left_bits, right_bits = _HALF_BITS
    left, right = value >> right_bits, value & ((1 << right_bits) - 1)
    for rnd in range(_ROUNDS):
        # Unbalanced halves swap widths each round; track them explicitly.
        new_left = right
        new_right = left ^ _round(key, pool, rnd, right, left_bits)
        left, right = new_left, new_right
        left_bits, right_bits = right_bits, left_bits
    return (left << right_bits) | right


def permute(key: bytes, pool: str, n: int, size: int = SERIALS_PER_SEX) -> int:
    """The serial (0..size-1) issued n-th from ``pool``; a bijection on 0..size-1."""
    if not 0 <= n < size:
        raise ValueError(f"n must be 0..{size - 1}, not {n}")
    value = _feistel(key, pool, n)
    while value >= size:  # cycle walking keeps the bijection inside 0..size-1
        value = _feistel(key, pool, value)
    return value

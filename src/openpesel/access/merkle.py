"""RFC 6962 Merkle trees: hashes, roots, proofs and their verifiers. No I/O.

Every algorithm reads the tree only through a ``Subtrees`` lookup that
returns the hash of a *perfect, aligned* subtree: ``2**level`` leaves starting
at leaf ``index * 2**level``. RFC 6962's split rule (left part = largest power
of two smaller than n) means every left subtree it ever asks for is perfect
and aligned, and every right part decomposes into a few of them. So the same
code runs over a list in memory (``levels``) and over hashes stored as each
subtree completes (see ``push``): a database can answer a root or a proof in
O(log n) lookups without ever rehashing the log.

Verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2, which check the
RFC 6962 ``PATH`` and ``PROOF`` structures without rebuilding the tree.

>>> leaves = [leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")]
>>> r = root(levels(leaves).get, 3)
>>> r == node_hash(node_hash(leaves[0], leaves[1]), leaves[2])
True
>>> verify_inclusion(leaves[2], 2, 3, inclusion_proof(levels(leaves).get, 2, 3), r)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpesel.errors import OpenPeselError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Subtrees = Callable[[int, int], bytes]
"""(level, index) -> hash of leaves [index * 2**level, (index + 1) * 2**level)."""


class TreeRangeError(OpenPeselError, ValueError):
    """A root or proof was asked for positions the tree does not have."""

    message = "The audit tree has no such position."


def leaf_hash(data: bytes) -> bytes:
    """The 0x00 prefix keeps a leaf from ever being mistaken for an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """RFC 6962's k: the largest power of two smaller than ``n`` (for n >= 2)."""
    if n < 2:
        raise TreeRangeError(f"A tree of {n} leaves cannot be split.")
    return 1 << ((n - 1).bit_length() - 1)


# -- the tree as perfect subtrees ----------------------------------------------


def range_hash(get: Subtrees, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a range that RFC 6962's recursion can produce.

    Such a range starts at a multiple of the next power of two of its length,
    so it is its binary decomposition into perfect aligned subtrees, largest
    first, hashed together from the right.
    """
    if lo >= hi:
        raise TreeRangeError(f"The empty range {lo}..{hi} has no subtree hash.")
    pieces = []
    start = lo
    while start < hi:
        level = (hi - start).bit_length() - 1
        if start % (1 << level):
            raise TreeRangeError(f"Leaves {lo}..{hi - 1} are not a subtree of an RFC 6962 tree.")
        pieces.append(get(level, start >> level))
        start += 1 << level
    acc = pieces[-1]
    for piece in reversed(pieces[:-1]):
        acc = node_hash(piece, acc)
    return acc


def root(get: Subtrees, size: int) -> bytes:
    """MTH of the first ``size`` leaves; the empty tree's root is SHA-256 of nothing."""
    if size < 0:
        raise TreeRangeError(f"A tree cannot have {size} leaves.")
    return EMPTY_ROOT if size == 0 else range_hash(get, 0, size)


def inclusion_proof(get: Subtrees, index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:size]), ordered from the leaf up to the root."""
    if not 0 <= index < size:
        raise TreeRangeError(f"Entry {index} is not in a tree of {size} entries.")
    path = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            path.append(range_hash(get, lo + k, hi))
            hi = lo + k
        else:
            path.append(range_hash(get, lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(get: Subtrees, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 PROOF(old_size, D[0:new_size]), ordered from the bottom up.

    Empty when ``old_size`` is 0 or equals ``new_size``: nothing is needed to
    show that a tree extends the empty tree or itself.
    """
    if not 0 <= old_size <= new_size:
        raise TreeRangeError(f"A tree of {old_size} entries cannot precede one of {new_size}.")
    if old_size in (0, new_size):
        return []
    proof = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            proof.append(range_hash(get, lo + k, hi))
            hi = lo + k
        else:
            proof.append(range_hash(get, lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(range_hash(get, lo, hi))
    proof.reverse()
    return proof


@dataclass(frozen=True)
class Levels:
    """Every perfect subtree of a list of leaf hashes, built once in O(n).

    ``levels[0]`` are the leaves; ``levels[l][i]`` covers leaves
    ``i * 2**l`` to ``(i + 1) * 2**l - 1``. An incomplete right edge has no
    entry at the upper levels, exactly as in ``push``'s stored nodes.
    """

    levels: tuple[tuple[bytes, ...], ...]

    def get(self, level: int, index: int) -> bytes:
        try:
            return self.levels[level][index]
        except IndexError:
            raise TreeRangeError(
                f"No complete subtree of {1 << level} entries starts at entry "
                f"{index << level}.") from None


def levels(leaves: Sequence[bytes]) -> Levels:
    out = [tuple(leaves)]
    while len(out[-1]) > 1:
        below = out[-1]
        out.append(tuple(node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)))
    return Levels(tuple(out))


# -- appending -----------------------------------------------------------------


def push(frontier: Sequence[bytes], size: int, leaf: bytes
         ) -> tuple[list[bytes], list[tuple[int, int, bytes]]]:
    """Append one leaf to a tree known only by its frontier.

    The frontier is the tree's perfect subtrees' hashes, largest first (one
    per set bit of ``size``), so its root is a fold of at most log2(n)
    hashes. Returns the new frontier and the subtrees the new leaf completed,
    as (level, index, hash) with level >= 1, for storing: amortised one per
    append.
    """
    if len(frontier) != size.bit_count():
        raise TreeRangeError(
            f"A tree of {size} entries has {size.bit_count()} frontier hashes, "
            f"not {len(frontier)}.")
    stack = list(frontier)
    completed = []
    acc, level, index = leaf, 0, size
    while index & 1:
        acc = node_hash(stack.pop(), acc)
        level, index = level + 1, index >> 1
        completed.append((level, index, acc))
    stack.append(acc)
    return stack, completed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for piece in reversed(frontier[:-1]):
        acc = node_hash(piece, acc)
    return acc


def frontier_of(get: Subtrees, size: int) -> list[bytes]:
    """The frontier of the first ``size`` leaves, read from their perfect subtrees."""
    out, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append(get(level, start >> level))
            start += 1 << level
    return out


# -- verifiers (RFC 9162 2.1.3.2 and 2.1.4.2) ----------------------------------


def _shift_until_odd(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     expected_root: bytes) -> bool:
    """Whether ``proof`` shows the leaf hash at ``index`` in the tree with ``expected_root``."""
    if not 0 <= index < size:
        return False
    fn, sn, acc = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            acc = node_hash(p, acc)
            fn, sn = _shift_until_odd(fn, sn)
        else:
            acc = node_hash(acc, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and acc == expected_root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows that the tree ``new_root`` extends the tree ``old_root``."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is a subtree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _shift_until_odd(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root

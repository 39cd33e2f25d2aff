"""RFC 6962 Merkle trees: against hand-built trees and the RFC's own recursive definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from openpesel.access import merkle
from openpesel.access.merkle import (
    EMPTY_ROOT,
    TreeRangeError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    levels,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# -- the RFC 6962 section 2.1 definitions, written out literally as a reference -------


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return sha(b"")
    if len(d) == 1:
        return sha(b"\x00" + d[0])
    k = k_of(len(d))
    return sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = k_of(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = k_of(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def tree(n: int) -> merkle.Levels:
    return levels([leaf_hash(x) for x in data(n)])


# -- known small trees, by hand -------------------------------------------------------


def test_hashes_carry_the_domain_prefixes() -> None:
    assert leaf_hash(b"abc") == sha(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == sha(b"\x01" + b"L" * 32 + b"R" * 32)
    assert leaf_hash(b"") != EMPTY_ROOT


def test_empty_and_one_leaf_trees() -> None:
    assert root(levels([]).get, 0) == sha(b"")
    assert root(tree(1).get, 1) == sha(b"\x00entry 0")


def test_a_seven_leaf_tree_by_hand() -> None:
    """RFC 6962's example shape: ((a b)(c d))((e f) g)."""
    a, b, c, d, e, f, g = (leaf_hash(x) for x in data(7))
    ab, cd, ef = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    abcd, efg = node_hash(ab, cd), node_hash(ef, g)
    t = tree(7)
    assert root(t.get, 7) == node_hash(abcd, efg)
    assert root(t.get, 3) == node_hash(ab, c)
    assert root(t.get, 6) == node_hash(abcd, ef)
    # RFC 6962 2.1.3: the audit paths for b, d and g.
    assert inclusion_proof(t.get, 1, 7) == [a, cd, efg]
    assert inclusion_proof(t.get, 3, 7) == [c, ab, efg]
    assert inclusion_proof(t.get, 6, 7) == [ef, abcd]
    # RFC 6962 2.1.3: the consistency proofs from sizes 3, 4 and 6.
    assert consistency_proof(t.get, 3, 7) == [c, d, ab, efg]
    assert consistency_proof(t.get, 4, 7) == [efg]
    assert consistency_proof(t.get, 6, 7) == [ef, g, abcd]


def test_the_split_is_the_largest_power_of_two_below_n() -> None:
    assert [merkle.split(n) for n in range(2, 10)] == [k_of(n) for n in range(2, 10)]
    with pytest.raises(TreeRangeError):
        merkle.split(1)


def test_proofs_refuse_positions_outside_the_tree() -> None:
    t = tree(5)
    with pytest.raises(TreeRangeError, match="Entry 5 is not in a tree of 5"):
        inclusion_proof(t.get, 5, 5)
    with pytest.raises(TreeRangeError):
        consistency_proof(t.get, 6, 5)
    assert not verify_inclusion(leaf_hash(b"x"), 3, 3, [], root(t.get, 3))
    assert not verify_consistency(4, 3, root(t.get, 4), root(t.get, 3), [])


def test_trivial_consistency() -> None:
    t = tree(5)
    r = root(t.get, 5)
    assert consistency_proof(t.get, 5, 5) == []
    assert verify_consistency(5, 5, r, r, [])
    assert not verify_consistency(5, 5, r, root(t.get, 4), [])
    assert verify_consistency(0, 5, EMPTY_ROOT, r, consistency_proof(t.get, 0, 5))
    assert not verify_consistency(0, 5, r, r, [])


# -- properties over every shape --------------------------------------------------------

sizes = st.integers(min_value=1, max_value=70)


@settings(max_examples=60, deadline=None)
@given(sizes, st.data())
def test_roots_and_proofs_equal_the_rfc_definitions(n: int, draw: st.DataObject) -> None:
    d = data(n)
    t = levels([leaf_hash(x) for x in d])
    m = draw.draw(st.integers(0, n - 1))
    old = draw.draw(st.integers(1, n))
    assert root(t.get, n) == mth(d)
    assert root(t.get, old) == mth(d[:old])
    assert inclusion_proof(t.get, m, n) == path(m, d)
    assert consistency_proof(t.get, old, n) == subproof(old, d, True)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=40))
def test_every_inclusion_proof_verifies(n: int) -> None:
    t = tree(n)
    for size in range(1, n + 1):
        r = root(t.get, size)
        for index in range(size):
            proof = inclusion_proof(t.get, index, size)
            assert verify_inclusion(t.get(0, index), index, size, proof, r)
            # ...and only for its own leaf and position.
            assert not verify_inclusion(leaf_hash(b"other"), index, size, proof, r)
            if size > 1:
                assert not verify_inclusion(t.get(0, index), (index + 1) % size, size, proof, r)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=40))
def test_every_consistency_proof_verifies(n: int) -> None:
    t = tree(n)
    for new in range(1, n + 1):
        new_root = root(t.get, new)
        for old in range(1, new + 1):
            proof = consistency_proof(t.get, old, new)
            old_root = root(t.get, old)
            assert verify_consistency(old, new, old_root, new_root, proof)
            if old < new:
                # A different history of the same size is not consistent with it.
                assert not verify_consistency(old, new, leaf_hash(b"forged"), new_root, proof)


def flip(blob: bytes, position: int) -> bytes:
    i = position % len(blob)
    return blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1:]


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 70), st.data())
def test_a_flipped_byte_in_an_inclusion_proof_or_root_fails(n: int,
                                                          draw: st.DataObject) -> None:
    t = tree(n)
    size = draw.draw(st.integers(2, n))
    index = draw.draw(st.integers(0, size - 1))
    proof = inclusion_proof(t.get, index, size)
    r = root(t.get, size)
    which = draw.draw(st.integers(0, len(proof) - 1))
    at = draw.draw(st.integers(0, 31))
    bad = [*proof[:which], flip(proof[which], at), *proof[which + 1:]]
    assert not verify_inclusion(t.get(0, index), index, size, bad, r)
    assert not verify_inclusion(t.get(0, index), index, size, proof, flip(r, at))
    assert not verify_inclusion(t.get(0, index), index, size, proof[:-1], r)
    assert not verify_inclusion(t.get(0, index), index, size, [*proof, proof[0]], r)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 70), st.data())
def test_a_flipped_byte_in_a_consistency_proof_or_root_fails(n: int,
                                                            draw: st.DataObject) -> None:
    t = tree(n)
    new = draw.draw(st.integers(2, n))
    old = draw.draw(st.integers(1, new - 1))
    proof = consistency_proof(t.get, old, new)
    old_root, new_root = root(t.get, old), root(t.get, new)
    which = draw.draw(st.integers(0, len(proof) - 1))
    at = draw.draw(st.integers(0, 31))
    bad = [*proof[:which], flip(proof[which], at), *proof[which + 1:]]
    assert not verify_consistency(old, new, old_root, new_root, bad)
    assert not verify_consistency(old, new, flip(old_root, at), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root, at), proof)
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100))
def test_appending_by_frontier_builds_the_same_tree(n: int) -> None:
    """What ``append`` stores (frontier and completed subtrees) is the tree itself."""
    t = tree(n)
    frontier: list[bytes] = []
    stored: dict[tuple[int, int], bytes] = {}
    for i in range(n):
        stored[0, i] = t.get(0, i)
        frontier, completed = merkle.push(frontier, i, t.get(0, i))
        stored.update(((level, index), h) for level, index, h in completed)
        assert merkle.frontier_root(frontier) == root(t.get, i + 1)
    expected = {(level, i): h for level, row in enumerate(t.levels) for i, h in enumerate(row)}
    assert stored == expected
    assert merkle.frontier_of(t.get, n) == frontier

"""The audit log: every access to personal data, in a Merkle tree the register signs.

An entry is appended inside the transaction of the access it records, so an
access that rolls back leaves no entry and an entry can never describe an
access that did not commit. Appending locks the single ``audit_state`` row
(``FOR UPDATE`` on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers), which makes the indices gap-free and ordered. The SQL
is ``storage/audit_log.py``'s; this module holds the tree, signing and checks.

Appending costs O(1) amortised: the state row carries the tree's right edge
(the frontier), and each append stores the leaf hash and the subtrees it
completes. Roots and proofs are then O(log n) point lookups. ``verify``
trusts none of the stored hashes: it rehashes every entry's bytes and checks
the stored subtrees, the state row and every signed head against them.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openpesel.access import merkle
from openpesel.access.audit_entry import (
    FORMAT_VERSION as FORMAT_VERSION,
    AuditEntry as AuditEntry,
    AuditError as AuditError,
    AuditNotInitialised as AuditNotInitialised,
    AuditRangeError as AuditRangeError,
)
from openpesel.access.signing import SignedTreeHead, from_ms, key_id
from openpesel.access.witness import check_witnessed
from openpesel.storage.session import StoreTransaction

T = TypeVar("T")


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    size: int
    root: bytes
    heads_checked: int
    problems: list[str] = field(default_factory=list)


def _span(level: int, index: int) -> str:
    lo = index << level
    return f"entries {lo}-{lo + (1 << level) - 1}"


def _head_name(head_id: int, sth: SignedTreeHead) -> str:
    return f"signed head #{head_id} (size {sth.size}, {sth.timestamp.isoformat()})"


class AuditLog:
    """The register's audit log, signing heads with ``key``.

    With ``sign_every`` or ``sign_interval`` set, ``append`` also signs a head
    inside the appending transaction whenever the log reaches a multiple of
    ``sign_every`` entries, or an entry arrives ``sign_interval`` after this
    process last signed: the unsigned tail, which could be cut without trace,
    stays short. (The server also signs on a timer and at shutdown, the CLI at
    exit: ``access.witness``.)
    """

    def __init__(self, key: Ed25519PrivateKey, sign_every: int = 0,
                 sign_interval: datetime.timedelta | None = None) -> None:
        self.key = key
        self.public_key: Ed25519PublicKey = key.public_key()
        self.key_id = key_id(self.public_key)
        self.sign_every = sign_every
        self.sign_interval = sign_interval
        self._signed_at: datetime.datetime | None = None

    # -- writing -----------------------------------------------------------

    def append(self, s: StoreTransaction, entry: AuditEntry) -> int:
        """Record ``entry`` in the caller's transaction; returns its index."""
        return self.append_many(s, [entry])[0]

    def append_many(self, s: StoreTransaction, entries: Sequence[AuditEntry]) -> list[int]:
        """Record several entries in the caller's transaction; returns their indices.

        A page of search results gives each person listed an entry of their
        own. The entries are hashed before the state row is locked (on
        PostgreSQL other writers wait on that lock); then one lock and one write
        serve them all, so naming twenty people costs little more than one.
        """
        if not entries:
            return []
        rows = [(entry.canonical(), entry) for entry in entries]
        leaves = [merkle.leaf_hash(data) for data, _ in rows]
        row = s.take_audit_state()
        if row is None:
            raise AuditNotInitialised()
        first = size = row[0]
        frontier = _split_frontier(row[1])
        nodes: list[tuple[int, int, bytes]] = []
        due = False
        for leaf, (_, entry) in zip(leaves, rows, strict=True):
            frontier, completed = merkle.push(frontier, size, leaf)
            nodes.extend(completed)
            size += 1
            due = self._due(size, entry.at) or due
        s.append_audit_entries([(first + n, leaf, data, entry.person_id)
                                for n, (leaf, (data, entry)) in enumerate(zip(leaves, rows,
                                                                              strict=True))],
                               nodes, size, b"".join(frontier))
        if due:  # the state row is still locked: heads stay ordered
            self._keep(s, size, frontier, entries[-1].at)
        return list(range(first, size))

    def _due(self, size: int, at: datetime.datetime) -> bool:
        if self.sign_every and size % self.sign_every == 0:
            return True
        if self.sign_interval is None:
            return False
        if self._signed_at is None:
            self._signed_at = at  # this process's first entry starts its clock
        return at - self._signed_at >= self.sign_interval

    def head(self, s: StoreTransaction, at: datetime.datetime) -> SignedTreeHead:
        """Sign the tree as it stands and keep the head.

        The state row is locked so heads are issued in the order of the sizes
        they sign; ``verify`` relies on sizes never going down.
        """
        size, frontier = self._state(s, lock=True)
        return self._keep(s, size, frontier, at)

    def sign_if_behind(self, s: StoreTransaction, at: datetime.datetime) -> SignedTreeHead | None:
        """Sign a head if entries were appended since the latest one; else sign nothing."""
        size, frontier = self._state(s, lock=True)
        latest = self.latest_head(s)
        if size == (0 if latest is None else latest.size):
            return None
        return self._keep(s, size, frontier, at)

    def _keep(self, s: StoreTransaction, size: int, frontier: list[bytes],
              at: datetime.datetime) -> SignedTreeHead:
        sth = SignedTreeHead.sign(self.key, size, merkle.frontier_root(frontier), at)
        s.keep_audit_head(sth.size, sth.root, sth.timestamp_ms, self.key_id, sth.signature)
        self._signed_at = at
        return sth

    # -- reading -----------------------------------------------------------

    def size(self, s: StoreTransaction) -> int:
        return self._state(s)[0]

    def root(self, s: StoreTransaction, size: int | None = None) -> bytes:
        current, frontier = self._state(s)
        if size is None or size == current:
            return merkle.frontier_root(frontier)
        self._check_size(size, current)
        return self._run(s, lambda get: merkle.root(get, size))

    def latest_head(self, s: StoreTransaction) -> SignedTreeHead | None:
        rows = s.audit_heads(latest_only=True)
        return _row_to_head(rows[0]) if rows else None

    def heads(self, s: StoreTransaction) -> list[tuple[int, SignedTreeHead]]:
        return [(row.id, _row_to_head(row)) for row in s.audit_heads()]

    def inclusion_proof(self, s: StoreTransaction, index: int, size: int) -> list[bytes]:
        self._check_size(size, self.size(s))
        if not 0 <= index < size:
            raise AuditRangeError(f"Entry {index} is not among the first {size} entries.")
        return self._run(s, lambda get: merkle.inclusion_proof(get, index, size))

    def consistency_proof(self, s: StoreTransaction, old_size: int, new_size: int) -> list[bytes]:
        self._check_size(new_size, self.size(s))
        if not 0 <= old_size <= new_size:
            raise AuditRangeError(
                f"A log of {old_size} entries cannot be an earlier state of one of {new_size}.")
        return self._run(s, lambda get: merkle.consistency_proof(get, old_size, new_size))

    def entries(self, s: StoreTransaction, offset: int, limit: int) -> list[tuple[int, AuditEntry]]:
        """A page of the log, newest first, for a supervisor to browse."""
        return [(idx, AuditEntry.from_canonical(data))
                for idx, data in s.audit_entries(offset, limit)]

    def entries_for(self, s: StoreTransaction,
                    person_id: uuid.UUID) -> list[tuple[int, AuditEntry]]:
        """A resident's own entries, oldest first, for their report."""
        return [(idx, AuditEntry.from_canonical(data))
                for idx, data in s.audit_entries_for(person_id)]

    # -- verifying ---------------------------------------------------------

    def verify(self, s: StoreTransaction, public_key: Ed25519PublicKey | None = None,
               witnessed: Sequence[SignedTreeHead] = ()) -> VerifyReport:
        """Recompute the whole tree from the entries' bytes and check everything stored.

        Holds every leaf hash in memory (32 bytes an entry). Each problem is a
        sentence naming the entry, subtree or head that is wrong.

        Safe beside live appenders even under PostgreSQL's READ COMMITTED,
        where each query sees a newer log: heads are read first, then the
        size, and everything else only up to that size. Every head read was
        committed before that size was, so none can honestly exceed it, and
        the entries and subtrees below it never change.

        ``witnessed`` heads, kept outside the register (``access.witness``),
        must each be extended by the log; unlike the stored heads, deleting
        them from the database does not hide a cut tail.
        """
        key = public_key or self.public_key
        kid = key_id(key)
        problems: list[str] = []
        heads = [(row.id, _row_to_head(row), bytes(row.key_id)) for row in s.audit_heads()]
        state = s.audit_state()
        bound = None if state is None else state[0]
        if state is None:
            problems.append("The audit state row is missing.")
        leaves = self._recomputed_leaves(s, problems, bound)
        tree = merkle.levels(leaves)
        size = len(leaves)
        recomputed_root = merkle.root(tree.get, size)
        if state is not None:
            if state[0] != size:
                problems.append(f"The log's counter says {state[0]} entries were appended, "
                                f"but {size} are present.")
            elif merkle.frontier_root(_split_frontier(state[1])) != recomputed_root:
                problems.append("The running root kept in the state row does not match the "
                                "root recomputed from the entries.")
        problems += self._check_nodes(s, tree, size if bound is None else bound)
        problems += _check_heads(heads, tree, size, key, kid)
        problems += check_witnessed(witnessed, tree.get, size, recomputed_root, key)
        return VerifyReport(ok=not problems, size=size, root=recomputed_root,
                            heads_checked=len(heads), problems=problems)

    def _recomputed_leaves(self, s: StoreTransaction, problems: list[str],
                           bound: int | None) -> list[bytes]:
        leaves: list[bytes] = []
        expected = 0
        for row in s.iter_audit_entries(bound):
            if row.idx != expected:
                missing = (f"entry {expected} is" if row.idx == expected + 1
                           else f"entries {expected}-{row.idx - 1} are")
                problems.append(f"{missing.capitalize()} missing: the log jumps from entry "
                                f"{expected - 1} to entry {row.idx}.")
            data = bytes(row.entry)
            leaf = merkle.leaf_hash(data)
            if leaf != bytes(row.leaf_hash):
                problems.append(f"Entry {row.idx} was changed: its bytes do not match the leaf "
                                "hash stored when it was appended.")
            try:
                entry = AuditEntry.from_canonical(data)
            except AuditError as exc:
                problems.append(f"Entry {row.idx} is unreadable: {exc}")
            else:
                if entry.person_id != row.person_id:
                    problems.append(f"Entry {row.idx}'s person_id column ({row.person_id}) does "
                                    f"not match the person in its bytes ({entry.person_id}).")
            leaves.append(leaf)
            expected = row.idx + 1
        if bound is not None and expected < bound:
            missing = (f"Entry {expected} is" if expected == bound - 1
                       else f"Entries {expected}-{bound - 1} are")
            problems.append(f"{missing} missing: the log ends at entry {expected - 1}.")
        return leaves

    def _check_nodes(self, s: StoreTransaction, tree: merkle.Levels, bound: int) -> list[str]:
        """Stored subtrees must equal the recomputed ones, or proofs would lie.

        Only the lowest level that disagrees is named: every subtree above a
        wrong one is wrong too, and listing them would bury the cause.
        """
        wrong: dict[int, list[str]] = {}
        stored = 0
        for level, index, stored_hash in s.audit_nodes():
            if (index + 1) << level > bound:
                continue  # completed by an append newer than what is being verified
            stored += 1
            try:
                ok = tree.get(level, index) == stored_hash
            except merkle.TreeRangeError:
                ok = False
            if not ok:
                wrong.setdefault(level, []).append(_span(level, index))
        expected = sum(bound >> level for level in range(1, bound.bit_length()))
        out = []
        if wrong:
            lowest = min(wrong)
            spans = wrong[lowest]
            shown = ", ".join(spans[:10]) + (f" and {len(spans) - 10} more" if len(spans) > 10
                                              else "")
            out.append(f"The stored subtree hashes of {shown} do not match the entries: entries "
                       "there were changed, removed or reordered.")
        if stored < expected:
            out.append(f"{expected - stored} stored subtree hashes are missing.")
        return out

    # -- helpers -----------------------------------------------------------

    def _state(self, s: StoreTransaction, lock: bool = False) -> tuple[int, list[bytes]]:
        """(size, frontier); ``lock`` holds the row until commit, so heads follow sizes."""
        row = s.take_audit_state() if lock else s.audit_state()
        if row is None:
            raise AuditNotInitialised()
        return row[0], _split_frontier(row[1])

    @staticmethod
    def _check_size(size: int, current: int) -> None:
        if not 0 <= size <= current:
            raise AuditRangeError(f"The audit log has {current} entries, not {size}.")

    @staticmethod
    def _run(s: StoreTransaction, algorithm: Callable[[merkle.Subtrees], T]) -> T:
        """Run a pure tree algorithm over stored subtrees, fetching all it needs at once.

        A first pass records which subtrees the algorithm reads (their values
        do not steer it), one query per table fetches them, a second pass
        computes.
        """
        wanted: set[tuple[int, int]] = set()

        def record(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return bytes(merkle.HASH_SIZE)

        algorithm(record)
        found = s.audit_hashes(wanted)

        def lookup(level: int, index: int) -> bytes:
            try:
                return found[level, index]
            except KeyError:
                raise AuditError(f"The stored hash of {_span(level, index)} is missing; run "
                                 "`audit verify`.") from None

        return algorithm(lookup)


def _split_frontier(blob: bytes) -> list[bytes]:
    n = merkle.HASH_SIZE
    return [blob[i:i + n] for i in range(0, len(blob), n)]


def _row_to_head(row: Any) -> SignedTreeHead:
    return SignedTreeHead(int(row.size), bytes(row.root), from_ms(int(row.timestamp_ms)),
                          bytes(row.signature))


def _check_heads(heads: list[tuple[int, SignedTreeHead, bytes]], tree: merkle.Levels,
                 size: int, key: Ed25519PublicKey, kid: bytes) -> list[str]:
    out = []
    previous: tuple[int, SignedTreeHead] | None = None
    for head_id, sth, head_kid in heads:
        name = _head_name(head_id, sth)
        if head_kid != kid:
            out.append(f"The {name} names a signing key other than the one checked against.")
        elif not sth.verify(key):
            out.append(f"The {name} does not carry a valid signature: it was altered or "
                       "swapped.")
        if sth.size > size:
            out.append(f"The {name} covers {sth.size} entries but the log holds only {size}: "
                       "entries were removed.")
        elif merkle.root(tree.get, sth.size) != sth.root:
            out.append(f"The {name} does not match the root recomputed from entries "
                       f"0-{sth.size - 1}: the log was changed after it was signed.")
        if previous is not None and sth.size < previous[1].size:
            out.append(f"The {name} signs fewer entries than the earlier "
                       f"{_head_name(*previous)}: heads were reordered or replaced.")
        previous = (head_id, sth)
    return out

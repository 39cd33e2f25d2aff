"""The audit log on both stores: transactional, gap-free, provable, and tamper-evident."""

from __future__ import annotations

import datetime
import multiprocessing
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from openpesel.access import merkle
from openpesel.access.audit import AuditEntry, AuditError, AuditLog, AuditRangeError
from openpesel.access.signing import KeyFileError, SignedTreeHead, load_or_create_key
from openpesel.errors import StorageError
from openpesel.storage.store import Store

WRITERS, APPENDS_EACH = 3, 15
T0 = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)
ANNA, JAN = uuid.UUID(int=1), uuid.UUID(int=2)


def entry(n: int, person: uuid.UUID | None = ANNA, **more: str) -> AuditEntry:
    fields = {"principal": f"clerk-{n % 3}", "role": "gmina_clerk", "purpose": "residence",
              "action": "read", "outcome": "allowed", **more}
    return AuditEntry(person_id=person, pesel="80030212345" if person else None,
                      fields=["family_name", "address"], at=T0 + datetime.timedelta(seconds=n),
                      **fields)


@pytest.fixture
def log() -> AuditLog:
    return AuditLog(Ed25519PrivateKey.generate())


def fill(store: Store, log: AuditLog, n: int, start: int = 0) -> list[int]:
    with store.write() as s:
        return [log.append(s, entry(i, ANNA if i % 2 else JAN)) for i in range(start, start + n)]


def head(store: Store, log: AuditLog, seconds: int = 0) -> SignedTreeHead:
    with store.write() as s:
        return log.head(s, T0 + datetime.timedelta(hours=1, seconds=seconds))


def tamper(store: Store, table: str, *statements: str, **values: bytes) -> None:
    """Change the log behind the register's back, as someone with the database could."""
    with store.write() as s:
        if s.postgres:
            s.conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        else:
            for name in s.conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                    (table,)).scalars().all():
                s.conn.exec_driver_sql(f"DROP TRIGGER {name}")
        for statement in statements:
            s.conn.execute(text(statement), values if ":" in statement else {})


def problems(store: Store, log: AuditLog) -> list[str]:
    with store.read() as s:
        report = log.verify(s)
    assert report.ok == (not report.problems)
    return report.problems


# -- entries ---------------------------------------------------------------------------


def test_the_canonical_bytes_are_stable_and_round_trip() -> None:
    e = entry(1, legal_basis="art. 46 ust. 1", case_ref="SO.5341.2.2026")
    data = e.canonical()
    assert b" " not in data.replace(b"art. 46 ust. 1", b"")
    assert data.startswith(b'{"action":"read","at":"2026-03-01T08:00:01.000000Z","case_ref"')
    assert AuditEntry.from_canonical(data) == e
    # The same moment in another zone is the same entry.
    warsaw = datetime.timezone(datetime.timedelta(hours=1))
    assert entry(1).model_copy(update={"at": e.at.astimezone(warsaw)}).at == e.at
    with pytest.raises(AuditError, match="not in canonical form"):
        AuditEntry.from_canonical(data.replace(b'"action"', b' "action"'))
    with pytest.raises(ValueError, match="time zone"):
        AuditEntry(principal="p", role="r", purpose="p", action="read", outcome="allowed",
                   at=datetime.datetime(2026, 1, 1))


# -- the log in its transaction --------------------------------------------------------


def test_an_access_that_rolls_back_leaves_no_entry(store: Store, log: AuditLog) -> None:
    fill(store, log, 2)
    with pytest.raises(RuntimeError), store.write() as s:
        assert log.append(s, entry(9)) == 2
        raise RuntimeError("the access itself failed")
    with store.read() as s:
        assert log.size(s) == 2
        assert [i for i, _ in log.entries_for(s, ANNA)] == [1]
    assert fill(store, log, 1, start=2) == [2]
    assert problems(store, log) == []


def test_entries_for_returns_only_that_persons_entries(store: Store, log: AuditLog) -> None:
    fill(store, log, 6)
    with store.write() as s:
        log.append(s, entry(6, person=None, action="login"))
    with store.read() as s:
        mine = log.entries_for(s, ANNA)
        assert [i for i, _ in mine] == [1, 3, 5]
        assert all(e.person_id == ANNA for _, e in mine)
        assert [e.at for _, e in mine] == [entry(i).at for i in (1, 3, 5)]
        assert log.entries_for(s, uuid.UUID(int=3)) == []


def _append_many(url: str, key_path: str, n: int) -> list[int]:
    store = Store(url)
    log = AuditLog(load_or_create_key(Path(key_path)))
    try:
        out = []
        for i in range(n):
            with store.write() as s:
                out.append(log.append(s, entry(i, uuid.uuid4())))
        return out
    finally:
        store.dispose()


def test_concurrent_writers_make_a_gap_free_log(store: Store, store_url: str,
                                                tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "audit.pem"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        results = pool.starmap(_append_many, [(store_url, str(key_path), APPENDS_EACH)] * WRITERS)
    indices = sorted(i for chunk in results for i in chunk)
    assert indices == list(range(WRITERS * APPENDS_EACH))
    log = AuditLog(load_or_create_key(key_path))
    head(store, log)
    with store.read() as s:
        report = log.verify(s)
        assert report.ok, report.problems
        assert report.size == WRITERS * APPENDS_EACH
        assert report.root == log.root(s)


# -- heads and proofs ------------------------------------------------------------------


def test_signed_heads_and_proofs_verify(store: Store, log: AuditLog) -> None:
    fill(store, log, 5)
    early = head(store, log)
    fill(store, log, 8, start=5)
    late = head(store, log, seconds=1)
    assert (early.size, late.size) == (5, 13)
    assert early.verify(log.public_key) and late.verify(log.public_key)
    assert not early.verify(Ed25519PrivateKey.generate().public_key())
    assert SignedTreeHead.from_json(late.to_json()) == late
    with store.read() as s:
        assert [h for _, h in log.heads(s)] == [early, late]
        assert log.latest_head(s) == late
        proof = log.consistency_proof(s, early.size, late.size)
        assert merkle.verify_consistency(early.size, late.size, early.root, late.root, proof)
        assert not merkle.verify_consistency(early.size, late.size, late.root, late.root, proof)
        for index, e in log.entries_for(s, ANNA):
            path = log.inclusion_proof(s, index, late.size)
            leaf = merkle.leaf_hash(e.canonical())
            assert merkle.verify_inclusion(leaf, index, late.size, path, late.root)
            if index < early.size:
                path = log.inclusion_proof(s, index, early.size)
                assert merkle.verify_inclusion(leaf, index, early.size, path, early.root)
        # The stored subtrees answer exactly what the entries themselves give.
        tree = merkle.levels([merkle.leaf_hash(entry(i, ANNA if i % 2 else JAN).canonical())
                              for i in range(13)])
        for size in range(14):
            assert log.root(s, size) == merkle.root(tree.get, size)
        with pytest.raises(AuditRangeError, match="13 entries, not 14"):
            log.inclusion_proof(s, 0, 14)
        with pytest.raises(AuditRangeError):
            log.consistency_proof(s, 6, 5)
    assert problems(store, log) == []


def test_the_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "audit-key.pem"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_key(path)
    sth = SignedTreeHead.sign(key, 1, merkle.leaf_hash(b"x"), T0)
    assert sth.verify(again.public_key())
    path.write_text("not a key")
    with pytest.raises(KeyFileError, match="not an unencrypted PEM"):
        load_or_create_key(path)


# -- the database refuses, and verify catches what it could not refuse -----------------


@pytest.mark.parametrize("table", ["audit_entries", "audit_nodes", "audit_heads"])
def test_the_database_refuses_to_change_the_log(store: Store, log: AuditLog, table: str) -> None:
    fill(store, log, 4)
    head(store, log)
    for statement in (f"UPDATE {table} SET idx = idx" if table != "audit_heads"
                      else "UPDATE audit_heads SET size = size", f"DELETE FROM {table}"):
        with pytest.raises(StorageError, match="append-only"), store.write() as s:
            s.conn.execute(text(statement))
    with pytest.raises(StorageError, match="append-only"), store.write() as s:
        s.conn.execute(text("DELETE FROM audit_state"))
    assert problems(store, log) == []


def test_a_changed_entry_is_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 6)
    head(store, log)
    forged = entry(3, ANNA, principal="nobody").canonical()
    tamper(store, "audit_entries", "UPDATE audit_entries SET entry = :e WHERE idx = 3",
           e=forged)
    found = problems(store, log)
    assert any("Entry 3 was changed" in p for p in found), found
    assert any("signed head #1 (size 6" in p and "does not match the root" in p
               for p in found), found


def test_a_changed_entry_with_a_recomputed_leaf_hash_is_caught_by_the_head(
        store: Store, log: AuditLog) -> None:
    fill(store, log, 6)
    head(store, log)
    forged = entry(2, JAN, outcome="denied").canonical()
    tamper(store, "audit_entries",
           "UPDATE audit_entries SET entry = :e, leaf_hash = :h WHERE idx = 2",
           e=forged, h=merkle.leaf_hash(forged))
    found = problems(store, log)
    assert not any("Entry 2 was changed" in p for p in found), found
    assert any("entries 2-3" in p for p in found), found
    assert any("signed head #1" in p and "changed after it was signed" in p for p in found)


def test_a_deleted_entry_is_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 6)
    head(store, log)
    tamper(store, "audit_entries", "DELETE FROM audit_entries WHERE idx = 4")
    found = problems(store, log)
    assert any("Entry 4 is missing" in p for p in found), found
    assert any("counter says 6" in p and "5 are present" in p for p in found), found
    assert any("covers 6 entries but the log holds only 5" in p for p in found), found


def test_a_deleted_last_entry_is_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 6)
    tamper(store, "audit_entries", "DELETE FROM audit_entries WHERE idx = 5")
    found = problems(store, log)
    assert any("Entry 5 is missing: the log ends at entry 4" in p for p in found), found


def test_reordered_entries_are_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 8)
    head(store, log)
    tamper(store, "audit_entries",
           "UPDATE audit_entries SET idx = -1 WHERE idx = 1",
           "UPDATE audit_entries SET idx = 1 WHERE idx = 6",
           "UPDATE audit_entries SET idx = 6 WHERE idx = -1")
    found = problems(store, log)
    assert any("entries 0-1, entries 6-7 do not match" in p for p in found), found
    assert any("signed head #1" in p and "changed after it was signed" in p for p in found)


def test_a_swapped_head_is_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 3)
    head(store, log)
    fill(store, log, 3, start=3)
    head(store, log, seconds=1)
    with store.read() as s:
        _, (_, second) = log.heads(s)
    # The second head's root and signature put in place of the first's.
    tamper(store, "audit_heads",
           "UPDATE audit_heads SET root = :r, signature = :sig WHERE id = 1",
           r=second.root, sig=second.signature)
    found = problems(store, log)
    assert any("signed head #1 (size 3" in p and "valid signature" in p for p in found), found
    assert any("signed head #1 (size 3" in p and "does not match the root" in p
               for p in found), found
    assert not any("#2" in p for p in found), found


def test_whole_heads_swapped_are_out_of_order(store: Store, log: AuditLog) -> None:
    fill(store, log, 3)
    head(store, log)
    fill(store, log, 2, start=3)
    head(store, log, seconds=1)
    tamper(store, "audit_heads", "UPDATE audit_heads SET id = 0 WHERE id = 1",
           "UPDATE audit_heads SET id = 1 WHERE id = 2",
           "UPDATE audit_heads SET id = 2 WHERE id = 0")
    found = problems(store, log)
    first, second = T0 + datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=1, seconds=1)
    assert found == [f"The signed head #2 (size 3, {first.isoformat()}) signs fewer entries than "
                     f"the earlier signed head #1 (size 5, {second.isoformat()}): heads were "
                     "reordered or replaced."]


def test_a_head_signed_with_another_key_is_named(store: Store, log: AuditLog) -> None:
    fill(store, log, 3)
    intruder = AuditLog(Ed25519PrivateKey.generate())
    with store.write() as s:
        intruder.head(s, T0)
    found = problems(store, log)
    assert len(found) == 1 and "signed head #1" in found[0] and "other" in found[0], found

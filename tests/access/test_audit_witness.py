"""Issue 14, items 10 and 13: heads are signed in time, witnesses keep them, proofs are public.

The attack these tests stage is an attacker with the database (and, for the
last one, the signing key) who cuts the audit log's tail: removing entries,
their subtrees and the heads above them, and rewriting the state row. Without
a witness the cut log verifies; with one, it does not.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from openpesel.access import merkle
from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.signing import KeyFileError, SignedTreeHead, load_or_create_key
from openpesel.access.witness import HeadsFile
from openpesel.bootstrap import build_gate
from openpesel.cli import app
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.conftest import Clock
from tests.support.live import Live, live_server

T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


def _entry(at: datetime.datetime, n: int = 0) -> AuditEntry:
    return AuditEntry(principal="clerk", role="usc_registrar", purpose="test", action="read",
                      fields=[f"n:{n}"], outcome="allowed", at=at)


def _heads(log: AuditLog, store: Store) -> list[SignedTreeHead]:
    with store.read() as s:
        return [h for _, h in log.heads(s)]


def test_heads_are_signed_every_n_entries_and_every_t_seconds(store: Store,
                                                              tmp_path: Path) -> None:
    log = AuditLog(load_or_create_key(tmp_path / "k.pem"), sign_every=4,
                   sign_interval=datetime.timedelta(seconds=60))
    for i in range(9):  # one entry a second: sizes 4 and 8 are signed by count
        with store.write() as s:
            log.append(s, _entry(T0 + datetime.timedelta(seconds=i), i))
    assert [h.size for h in _heads(log, store)] == [4, 8]
    with store.write() as s:  # a minute after the last head: signed by time, not count
        log.append(s, _entry(T0 + datetime.timedelta(seconds=70)))
    assert [h.size for h in _heads(log, store)] == [4, 8, 10]
    with store.write() as s:
        assert log.sign_if_behind(s, T0 + datetime.timedelta(seconds=71)) is None
        log.append(s, _entry(T0 + datetime.timedelta(seconds=72)))
        head = log.sign_if_behind(s, T0 + datetime.timedelta(seconds=73))
    assert head is not None and head.size == 11
    with store.read() as s:
        assert log.verify(s).ok
    # The settings reach the gate's log.
    gate = build_gate(Settings(data_dir=tmp_path, audit_sign_every=7, audit_sign_interval_s=5),
                      Register(store))
    assert gate.audit.sign_every == 7
    assert gate.audit.sign_interval == datetime.timedelta(seconds=5)


@pytest.fixture
def live(register: Register, clock: Clock, tmp_path: Path) -> Iterator[Live]:
    clock.now = T0
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


def _audit_size(live: Live) -> int:
    with live.gate.store.read() as s:
        return live.gate.audit.size(s)


def test_proofs_and_the_latest_head_are_public_and_unaudited(live: Live) -> None:
    """Decided: public, as in RFC 6962 (docs/access.md); only sizes and hashes leave."""
    with live.as_("usc_registrar") as c:
        c.get("/statistics/population")
    with live.gate.store.write() as s:
        live.gate.audit.head(s, live.gate.clock())
    before = _audit_size(live)
    with live.client() as anyone:  # no token at all
        latest = anyone.get("/audit/heads/latest")
        assert latest.status_code == 200, latest.text
        head = SignedTreeHead.from_json(latest.json())
        kept = HeadsFile(key_id=latest.json()["key_id"], public_key=latest.json()["public_key"],
                         heads=[])
        assert head.verify(kept.public()) and head.size == before
        proof = anyone.get("/audit/proofs/consistency", params={"old": 1, "new": head.size})
        assert proof.status_code == 200, proof.text
        wrong = anyone.get("/audit/proofs/consistency", params={"old": 5, "new": 10 ** 9})
        assert wrong.status_code == 422
        assert wrong.headers["content-type"] == "application/problem+json"
    with live.gate.store.read() as s:
        first = live.gate.audit.root(s, 1)
    assert merkle.verify_consistency(1, head.size, first, head.root,
                                     [bytes.fromhex(h) for h in proof.json()["proof"]])
    assert _audit_size(live) == before  # nothing about anyone was read: nothing audited


def test_the_server_signs_a_head_as_it_stops(register: Register, clock: Clock,
                                            tmp_path: Path) -> None:
    clock.now = T0
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        with server.as_("statistics") as c:
            assert c.get("/statistics/population").status_code == 200
        gate = server.gate
    with gate.store.read() as s:
        latest = gate.audit.latest_head(s)
        assert latest is not None and latest.size == gate.audit.size(s) > 0


def test_the_server_signs_on_a_timer(register: Register, clock: Clock, tmp_path: Path) -> None:
    clock.now = T0
    settings = Settings(data_dir=tmp_path, audit_sign_every=0, audit_sign_interval_s=0.2)
    with live_server(register, settings) as server:
        with server.as_("statistics") as c:
            assert c.get("/statistics/population").status_code == 200
        size = _audit_size(server)
        for _ in range(100):  # idle: only time passes, and the server's timer signs
            with server.gate.store.read() as s:
                latest = server.gate.audit.latest_head(s)
            if latest is not None and latest.size == size:
                break
            time.sleep(0.05)
        assert latest is not None and latest.size == size


class _Cli:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.runner = CliRunner()
        self.env = {"OPENPESEL_DATABASE_URL": url, "OPENPESEL_DATA_DIR": str(data_dir),
                    "COLUMNS": "200"}

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr


def test_the_console_signs_a_head_at_exit(store: Store, store_url: str, tmp_path: Path) -> None:
    cli = _Cli(store_url, tmp_path)
    cli("search", "Nowak")
    log = AuditLog(load_or_create_key(tmp_path / "audit-signing-key.pem"))
    with store.read() as s:
        latest = log.latest_head(s)
        assert latest is not None and latest.size == log.size(s) == 1


def _cut_tail(store: Store, keep: int) -> None:
    """What an attacker with the database does: the log, its subtrees, heads and state."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for (name,) in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'"
            ).all():
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        leaves = [bytes(r[0]) for r in conn.exec_driver_sql(
            "SELECT leaf_hash FROM audit_entries ORDER BY idx").all()][:keep]
        frontier = merkle.frontier_of(merkle.levels(leaves).get, keep)
        conn.execute(text("DELETE FROM audit_entries WHERE idx >= :k"), {"k": keep})
        for level in range(1, 32):
            conn.execute(text("DELETE FROM audit_nodes WHERE level = :l AND (idx + 1) * :w > :k"),
                         {"l": level, "w": 1 << level, "k": keep})
        conn.execute(text("DELETE FROM audit_heads WHERE size > :k"), {"k": keep})
        conn.execute(text("UPDATE audit_state SET size = :k, frontier = :f WHERE id = 1"),
                     {"k": keep, "f": b"".join(frontier)})


def test_a_witness_keeps_heads_and_a_cut_tail_no_longer_verifies(
        live: Live, store: Store, store_url: str, tmp_path: Path) -> None:
    cli = _Cli(store_url, tmp_path)
    heads = tmp_path / "witness" / "heads.json"
    heads.parent.mkdir()
    api = live.url + "/api/v1"
    with live.as_("usc_registrar") as c:
        c.get("/statistics/population")
    with live.gate.store.write() as s:
        live.gate.audit.head(s, live.gate.clock())
    assert "kept head of size" in cli("audit", "witness", api, "--keep", str(heads))
    assert "already kept" in cli("audit", "witness", api, "--keep", str(heads))
    with live.as_("statistics") as c:
        for _ in range(5):
            c.get("/statistics/population")
    with live.gate.store.write() as s:
        live.gate.audit.head(s, live.gate.clock())
    out = cli("audit", "witness", api, "--keep", str(heads))  # checked by a consistency proof
    assert "2 heads" in out
    kept = json.loads(heads.read_text())
    assert len(kept["heads"]) == 2 and kept["key_id"] == live.gate.audit.key_id.hex()
    assert "audit log verified" in cli("audit", "verify", "--against", str(heads))

    _cut_tail(store, 3)
    assert "audit log verified" in cli("audit", "verify")  # the cut is invisible inside
    err = cli("audit", "verify", "--against", str(heads), code=11)
    assert "its tail was cut" in err
    # The register grows again past the witness's sizes, over a different history.
    with live.as_("usc_registrar") as c:
        for _ in range(40):
            c.get("/statistics/population")
    with live.gate.store.write() as s:
        live.gate.audit.head(s, live.gate.clock())
    err = cli("audit", "verify", "--against", str(heads), code=11)
    assert "not an extension" in err
    err = cli("audit", "witness", api, "--keep", str(heads), code=11)
    assert "rewritten" in err
    assert len(json.loads(heads.read_text())["heads"]) == 2  # the forged head was not kept


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_the_signing_key_can_live_outside_the_data_directory(store: Store, store_url: str,
                                                             tmp_path: Path) -> None:
    data, keys = tmp_path / "data", tmp_path / "keys"
    cli = _Cli(store_url, data)
    outside = keys / "audit.pem"
    cli.env["OPENPESEL_AUDIT_KEY_FILE"] = str(outside)
    err = cli("search", "Nowak", code=1)  # configured but missing: refused, not made up
    assert err.startswith("error: No audit signing key at") and "audit new-key" in err
    assert "signing key written" in cli("audit", "new-key", str(outside))
    assert "never overwritten" in cli("audit", "new-key", str(outside), code=1)
    cli("search", "Nowak")
    assert not (data / "audit-signing-key.pem").exists()
    log = AuditLog(load_or_create_key(outside))
    with store.read() as s:
        assert log.verify(s).ok and log.latest_head(s) is not None

    # The PEM itself, from the environment (a secret store), wins over the file.
    del cli.env["OPENPESEL_AUDIT_KEY_FILE"]
    other = Ed25519PrivateKey.generate()
    cli.env["OPENPESEL_AUDIT_KEY"] = _pem(other).decode()
    cli("search", "Kowalski")
    assert not (data / "audit-signing-key.pem").exists()
    with store.read() as s:
        latest = log.latest_head(s)
    assert latest is not None and latest.verify(other.public_key())
    cli.env["OPENPESEL_AUDIT_KEY"] = "not a key"
    assert "OPENPESEL_AUDIT_KEY is not an unencrypted PEM" in cli("search", "X", code=1)
    with pytest.raises(KeyFileError):
        build_gate(Settings(data_dir=data, audit_key_file=keys / "missing.pem"),
                   Register(store))

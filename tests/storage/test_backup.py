"""Backup and restore: the restored register is the same, even if taken while writing."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path

from openpesel.access.audit import AuditLog
from openpesel.access.signing import load_or_create_key
from openpesel.population.build import build
from openpesel.registry.service import Register
from openpesel.storage import backup
from openpesel.storage.store import Store
from tests.cli.test_cli import Cli
from tests.conftest import fresh_postgres
from tests.support.office import born, projection_snapshot


def _empty_twin(store_url: str, tmp_path: Path) -> Store:
    if store_url.startswith("sqlite"):
        return Store(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    return Store(fresh_postgres(store_url))


def test_a_restored_register_is_the_same(register: Register, store_url: str,
                                         tmp_path: Path) -> None:
    build(register, 80, seed=4, today=datetime.date(2026, 1, 1))
    cli = Cli(store_url)
    cli.env["OPENPESEL_DATA_DIR"] = str(tmp_path)
    cli.json("search", "Nowak", "--limit", "1")
    cli("audit", "head")  # the audit log has entries (the search) and a signed head
    before = backup.digest(register.store)
    assert "backup written" in cli("backup", str(tmp_path / "register.bak"))
    after = backup.digest(register.store)
    assert after != before  # taking the backup was itself audited, before the copy

    twin = _empty_twin(store_url, tmp_path)
    assert "restored from" in Cli(str(twin.url))("restore", str(tmp_path / "register.bak"))
    assert backup.digest(twin) == after
    log = AuditLog(load_or_create_key(tmp_path / "audit-signing-key.pem"))
    with twin.read() as s:
        report = log.verify(s)
        assert report.ok and report.size >= 2
    with register.store.read() as s:
        original_root = log.root(s, report.size)
    with twin.read() as s:
        assert log.root(s) == original_root
    assert projection_snapshot(Register(twin)) == projection_snapshot(register)
    twin.dispose()


def test_a_backup_taken_while_writing_is_consistent(register: Register, store_url: str,
                                                    tmp_path: Path) -> None:
    stop = threading.Event()
    written: list[str] = []

    def clerk() -> None:
        day = 0
        while not stop.is_set():
            day += 1
            on = (datetime.date(2000, 1, 1) + datetime.timedelta(days=day)).isoformat()
            written.append(born(register, "Jan", "Kowalski", "M", on).pesel)

    worker = threading.Thread(target=clerk)
    worker.start()
    try:
        while len(written) < 20:
            threading.Event().wait(0.05)
        backup.backup(register.store, tmp_path / "hot.bak")
        at_backup = len(written)
        while len(written) < at_backup + 10:
            threading.Event().wait(0.05)
    finally:
        stop.set()
        worker.join()

    twin = _empty_twin(store_url, tmp_path)
    backup.restore(tmp_path / "hot.bak", twin)
    restored = Register(twin)
    with twin.read() as s:
        people = s.count("persons")
        assert people == s.count("pesel_assignments") == s.count("events")
    assert 20 <= people <= len(written)  # a prefix of the writes, nothing half-applied
    incremental = projection_snapshot(restored)
    restored.rebuild_projections()
    assert projection_snapshot(restored) == incremental
    twin.dispose()


def test_restore_refuses_a_register_in_use(register: Register, tmp_path: Path) -> None:
    backup.backup(register.store, tmp_path / "one.bak")
    cli = Cli(str(register.store.url))
    err = cli("restore", str(tmp_path / "one.bak"), code=8)
    assert "not empty" in err
    assert "exists" in cli("backup", str(tmp_path / "one.bak"), code=8)

"""Issue 14, item 9: administration is authorised and audited, naming the persons concerned.

Creating a resident's account binds a login to someone's record, so the
person sees it in their own access report; the console's bulk loads leave an
entry too, as the README promises for everything the console does.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openpesel.access.audit import AuditEntry, AuditLog
from openpesel.access.gate import Access, Forbidden, Gate, Principal, console
from openpesel.access.policy import Role
from openpesel.access.signing import load_or_create_key
from openpesel.cli import app
from openpesel.config import Settings
from openpesel.registry.service import Register
from openpesel.storage.store import Store
from tests.conftest import Clock
from tests.support.live import SECRET, Live, live_server
from tests.support.office import born

T0 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


def _entries(gate_or_log: Gate | AuditLog, store: Store) -> list[AuditEntry]:
    log = gate_or_log.audit if isinstance(gate_or_log, Gate) else gate_or_log
    with store.read() as s:
        return [e for _, e in reversed(log.entries(s, 0, 10_000))]


def _person_id(store: Store, pesel: str) -> uuid.UUID:
    with store.read() as s:
        held = s.holder(pesel)
    assert held is not None
    return held[0]


def test_principals_are_managed_through_the_gate(register: Register, clock: Clock,
                                                 tmp_path: Path) -> None:
    clock.now = T0
    ewa = born(register, "Ewa", "Nowak", "F", "1980-01-01").pesel
    gate = Gate(register, AuditLog(load_or_create_key(tmp_path / "k.pem")))
    clerk = Access(Principal("anna", Role.USC_REGISTRAR), "curiosity")
    with pytest.raises(Forbidden):
        gate.add_principal(clerk, "ewa", Role.RESIDENT, SECRET, pesel=ewa)
    with pytest.raises(Forbidden):
        gate.principals(clerk)
    root = Access(Principal("root", Role.ADMIN))
    totp = gate.add_principal(root, "ewa", Role.RESIDENT, SECRET, pesel=ewa)
    assert totp is not None
    with pytest.raises(Exception, match="already exists"):  # refused, and still audited
        gate.add_principal(root, "ewa", Role.RESIDENT, SECRET, pesel=ewa)
    assert [a.name for a in gate.principals(root)] == ["ewa"]
    gate.deactivate(root, "ewa")

    log = _entries(gate, register.store)
    person = _person_id(register.store, ewa)
    assert [(e.principal, e.action, e.outcome, e.person_id) for e in log] == [
        ("anna", "add-principal", "denied", person),
        ("anna", "list-principals", "denied", None),
        ("root", "add-principal", "allowed", person),
        ("root", "add-principal", "refused", person),
        ("root", "list-principals", "allowed", None),
        ("root", "deactivate-principal", "allowed", person),
    ]
    assert log[2].fields == ["principal:ewa", "role:resident"]
    assert all(SECRET not in e.canonical().decode() and totp not in e.canonical().decode()
               for e in log)


@pytest.fixture
def live(register: Register, clock: Clock, tmp_path: Path) -> Iterator[Live]:
    clock.now = T0
    with live_server(register, Settings(data_dir=tmp_path)) as server:
        yield server


def test_a_resident_account_shows_in_that_persons_access_report(live: Live,
                                                                register: Register) -> None:
    ewa = born(register, "Ewa", "Nowak", "F", "1980-01-01").pesel
    with live.as_("admin", purpose=None) as admin:
        created = admin.post("/users", json={"name": "ewa", "role": "resident",
                                             "secret": SECRET, "pesel": ewa})
        assert created.status_code == 201, created.text
        live.totp["ewa"] = created.json()["totp_secret"]
        assert admin.get("/users").status_code == 200
    with live.as_("ewa", purpose=None) as me:
        report = me.get("/me/access-report")
        assert report.status_code == 200, report.text
    seen = [(item["entry"]["principal"], item["entry"]["action"])
            for item in report.json()["entries"]]
    assert ("admin", "add-principal") in seen
    with live.as_("admin", purpose=None) as admin:
        assert admin.delete("/users/ewa").status_code == 204
    log = _entries(live.gate, register.store)
    person = _person_id(register.store, ewa)
    assert [(e.principal, e.person_id) for e in log if e.action == "deactivate-principal"] == [
        ("admin", person)]
    assert [e.principal for e in log if e.action == "list-principals"] == ["admin"]


class _Cli:
    def __init__(self, url: str, data_dir: Path) -> None:
        self.runner = CliRunner()
        self.env = {"OPENPESEL_DATABASE_URL": url, "OPENPESEL_DATA_DIR": str(data_dir),
                    "OPENPESEL_SECRET": SECRET, "COLUMNS": "200"}

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr


def _log(tmp_path: Path) -> AuditLog:
    return AuditLog(load_or_create_key(tmp_path / "audit-signing-key.pem"))


def test_the_console_audits_users_commands(register: Register, store_url: str,
                                           tmp_path: Path) -> None:
    ala = born(register, "Ala", "Kot", "F", "1990-01-01").pesel
    cli = _Cli(store_url, tmp_path)
    cli("users", "add", "root", "--role", "admin")
    cli("users", "add", "ala", "--role", "resident", "--pesel", ala)
    cli("users", "list")
    cli("users", "deactivate", "ala")
    me = console().principal.name
    person = _person_id(register.store, ala)
    assert [(e.principal, e.action, e.person_id) for e in _entries(_log(tmp_path),
                                                                   register.store)] == [
        (me, "add-principal", None),
        (me, "add-principal", person),
        (me, "list-principals", None),
        (me, "deactivate-principal", person),
    ]


def test_the_console_audits_a_bulk_load(store: Store, store_url: str, tmp_path: Path) -> None:
    cli = _Cli(store_url, tmp_path)
    assert "loaded 200 residents" in cli("load-population", "--size", "200", "--seed", "3",
                                         "--chunk", "200", "--no-progress")
    cli("populate", "--size", "5", "--seed", "2")
    log = _entries(_log(tmp_path), store)
    assert [(e.action, e.fields, e.role) for e in log] == [
        ("bulk-load-population", ["chunk:200", "load-population", "seed:3", "size:200"],
         "operator"),
        ("bulk-populate", ["populate", "seed:2", "size:5"], "operator")]
